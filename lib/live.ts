// The kernel overlay: what the observer saw, matched against the drawing. Derived, never edited,
// never in the undo stack.
import type { NamespaceState, ObservedLink } from '../server/observe/types.ts';
import type { Drift, SessionStatus } from '../server/session/types.ts';
import type { Topology, TopoNode, VethEnd } from '../server/topology/schema.ts';

export type NodeState = 'planned' | 'up' | 'missing';
/** planned: not applied yet · up/down: both ends in the kernel · drift: applied but gone or changed. */
export type LinkState = 'planned' | 'up' | 'down' | 'drift';

export interface NodeLive {
  state: NodeState;
  ns?: NamespaceState;
  /** Interfaces the kernel has in this node that neither the drawing nor the sandbox explains. */
  extra: ObservedLink[];
  drift: Drift[];
}

export interface LinkLive { state: LinkState; ends: [ObservedLink | undefined, ObservedLink | undefined]; drift: Drift[] }

/** Made outside the drawing: a namespace, or a bridge (then `ns` is the namespace it lives in). */
export interface Ghost { name: string; ns: NamespaceState; bridge?: { in: string; link: ObservedLink; ports: string[] } }

/** An observed veth between two ghosts (a namespace's end and the bridge its peer is a port of). */
export interface GhostLink { a: string; b: string; aIf: string; bIf: string; up: boolean }

export interface Live {
  nodes: Record<string, NodeLive>;
  links: LinkLive[];
  ghosts: Ghost[];
  ghostLinks: GhostLink[];
  drift: Drift[];
  at: number;
}

/** The namespace an end's interface lives in: a bridge port lives where its bridge does. */
export function endNs(doc: Topology, end: VethEnd): string {
  const n = doc.nodes.find((x) => x.name === end.node);
  return n?.kind === 'bridge' ? (n.in ?? 'host') : end.node;
}

export function nodeNs(n: TopoNode): string {
  return n.kind === 'bridge' ? (n.in ?? 'host') : n.name;
}

function findLink(ns: NamespaceState | undefined, ifname: string): ObservedLink | undefined {
  return ns?.links.find((l) => l.ifname === ifname);
}

const pairKey = (doc: Topology, e: VethEnd) => `${endNs(doc, e)}/${e.ifname}`;

export function deriveLive(doc: Topology, status: SessionStatus | undefined): Live | undefined {
  if (!status) return undefined;
  const { observed, desired, drift } = status;
  const spaces = observed.namespaces;
  const appliedNodes = new Set(desired.nodes.map((n) => n.name));
  const appliedEnds = new Set(desired.links.flatMap((l) => [pairKey(desired, l.a), pairKey(desired, l.b)]));
  for (const n of desired.nodes) if (n.kind === 'bridge') appliedEnds.add(`${nodeNs(n)}/${n.name}`);
  // Interfaces the drawing or the sandbox accounts for, per namespace.
  const known = new Set(appliedEnds);
  for (const l of doc.links) { known.add(pairKey(doc, l.a)); known.add(pairKey(doc, l.b)); }
  for (const n of doc.nodes) if (n.kind === 'bridge') known.add(`${nodeNs(n)}/${n.name}`);
  const driftAt = (node: string, ifname?: string) => drift.filter((d) => {
    const f = d.fact as { node?: string; name?: string; ifname?: string };
    const where = f.node ?? f.name ?? d.node;
    return where === node && (ifname === undefined || f.ifname === ifname);
  });

  const nodes: Record<string, NodeLive> = {};
  for (const n of doc.nodes) {
    const nsName = nodeNs(n);
    const ns = spaces[nsName];
    const isThere = n.kind === 'bridge' ? !!findLink(ns, n.name) : n.kind === 'container' ? observed.containers.includes(n.name) || !!ns : !!ns;
    const applied = appliedNodes.has(n.name) || n.kind === 'host';
    const state: NodeState = isThere ? 'up' : applied ? 'missing' : 'planned';
    const extra = n.kind === 'bridge' || !ns ? [] : ns.links.filter((l) => l.kind !== 'loopback' && !known.has(`${nsName}/${l.ifname}`));
    nodes[n.name] = { state, ns: n.kind === 'bridge' ? undefined : ns, extra, drift: driftAt(n.name).filter((d) => !(d.fact as { ifname?: string }).ifname) };
  }

  const links: LinkLive[] = doc.links.map((l) => {
    const ends: [ObservedLink | undefined, ObservedLink | undefined] = [
      findLink(spaces[endNs(doc, l.a)], l.a.ifname), findLink(spaces[endNs(doc, l.b)], l.b.ifname),
    ];
    const d = [...driftAt(endNs(doc, l.a), l.a.ifname), ...driftAt(endNs(doc, l.b), l.b.ifname)];
    const applied = appliedEnds.has(pairKey(doc, l.a)) || appliedEnds.has(pairKey(doc, l.b));
    let state: LinkState;
    if (ends[0] && ends[1]) state = d.some((x) => x.kind === 'missing') ? 'drift' : ends[0].operUp && ends[1].operUp ? 'up' : 'down';
    else state = applied || d.length > 0 ? 'drift' : 'planned';
    return { state, ends, drift: d };
  });

  const drawn = new Set(doc.nodes.map((n) => n.name));
  const infra = new Set(status.info.nodes);
  const ghosts: Ghost[] = Object.entries(spaces)
    .filter(([name]) => !drawn.has(name) && !infra.has(name) && !appliedNodes.has(name) && name !== 'host')
    .map(([name, ns]): Ghost => ({ name, ns }))
    .sort((x, y) => x.name.localeCompare(y.name, 'en', { numeric: true }));

  // Bridges made by hand (a lab's `ip link add br0 type bridge`) in the host or in a ghost namespace.
  const taken = new Set([...drawn, ...infra, ...ghosts.map((g) => g.name)]);
  const bridgeHomes = ['host', ...ghosts.map((g) => g.name)];
  const ghostBridges: Ghost[] = [];
  for (const home of bridgeHomes) {
    const ns = spaces[home];
    for (const l of ns?.links ?? []) {
      if (l.kind !== 'bridge' || known.has(`${home}/${l.ifname}`) || taken.has(l.ifname)) continue;
      taken.add(l.ifname);
      ghostBridges.push({ name: l.ifname, ns, bridge: { in: home, link: l, ports: ns.links.filter((p) => p.master === l.ifname).map((p) => p.ifname) } });
    }
  }
  // A ghost namespace's veth whose peer is a port of a ghost bridge: match both ifindexes.
  const ghostLinks: GhostLink[] = [];
  for (const g of ghosts) {
    for (const l of g.ns.links) {
      if (l.kind !== 'veth' || l.peerIfindex === undefined) continue;
      for (const b of ghostBridges) {
        const peer = b.ns.links.find((p) => p.ifindex === l.peerIfindex && p.peerIfindex === l.ifindex && p.master === b.name);
        if (peer) ghostLinks.push({ a: g.name, b: b.name, aIf: l.ifname, bIf: peer.ifname, up: l.operUp && peer.operUp });
      }
    }
  }

  return { nodes, links, ghosts: [...ghosts, ...ghostBridges], ghostLinks, drift, at: observed.at };
}
