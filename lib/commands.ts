// Named, pure edit commands on the Topology document. Each takes a document and returns a new one
// (or the same object when nothing changed); the undo stack records them. Kernel state never goes here.
import { cidrContains, intToIpv4, ipv4ToInt, splitCidr } from '../server/topology/address.ts';
import type { NodeKind, Topology, TopoNode, VethEnd, VethPair } from '../server/topology/schema.ts';

export type Position = { x: number; y: number };
export type Side = 'a' | 'b';

export const emptyTopology = (): Topology => ({ version: 1, nodes: [], links: [], layout: {} });

const NAME_BASE: Record<NodeKind, string> = {
  netns: 'netns', container: 'ctr', bridge: 'br', host: 'host', internet: 'internet', external: 'external', router: 'router',
};

/** netns1, netns2, …; br0, br1, …; host/internet/external keep their plain name while free. */
export function proposeName(doc: Topology, kind: NodeKind): string | null {
  const used = new Set(doc.nodes.map((n) => n.name));
  if (kind === 'host') return used.has('host') ? null : 'host';
  const base = NAME_BASE[kind];
  if ((kind === 'internet' || kind === 'external') && !used.has(base)) return base;
  for (let i = kind === 'bridge' ? 0 : 1; ; i++) if (!used.has(`${base}${i}`)) return `${base}${i}`;
}

export function findNode(doc: Topology, name: string): TopoNode | undefined {
  return doc.nodes.find((n) => n.name === name);
}

function withLayout(doc: Topology, name: string, pos: Position | undefined): Topology['layout'] {
  const layout = { ...(doc.layout ?? {}) };
  if (pos) layout[name] = { x: Math.round(pos.x), y: Math.round(pos.y) };
  else delete layout[name];
  return layout;
}

export function addNode(doc: Topology, kind: NodeKind, pos: Position, name = proposeName(doc, kind)): Topology {
  if (!name || findNode(doc, name)) return doc;
  const node: TopoNode = { name, kind } as TopoNode;
  return { ...doc, nodes: [...doc.nodes, node], layout: withLayout(doc, name, pos) };
}

export function removeNode(doc: Topology, name: string): Topology {
  if (!findNode(doc, name)) return doc;
  const nodes = doc.nodes
    .filter((n) => n.name !== name)
    .map((n) => (n.kind === 'bridge' && n.in === name ? omit(n, 'in') : n));
  const links = doc.links
    .filter((l) => l.a.node !== name && l.b.node !== name)
    .map((l) => ({ a: l.a.master === name ? omit(l.a, 'master') : l.a, b: l.b.master === name ? omit(l.b, 'master') : l.b }));
  return { ...doc, nodes, links, layout: withLayout(doc, name, undefined) };
}

export function renameNode(doc: Topology, from: string, to: string): Topology {
  if (from === to || !findNode(doc, from) || findNode(doc, to)) return doc;
  const re = (s: string | undefined) => (s === from ? to : s);
  const end = (e: VethEnd): VethEnd => clean({ ...e, node: re(e.node)!, master: re(e.master) });
  const nodes = doc.nodes.map((n) => clean({ ...n, name: re(n.name)!, in: re(n.in) }));
  const layout = { ...(doc.layout ?? {}) };
  if (layout[from]) { layout[to] = layout[from]; delete layout[from]; }
  return { ...doc, nodes, links: doc.links.map((l) => ({ a: end(l.a), b: end(l.b) })), layout };
}

export function moveNodes(doc: Topology, moves: Record<string, Position>): Topology {
  let layout = doc.layout ?? {};
  for (const [name, pos] of Object.entries(moves)) layout = withLayout({ ...doc, layout }, name, pos)!;
  return { ...doc, layout };
}

export function setLayout(doc: Topology, layout: Record<string, Position>): Topology {
  return { ...doc, layout: Object.fromEntries(Object.entries(layout).map(([k, p]) => [k, { x: Math.round(p.x), y: Math.round(p.y) }])) };
}

/** Replace fields of a node; `undefined` or an empty list/object removes the field. */
export function setNode(doc: Topology, name: string, patch: Partial<TopoNode>): Topology {
  return { ...doc, nodes: doc.nodes.map((n) => (n.name === name ? clean({ ...n, ...patch }) : n)) };
}

export function setEnd(doc: Topology, index: number, side: Side, patch: Partial<VethEnd>): Topology {
  const link = doc.links[index];
  if (!link) return doc;
  const next: VethPair = { ...link, [side]: clean({ ...link[side], ...patch }) };
  return { ...doc, links: doc.links.map((l, i) => (i === index ? next : l)) };
}

export function removeLink(doc: Topology, index: number): Topology {
  if (!doc.links[index]) return doc;
  return { ...doc, links: doc.links.filter((_, i) => i !== index) };
}

export function removeMany(doc: Topology, nodes: string[], links: number[]): Topology {
  let out = doc;
  for (const i of [...links].sort((x, y) => y - x)) out = removeLink(out, i);
  for (const n of nodes) out = removeNode(out, n);
  return out;
}

/** Which links touch a node, with the side the node is on. */
export function endsOf(doc: Topology, name: string): { index: number; side: Side; end: VethEnd; peer: VethEnd }[] {
  const out: { index: number; side: Side; end: VethEnd; peer: VethEnd }[] = [];
  doc.links.forEach((l, index) => {
    if (l.a.node === name) out.push({ index, side: 'a', end: l.a, peer: l.b });
    if (l.b.node === name) out.push({ index, side: 'b', end: l.b, peer: l.a });
  });
  return out;
}

// ---- connecting two nodes: a veth pair with proposed names and addresses ----

function usedIfnames(doc: Topology): Set<string> {
  const s = new Set<string>();
  for (const l of doc.links) { s.add(l.a.ifname); s.add(l.b.ifname); }
  for (const n of doc.nodes) if (n.kind === 'bridge') s.add(n.name);
  return s;
}

function allCidrs(doc: Topology): string[] {
  const out: string[] = [];
  for (const l of doc.links) out.push(...(l.a.addresses ?? []), ...(l.b.addresses ?? []));
  for (const n of doc.nodes) for (const a of n.addresses ?? []) out.push(typeof a === 'string' ? a : a.address);
  return out.filter((c) => /^\d+\.\d+\.\d+\.\d+\/\d+$/.test(c));
}

function freeSubnet(cidrs: string[]): string {
  for (let k = 0; k < 256; k++) {
    const net = `10.0.${k}.0/24`;
    if (!cidrs.some((c) => cidrContains(net, splitCidr(c).address))) return net;
  }
  return '10.1.0.0/24';
}

function hostIn(net: string, host: number, taken: string[]): string {
  const { address, prefix } = splitCidr(net);
  const base = ipv4ToInt(address);
  for (let h = host; h < 254; h++) {
    const addr = intToIpv4(base + h);
    if (!taken.some((c) => splitCidr(c).address === addr)) return `${addr}/${prefix}`;
  }
  return `${intToIpv4(base + host)}/${prefix}`;
}

/** The subnet a bridge's segment uses: its own address, else any addressed port's. */
function bridgeSubnet(doc: Topology, bridge: TopoNode): string | undefined {
  const own = bridge.addresses?.[0];
  const cidr = typeof own === 'string' ? own : own?.address;
  if (cidr && /\//.test(cidr)) return networkCidr(cidr);
  for (const l of doc.links) {
    for (const [end, peer] of [[l.a, l.b], [l.b, l.a]] as const) {
      if (peer.node === bridge.name && end.addresses?.[0]) return networkCidr(end.addresses[0]);
    }
  }
  return undefined;
}

function networkCidr(cidr: string): string {
  const { address, prefix } = splitCidr(cidr);
  const size = 2 ** (32 - prefix);
  return `${intToIpv4(Math.floor(ipv4ToInt(address) / size) * size)}/${prefix}`;
}

/**
 * Connect two nodes with a veth pair, seed-style: the host/bridge side gets veth0, the namespace side
 * veth1, addresses .101/.201 in a free /24. `ctx` is what the canvas shows (sandbox + drawing): names
 * and addresses are proposed so they clash with nothing there.
 */
export function addVeth(doc: Topology, from: string, to: string, ctx: Topology = doc): Topology {
  const a = findNode(ctx, from) ?? findNode(doc, from);
  const b = findNode(ctx, to) ?? findNode(doc, to);
  if (!a || !b || from === to) return doc;
  const used = usedIfnames(ctx);
  for (const x of usedIfnames(doc)) used.add(x);
  let k = 0;
  while (used.has(`veth${k}`) || used.has(`veth${k + 1}`)) k += 2;
  // The "outer" end (bridge or host) takes the even name, as in the seed.
  const outerFirst = !(b.kind === 'bridge' || b.kind === 'host') || a.kind === 'bridge' || a.kind === 'host';
  const [ifA, ifB] = outerFirst ? [`veth${k}`, `veth${k + 1}`] : [`veth${k + 1}`, `veth${k}`];
  const endA: VethEnd = { node: a.name, ifname: ifA };
  const endB: VethEnd = { node: b.name, ifname: ifB };
  const taken = [...allCidrs(ctx), ...allCidrs(doc)];
  const bridge = a.kind === 'bridge' ? a : b.kind === 'bridge' ? b : undefined;
  if (bridge && !(a.kind === 'bridge' && b.kind === 'bridge')) {
    const other = bridge === a ? endB : endA;
    const otherNode = bridge === a ? b : a;
    const net = bridgeSubnet(ctx, bridge) ?? bridgeSubnet(doc, bridge) ?? freeSubnet(taken);
    other.addresses = [hostIn(net, otherNode.kind === 'host' ? 1 : 101, taken)];
  } else if (!bridge) {
    const net = freeSubnet(taken);
    const first = hostIn(net, a.kind === 'host' ? 201 : 101, taken);
    endA.addresses = [first];
    endB.addresses = [hostIn(net, b.kind === 'host' ? 201 : 101, [...taken, first])];
  }
  return { ...doc, links: [...doc.links, { a: endA, b: endB }] };
}

// ---- small helpers ----

function omit<T extends object, K extends keyof T>(o: T, k: K): T {
  const c = { ...o };
  delete c[k];
  return c;
}

/** Drops undefined fields and empty lists/objects so saved documents stay tidy. */
export function clean<T extends object>(o: T): T {
  const out = { ...o } as Record<string, unknown>;
  for (const [k, v] of Object.entries(out)) {
    if (v === undefined) delete out[k];
    else if (Array.isArray(v) && v.length === 0) delete out[k];
    else if (v && typeof v === 'object' && !Array.isArray(v) && Object.keys(v).length === 0) delete out[k];
  }
  return out as T;
}
