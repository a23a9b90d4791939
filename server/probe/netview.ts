// The session's observed kernel state seen as one network: who owns which address, which veth end is
// whose peer, what a bridge connects, and which interfaces a frame crosses to reach an address on the
// link. Pure: built from ObservedState, no commands run.
import type { NamespaceState, ObservedLink, ObservedState } from '../observe/types.ts';
import { cidrContains, splitCidr } from '../topology/address.ts';

export interface IfRef { node: string; ifname: string }

/** An interface a frame crosses inside one L2 segment (veth ends, bridge ports, the bridge). */
export interface Crossing extends IfRef {
  dir: 'out' | 'in';
  bridge?: string;
}

/** An L3 interface reachable on the link from an egress interface, and what lies between. */
export interface Endpoint extends IfRef {
  link: ObservedLink;
  /** Interfaces crossed after the egress one, ending with the endpoint itself ('in'). */
  via: Crossing[];
  /** The first interface on the way (or the endpoint) that is down, if any. */
  down?: IfRef & { why: string };
  /** Bridges crossed (node + bridge name): bridged traffic may pass that node's iptables FORWARD. */
  bridges: IfRef[];
}

export interface LocalAddress extends IfRef { address: string; prefix: number; up: boolean }

const key = (node: string, ifname: string) => `${node}/${ifname}`;

export class NetView {
  readonly namespaces: Record<string, NamespaceState>;
  private readonly peers = new Map<string, IfRef>();

  constructor(readonly observed: ObservedState, readonly bridgeNodes: Record<string, string> = {}) {
    this.namespaces = observed.namespaces;
    this.pairVeths();
  }

  nodes(): string[] {
    return Object.keys(this.namespaces).sort((a, b) => (a === 'host' ? -1 : b === 'host' ? 1 : a.localeCompare(b)));
  }

  has(node: string): boolean {
    return this.namespaces[node] !== undefined;
  }

  link(node: string, ifname: string): ObservedLink | undefined {
    return this.namespaces[node]?.links.find((l) => l.ifname === ifname);
  }

  peerOf(node: string, ifname: string): IfRef | undefined {
    return this.peers.get(key(node, ifname));
  }

  sysctl(node: string, k: string): string | undefined {
    return this.namespaces[node]?.sysctls[k];
  }

  ipForward(node: string): boolean {
    return this.sysctl(node, 'net.ipv4.ip_forward') === '1';
  }

  /** br_netfilter: bridged IPv4 frames pass this namespace's iptables (the kernel's default is on). */
  bridgeNf(node: string): boolean {
    return this.sysctl(node, 'net.bridge.bridge-nf-call-iptables') !== '0';
  }

  /** Every IPv4 address of a node, interface by interface (loopback last). */
  addresses(node: string): LocalAddress[] {
    const ns = this.namespaces[node];
    if (!ns) return [];
    const out: LocalAddress[] = [];
    const links = [...ns.links].sort((a, b) => Number(a.kind === 'loopback') - Number(b.kind === 'loopback') || a.ifindex - b.ifindex);
    for (const l of links) {
      for (const cidr of l.addresses) {
        const { address, prefix } = splitCidr(cidr);
        out.push({ node, ifname: l.ifname, address, prefix, up: l.up });
      }
    }
    return out;
  }

  /** Interfaces (in any namespace) that hold this address. */
  owners(address: string): LocalAddress[] {
    return this.nodes().flatMap((n) => this.addresses(n).filter((a) => a.address === address));
  }

  isLocal(node: string, address: string): boolean {
    return this.addresses(node).some((a) => a.address === address) || address.startsWith('127.');
  }

  /**
   * A node's address to probe: first one on a subnet the source shares (so "netns1 → host" pings the
   * host's end of netns1's veth), else its first address that is not loopback, else a loopback one.
   */
  primaryAddress(node: string, from?: string): string | undefined {
    const mine = this.addresses(node).filter((a) => !a.address.startsWith('127.'));
    if (from && from !== node) {
      const theirs = this.addresses(from).filter((a) => a.up && a.ifname !== 'lo');
      const shared = mine.find((m) => m.up && theirs.some((t) => cidrContains(`${t.address}/${t.prefix}`, m.address)));
      if (shared) return shared.address;
    }
    return (mine.find((a) => a.ifname !== 'lo' && a.up) ?? mine.find((a) => a.ifname !== 'lo') ?? mine[0])?.address;
  }

  /** The namespace and interface of a drawn bridge node (bridges live in `host` unless drawn `in` another). */
  bridgeNode(name: string): IfRef | undefined {
    const ns = this.bridgeNodes[name];
    return ns !== undefined && this.link(ns, name) ? { node: ns, ifname: name } : undefined;
  }

  bridgeOf(node: string, ifname: string): string | undefined {
    const l = this.link(node, ifname);
    if (!l) return undefined;
    return l.kind === 'bridge' ? l.ifname : l.master;
  }

  /**
   * L3 interfaces a frame sent out of (node, ifname) can reach: the veth peer, or — through bridges —
   * the bridge itself and every other port's peer. Breadth-first, each interface once.
   */
  segment(node: string, ifname: string): Endpoint[] {
    const start = this.link(node, ifname);
    if (!start) return [];
    const out: Endpoint[] = [];
    const seen = new Set<string>([key(node, ifname)]);
    type Item = { at: IfRef; via: Crossing[]; down?: Endpoint['down']; bridges: IfRef[] };
    const queue: Item[] = [];
    const downOf = (n: string, l: ObservedLink, prev?: Endpoint['down']) =>
      prev ?? (!l.up ? { node: n, ifname: l.ifname, why: `${l.ifname} in ${n} is down` } : undefined);
    const enterBridge = (n: string, bridge: string, via: Crossing[], down: Endpoint['down'], bridges: IfRef[], skipPort?: string) => {
      const br = this.link(n, bridge);
      if (!br) return;
      const inBridges = [...bridges, { node: n, ifname: bridge }];
      if (!seen.has(key(n, bridge))) {
        seen.add(key(n, bridge));
        out.push({ node: n, ifname: bridge, link: br, via: [...via, { node: n, ifname: bridge, dir: 'in', bridge }], down: downOf(n, br, down), bridges: inBridges });
      }
      for (const port of this.namespaces[n].links.filter((p) => p.master === bridge && p.ifname !== skipPort)) {
        if (seen.has(key(n, port.ifname))) continue;
        seen.add(key(n, port.ifname));
        const crossing: Crossing = { node: n, ifname: port.ifname, dir: 'out', bridge };
        queue.push({ at: { node: n, ifname: port.ifname }, via: [...via, crossing], down: downOf(n, port, down), bridges: inBridges });
      }
    };
    if (start.kind === 'bridge') enterBridge(node, ifname, [], undefined, []);
    else queue.push({ at: { node, ifname }, via: [], bridges: [] });
    while (queue.length > 0) {
      const item = queue.shift()!;
      const peer = this.peerOf(item.at.node, item.at.ifname);
      if (!peer || seen.has(key(peer.node, peer.ifname))) continue;
      seen.add(key(peer.node, peer.ifname));
      const pl = this.link(peer.node, peer.ifname);
      if (!pl) continue;
      const down = downOf(peer.node, pl, item.down);
      if (pl.master) {
        const via = [...item.via, { node: peer.node, ifname: peer.ifname, dir: 'in' as const, bridge: pl.master }];
        enterBridge(peer.node, pl.master, via, down, item.bridges, peer.ifname);
        continue;
      }
      out.push({ node: peer.node, ifname: peer.ifname, link: pl, via: [...item.via, { node: peer.node, ifname: peer.ifname, dir: 'in' }], down, bridges: item.bridges });
    }
    return out;
  }

  // Veth ends name their peer by ifindex and the peer's namespace by a netnsid local to their own
  // namespace; ids that `ip netns list-id` could not name (the host is not under /run/netns) are
  // resolved by the peer pointing back.
  private pairVeths(): void {
    for (const [node, ns] of Object.entries(this.namespaces)) {
      for (const l of ns.links) {
        if (l.kind !== 'veth' || l.peerIfindex === undefined) continue;
        const peer = this.findPeer(node, l);
        if (peer) this.peers.set(key(node, l.ifname), peer);
      }
    }
  }

  private findPeer(node: string, l: ObservedLink): IfRef | undefined {
    const ns = this.namespaces[node];
    if (l.linkNetnsid === undefined) {
      const p = ns.links.find((x) => x.ifindex === l.peerIfindex);
      return p ? { node, ifname: p.ifname } : undefined;
    }
    const named = ns.netnsIds[l.linkNetnsid];
    if (named !== undefined && this.namespaces[named]) {
      const p = this.namespaces[named].links.find((x) => x.ifindex === l.peerIfindex);
      return p ? { node: named, ifname: p.ifname } : undefined;
    }
    const candidates: { ref: IfRef; pointsBack: boolean }[] = [];
    for (const [other, ons] of Object.entries(this.namespaces)) {
      if (other === node) continue;
      for (const m of ons.links) {
        if (m.kind !== 'veth' || m.ifindex !== l.peerIfindex || m.peerIfindex !== l.ifindex) continue;
        const back = m.linkNetnsid !== undefined ? ons.netnsIds[m.linkNetnsid] : undefined;
        if (back !== undefined && back !== node) continue;
        candidates.push({ ref: { node: other, ifname: m.ifname }, pointsBack: back === node });
      }
    }
    const sure = candidates.filter((c) => c.pointsBack);
    if (sure.length === 1) return sure[0].ref;
    if (candidates.length === 1) return candidates[0].ref;
    return candidates.find((c) => c.ref.node === 'host')?.ref;
  }
}
