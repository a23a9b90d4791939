// Topology (+ kernel overlay) → React Flow nodes and edges. Node ids are topology names; each veth
// end is a handle on its node's border, on the side facing the peer.
import type { Edge, Node } from '@xyflow/react';
import type { ObservedLink } from '../server/observe/types.ts';
import type { Topology, TopoNode } from '../server/topology/schema.ts';
import type { Ghost, LinkLive, Live, NodeLive } from './live.ts';

export type Side = 'top' | 'right' | 'bottom' | 'left';

export interface Iface {
  /** React Flow handle id: `l<link index><a|b>`. */
  handle: string;
  ifname: string;
  side: Side;
  /** 0..1 along the side. */
  offset: number;
  /** Label on the other side of the port (neighbouring ports on one edge alternate, so labels do not overlap). */
  flip?: boolean;
  addresses: string[];
  link: number;
  observed?: ObservedLink;
}

export interface TopoNodeData extends Record<string, unknown> {
  node: TopoNode;
  ifaces: Iface[];
  live?: NodeLive;
  errors: number;
  /** Provided by the session's sandbox (the lab's VM). */
  infra: boolean;
}

export interface GhostNodeData extends Record<string, unknown> { ghost: Ghost }

export interface VethEdgeData extends Record<string, unknown> {
  index: number;
  a: { ifname: string; addresses: string[]; node: string };
  b: { ifname: string; addresses: string[]; node: string };
  live?: LinkLive;
  errors: number;
  infra: boolean;
}

export const NODE_SIZE: Record<string, { w: number; h: number }> = {
  netns: { w: 190, h: 96 }, router: { w: 190, h: 96 }, external: { w: 190, h: 96 }, host: { w: 220, h: 104 },
  container: { w: 190, h: 104 }, bridge: { w: 280, h: 46 }, internet: { w: 190, h: 110 }, ghost: { w: 190, h: 96 },
};

export function nodeType(kind: TopoNode['kind']): string {
  if (kind === 'bridge') return 'bridge';
  if (kind === 'internet') return 'cloud';
  if (kind === 'container') return 'container';
  return 'namespace';
}

const size = (kind: string) => NODE_SIZE[kind] ?? NODE_SIZE.netns;

export function defaultPosition(i: number): { x: number; y: number } {
  return { x: 80 + (i % 4) * 260, y: 60 + Math.floor(i / 4) * 200 };
}

function center(doc: Topology, name: string, positions: Record<string, { x: number; y: number }>) {
  const n = doc.nodes.find((x) => x.name === name);
  const p = positions[name] ?? { x: 0, y: 0 };
  const s = size(n?.kind ?? 'netns');
  return { x: p.x + s.w / 2, y: p.y + s.h / 2 };
}

function sideToward(kind: string, from: { x: number; y: number }, to: { x: number; y: number }): Side {
  const dx = to.x - from.x;
  const dy = to.y - from.y;
  if (kind === 'bridge') return dy >= 0 ? 'bottom' : 'top';
  const s = size(kind);
  // Normalise by the box's aspect so the side really is the one facing the peer.
  return Math.abs(dx) / s.w > Math.abs(dy) / s.h ? (dx > 0 ? 'right' : 'left') : dy > 0 ? 'bottom' : 'top';
}

export interface DeriveInput {
  doc: Topology;
  live?: Live;
  nodeErrors: (name: string) => number;
  linkErrors: (index: number) => number;
  /** Sandbox nodes and how many leading links are the sandbox's: shown, never deleted. */
  infra?: Set<string>;
  sandboxLinks?: number;
  /** Positions being dragged right now (not yet in the document). */
  dragging?: Record<string, { x: number; y: number }>;
  selectedNodes: Set<string>;
  selectedLink?: number;
}

export function positionsOf(doc: Topology, dragging: Record<string, { x: number; y: number }> = {}) {
  const out: Record<string, { x: number; y: number }> = {};
  doc.nodes.forEach((n, i) => { out[n.name] = dragging[n.name] ?? doc.layout?.[n.name] ?? defaultPosition(i); });
  return out;
}

export function deriveFlow(input: DeriveInput): { nodes: Node[]; edges: Edge[] } {
  const { doc, live } = input;
  const positions = positionsOf(doc, input.dragging);
  const ifaces = new Map<string, Iface[]>();
  doc.links.forEach((l, index) => {
    for (const [end, peer, k] of [[l.a, l.b, 0], [l.b, l.a, 1]] as const) {
      const kind = doc.nodes.find((n) => n.name === end.node)?.kind ?? 'netns';
      const side = sideToward(kind, center(doc, end.node, positions), center(doc, peer.node, positions));
      const list = ifaces.get(end.node) ?? [];
      list.push({ handle: `l${index}${k === 0 ? 'a' : 'b'}`, ifname: end.ifname, side, offset: 0, addresses: end.addresses ?? [], link: index, observed: live?.links[index]?.ends[k] });
      ifaces.set(end.node, list);
    }
  });
  // Spread the interfaces of each side evenly, ordered by where their peers are (fewer crossings).
  for (const [name, list] of ifaces) {
    for (const side of ['top', 'right', 'bottom', 'left'] as Side[]) {
      const onSide = list.filter((f) => f.side === side);
      const peerPos = (f: Iface) => {
        const l = doc.links[f.link];
        const peer = l.a.node === name && l.a.ifname === f.ifname ? l.b.node : l.a.node;
        const c = center(doc, peer, positions);
        return side === 'top' || side === 'bottom' ? c.x : c.y;
      };
      onSide.sort((x, y) => peerPos(x) - peerPos(y));
      onSide.forEach((f, i) => {
        f.offset = (i + 1) / (onSide.length + 1);
        f.flip = (side === 'top' || side === 'bottom') && onSide.length > 1 && i % 2 === 0;
      });
    }
  }

  const nodes: Node[] = doc.nodes.map((n) => ({
    id: n.name,
    type: nodeType(n.kind),
    position: positions[n.name],
    selected: input.selectedNodes.has(n.name),
    deletable: !input.infra?.has(n.name),
    data: { node: n, ifaces: ifaces.get(n.name) ?? [], live: live?.nodes[n.name], errors: input.nodeErrors(n.name), infra: !!input.infra?.has(n.name) } satisfies TopoNodeData,
  }));
  // Observed-only namespaces stand in a column right of the drawing, where they are seen at once.
  const xs = Object.values(positions).map((p) => p.x);
  const ys = Object.values(positions).map((p) => p.y);
  const right = xs.length ? Math.max(...xs) + 260 : 80;
  const top = ys.length ? Math.min(...ys) : 60;
  // Hand-made bridges stand one column further right, so the observed cables run left to right.
  const ghostRow = new Map<string, number>();
  (live?.ghosts ?? []).forEach((g) => {
    const col = g.bridge ? 'bridge' : 'netns';
    const i = ghostRow.get(col) ?? 0;
    ghostRow.set(col, i + 1);
    nodes.push({
      id: g.name, type: 'ghost', position: { x: g.bridge ? right + 300 : right, y: top + i * 150 + (g.bridge ? 75 : 0) }, draggable: false, selectable: true,
      selected: input.selectedNodes.has(g.name), data: { ghost: g } satisfies GhostNodeData,
    });
  });
  // Observed cables between ghosts (a hand-made namespace plugged into a hand-made bridge).
  const ghostEdges: Edge[] = (live?.ghostLinks ?? []).map((l) => ({
    id: `ghost-${l.a}-${l.aIf}-${l.b}`, source: l.a, sourceHandle: 'ghost-out', target: l.b, targetHandle: 'ghost-in',
    selectable: false, deletable: false, label: `${l.aIf} — ${l.bIf}`, className: 'ghost-edge',
    style: { strokeDasharray: '6 4', stroke: l.up ? 'var(--ok)' : 'var(--muted)', strokeWidth: 1.5 },
    labelStyle: { fontSize: 10, fontFamily: 'ui-monospace, monospace' },
  }));

  const edges: Edge[] = doc.links.map((l, index) => ({
    id: `link-${index}`,
    type: 'veth',
    source: l.a.node,
    sourceHandle: `l${index}a`,
    target: l.b.node,
    targetHandle: `l${index}b`,
    selected: input.selectedLink === index,
    deletable: index >= (input.sandboxLinks ?? 0),
    data: {
      index,
      a: { ifname: l.a.ifname, addresses: l.a.addresses ?? [], node: l.a.node },
      b: { ifname: l.b.ifname, addresses: l.b.addresses ?? [], node: l.b.node },
      live: live?.links[index],
      errors: input.linkErrors(index),
      infra: index < (input.sandboxLinks ?? 0),
    } satisfies VethEdgeData,
  }));
  return { nodes, edges: [...edges, ...ghostEdges] };
}
