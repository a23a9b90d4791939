// What the canvas shows: the session's sandbox (host uplink, internet, external — fixed, read-only)
// with the learner's drawing on top, merged the way the engine merges them. Edits always go to the
// drawing; the sandbox's own nodes and cables cannot be deleted.
import { mergeTopologies } from '../server/session/merge.ts';
import type { Topology, TopoNode } from '../server/topology/schema.ts';

export interface View {
  /** Sandbox + drawing, merged; links are the sandbox's first, then the drawing's. */
  doc: Topology;
  /** How many of doc.links belong to the sandbox. */
  sandboxLinks: number;
  /** Names of the sandbox's nodes. */
  infra: Set<string>;
}

export function viewOf(sandbox: Topology, drawing: Topology): View {
  const { merged } = mergeTopologies(sandbox, drawing);
  // The sandbox always has a host; a blank sandbox (tests) has nothing else.
  const nodes = sandbox.nodes.length === 0 && !drawing.nodes.some((n) => n.name === 'host') ? merged.nodes.filter((n) => n.name !== 'host') : merged.nodes;
  return {
    doc: { ...merged, nodes, layout: { ...(sandbox.layout ?? {}), ...(drawing.layout ?? {}) } },
    sandboxLinks: sandbox.links.length,
    infra: new Set(sandbox.nodes.map((n) => n.name)),
  };
}

/** View link index → drawing link index (undefined for the sandbox's own cables). */
export function drawingLink(view: View, index: number): number | undefined {
  return index >= view.sandboxLinks ? index - view.sandboxLinks : undefined;
}

export function viewLink(view: View, drawingIndex: number): number {
  return drawingIndex + view.sandboxLinks;
}

/** Make sure the drawing has an entry for a node (a sandbox node gets an empty one to add to). */
export function ensureNode(drawing: Topology, name: string, kind: TopoNode['kind']): Topology {
  if (drawing.nodes.some((n) => n.name === name)) return drawing;
  return { ...drawing, nodes: [...drawing.nodes, { name, kind } as TopoNode] };
}
