// Auto-layout with dagre: top to bottom, the internet and the host above, namespaces below.
import { Graph, layout } from '@dagrejs/dagre';
import type { Topology } from '../server/topology/schema.ts';
import { NODE_SIZE } from './flow.ts';

export function autoLayout(doc: Topology): Record<string, { x: number; y: number }> {
  const g = new Graph();
  g.setGraph({ rankdir: 'TB', nodesep: 70, ranksep: 90, marginx: 40, marginy: 40 });
  g.setDefaultEdgeLabel(() => ({}));
  for (const n of doc.nodes) {
    const s = NODE_SIZE[n.kind] ?? NODE_SIZE.netns;
    g.setNode(n.name, { width: s.w, height: s.h });
  }
  // The outside world (internet, the LAN's external machine) on top, the host below, then bridges, then namespaces.
  const rank = (kind: string) => (kind === 'internet' || kind === 'external' ? 0 : kind === 'host' ? 1 : kind === 'bridge' ? 2 : 3);
  const kindOf = (name: string) => doc.nodes.find((n) => n.name === name)?.kind ?? 'netns';
  for (const l of doc.links) {
    // Edges point "down" the stack so dagre puts upstream nodes on top.
    const [from, to] = rank(kindOf(l.a.node)) <= rank(kindOf(l.b.node)) ? [l.a.node, l.b.node] : [l.b.node, l.a.node];
    g.setEdge(from, to);
  }
  // A bridge lives in a namespace (the host by default): keep it under that node even when uncabled.
  for (const n of doc.nodes) {
    const home = n.in ?? 'host';
    if (n.kind === 'bridge' && doc.nodes.some((x) => x.name === home) && !g.hasEdge(home, n.name)) g.setEdge(home, n.name, { weight: 2 });
  }
  layout(g);
  const out: Record<string, { x: number; y: number }> = {};
  for (const n of doc.nodes) {
    const p = g.node(n.name);
    const s = NODE_SIZE[n.kind] ?? NODE_SIZE.netns;
    out[n.name] = { x: p.x - s.w / 2, y: p.y - s.h / 2 };
  }
  return out;
}
