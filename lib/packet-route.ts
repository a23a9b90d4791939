// Where a packet goes on the canvas. A probe's hops (node, interface, out/in) and a captured packet
// (interface, src → dst) become moves along the drawn cables: a hop out of one end of a cable followed
// by a hop at its other end rides that cable; anything else (across a namespace, across a bridge)
// is a short jump between the two places. Cables are the drawing's veth pairs and the ones the kernel
// grew by hand (a lab typed in a terminal). Pure: the canvas turns these into coordinates.
import type { Hop, HopRef } from '../server/probe/types.ts';
import type { Topology } from '../server/topology/schema.ts';
import type { Live } from './live.ts';

/** A cable on the canvas: its React Flow edge id, and its two ends (`a` is where the edge starts). */
export interface Cable {
  id: string;
  a: { node: string; ifname: string; addresses: string[] };
  b: { node: string; ifname: string; addresses: string[] };
}

/** What the canvas shows: its cables, its nodes, and where each bridge lives. */
export interface CanvasMap {
  cables: Cable[];
  nodes: Set<string>;
  /** bridge node → the namespace holding it. */
  bridges: Map<string, string>;
}

const addr = (a: string) => a.split('/')[0];

export function canvasMap(doc: Topology, live?: Pick<Live, 'ghosts' | 'ghostLinks'>): CanvasMap {
  const cables: Cable[] = doc.links.map((l, i) => {
    const extra = (node: string, ifname: string) => (doc.nodes.find((n) => n.name === node)?.addresses ?? [])
      .flatMap((a) => (typeof a !== 'string' && a.dev === ifname ? [addr(a.address)] : []));
    return {
      id: `link-${i}`,
      a: { node: l.a.node, ifname: l.a.ifname, addresses: [...(l.a.addresses ?? []).map(addr), ...extra(l.a.node, l.a.ifname)] },
      b: { node: l.b.node, ifname: l.b.ifname, addresses: [...(l.b.addresses ?? []).map(addr), ...extra(l.b.node, l.b.ifname)] },
    };
  });
  const ghostAddrs = (name: string, ifname: string) => live?.ghosts.find((g) => g.name === name)?.ns.links.find((x) => x.ifname === ifname)?.addresses.map(addr) ?? [];
  for (const g of live?.ghostLinks ?? []) {
    cables.push({
      id: `ghost-${g.a}-${g.aIf}-${g.b}`,
      a: { node: g.a, ifname: g.aIf, addresses: ghostAddrs(g.a, g.aIf) },
      b: { node: g.b, ifname: g.bIf, addresses: [] },
    });
  }
  const bridges = new Map<string, string>();
  for (const n of doc.nodes) if (n.kind === 'bridge') bridges.set(n.name, n.in ?? 'host');
  for (const g of live?.ghosts ?? []) if (g.bridge) bridges.set(g.name, g.bridge.in);
  return { cables, nodes: new Set([...doc.nodes.map((n) => n.name), ...(live?.ghosts ?? []).map((g) => g.name)]), bridges };
}

/** A cable end: the cable's edge id and which end. */
export interface LinkEnd { cable: string; end: 'a' | 'b' }

export type Move =
  /** Along cable `cable` from end `from` to the other end. */
  | { kind: 'wire'; cable: string; from: 'a' | 'b'; hop: number; leg: Hop['leg'] }
  /** Inside a node (or across a bridge): from one port (or the node itself) to another. */
  | { kind: 'jump'; from: Place; to: Place; hop: number; leg: Hop['leg'] };

/** A point on the canvas: a cable end, else the middle of a node. */
export type Place = { end: LinkEnd } | { node: string };

/** The cable end a hop is at: the end named (node, ifname), or a bridge port (the end sits on the bridge node). */
export function endOf(map: CanvasMap, hop: HopRef & { bridge?: string }): LinkEnd | undefined {
  if (!hop.interface) return undefined;
  for (const c of map.cables) {
    for (const end of ['a', 'b'] as const) {
      const e = c[end];
      if (e.ifname !== hop.interface) continue;
      if (e.node === hop.node || (hop.bridge !== undefined && e.node === hop.bridge)) return { cable: c.id, end };
    }
  }
  return undefined;
}

export function placeOf(map: CanvasMap, hop: HopRef & { bridge?: string }): Place | undefined {
  const end = endOf(map, hop);
  if (end) return { end };
  // The bridge device itself (an address on br0): the bridge node.
  if (hop.bridge && map.nodes.has(hop.bridge)) return { node: hop.bridge };
  if (map.nodes.has(hop.node)) return { node: hop.node };
  return undefined;
}

const samePlace = (x: Place, y: Place) =>
  ('end' in x && 'end' in y && x.end.cable === y.end.cable && x.end.end === y.end.end) || ('node' in x && 'node' in y && x.node === y.node);

/**
 * The moves of a probe's path, in order. `hop` is the index of the hop a move arrives at, so the
 * canvas can light each hop when the packet gets there.
 */
export function probeMoves(map: CanvasMap, path: Hop[]): Move[] {
  const moves: Move[] = [];
  for (let i = 0; i + 1 < path.length; i++) {
    const h1 = path[i];
    const h2 = path[i + 1];
    const e1 = endOf(map, h1);
    const e2 = endOf(map, h2);
    if (e1 && e2 && e1.cable === e2.cable && e1.end !== e2.end && h1.dir === 'out' && h2.dir !== 'out') {
      moves.push({ kind: 'wire', cable: e1.cable, from: e1.end, hop: i + 1, leg: h2.leg });
      continue;
    }
    const p1 = placeOf(map, h1);
    const p2 = placeOf(map, h2);
    if (p1 && p2 && !samePlace(p1, p2)) moves.push({ kind: 'jump', from: p1, to: p2, hop: i + 1, leg: h2.leg });
  }
  return moves;
}

/**
 * The cable a captured packet crossed and which way: captured on (node, iface), it leaves that end
 * when tcpdump says Out or its source is that end's address, else it arrives there.
 */
export function packetMove(map: CanvasMap, node: string, p: { iface: string; src: string; dst: string; dir?: string }): { cable: string; from: 'a' | 'b' } | undefined {
  let end = endOf(map, { node, interface: p.iface });
  // A bridge port captured in the namespace holding the bridge: the end sits on the bridge node.
  for (const [bridge, ns] of map.bridges) if (!end && ns === node) end = endOf(map, { node: bridge, interface: p.iface });
  if (!end) return undefined;
  const at = end;
  const cable = map.cables.find((c) => c.id === at.cable)!;
  const other = end.end === 'a' ? 'b' : 'a';
  const src = /^(\d{1,3}(?:\.\d{1,3}){3}):\d+$/.exec(p.src)?.[1] ?? p.src;
  const mine = cable[end.end].addresses;
  const leaving = p.dir ? /^out$/i.test(p.dir) : mine.includes(src) || (mine.length === 0 && !cable[other].addresses.includes(src));
  return { cable: cable.id, from: leaving ? end.end : other };
}
