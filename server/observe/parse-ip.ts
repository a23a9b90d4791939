// Parsers for `ip -j …` output (iproute2 6.1). Pure and tolerant: text that is not the JSON ip
// prints gives an empty result, never a throw. Only IPv4 is kept; IPv6 entries are skipped.
import type { ObservedLink, ObservedNeighbor, ObservedRoute, ObservedRule } from './types.ts';

type Obj = Record<string, unknown>;

const isObj = (v: unknown): v is Obj => typeof v === 'object' && v !== null && !Array.isArray(v);
const str = (v: unknown): string | undefined => (typeof v === 'string' ? v : undefined);
const num = (v: unknown): number | undefined => (typeof v === 'number' && Number.isFinite(v) ? v : undefined);
const strings = (v: unknown): string[] => (Array.isArray(v) ? v.filter((x): x is string => typeof x === 'string') : []);

const IPV4 = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})(\/\d{1,2})?$/;

export function isIpv4(text: string): boolean {
  return IPV4.test(text);
}

/** The array `ip -j` prints, or [] for anything else (empty output, an error message, truncated JSON). */
export function parseJsonArray(text: string): Obj[] {
  try {
    const value: unknown = JSON.parse(text);
    return Array.isArray(value) ? value.filter(isObj) : [];
  } catch {
    return [];
  }
}

/** `ip -j -d addr show`: links with their kind, state, bridge master, veth peer and IPv4 addresses. */
export function parseIpAddrJson(text: string): ObservedLink[] {
  const raw = parseJsonArray(text).filter((l) => str(l.ifname) !== undefined && num(l.ifindex) !== undefined);
  const indexByName = new Map(raw.map((l) => [l.ifname as string, l.ifindex as number]));
  return raw.map((l) => {
    const flags = strings(l.flags);
    const linkinfo = isObj(l.linkinfo) ? l.linkinfo : {};
    const kind = str(linkinfo.info_kind) ?? (l.link_type === 'loopback' ? 'loopback' : 'device');
    const operstate = str(l.operstate);
    const link: ObservedLink = {
      ifname: l.ifname as string,
      ifindex: l.ifindex as number,
      kind,
      up: flags.includes('UP'),
      operUp: flags.includes('LOWER_UP') && (operstate === 'UP' || operstate === 'UNKNOWN'),
      addresses: ipv4Addresses(l.addr_info),
    };
    const mac = str(l.address);
    if (mac !== undefined) link.mac = mac;
    const mtu = num(l.mtu);
    if (mtu !== undefined) link.mtu = mtu;
    const master = str(l.master);
    if (master !== undefined) link.master = master;
    if (kind === 'veth') {
      // Peer in another namespace: link_index (its ifindex there) + link_netnsid.
      // Peer in the same namespace: only "link" with the peer's name.
      const peer = num(l.link_index) ?? indexByName.get(str(l.link) ?? '');
      if (peer !== undefined) link.peerIfindex = peer;
      const nsid = num(l.link_netnsid);
      if (nsid !== undefined) link.linkNetnsid = nsid;
    }
    return link;
  });
}

function ipv4Addresses(addrInfo: unknown): string[] {
  if (!Array.isArray(addrInfo)) return [];
  const out: string[] = [];
  for (const a of addrInfo) {
    if (!isObj(a) || a.family !== 'inet') continue;
    const local = str(a.local);
    const len = num(a.prefixlen);
    if (local !== undefined && len !== undefined && isIpv4(local)) out.push(`${local}/${len}`);
  }
  return out;
}

/** `ip -j route show table all`: IPv4 routes of every table; `table` defaults to main, `type` to unicast. */
export function parseIpRouteJson(text: string): ObservedRoute[] {
  const out: ObservedRoute[] = [];
  for (const r of parseJsonArray(text)) {
    const dst = str(r.dst);
    if (dst === undefined || !(dst === 'default' || isIpv4(dst))) continue;
    // An IPv6 default route also says "default"; its gateway, source or router preference give it away.
    if ('pref' in r || str(r.gateway)?.includes(':') || str(r.prefsrc)?.includes(':')) continue;
    const route: ObservedRoute = {
      table: r.table === undefined ? 'main' : String(r.table),
      dst: dst === '0.0.0.0/0' ? 'default' : dst,
      type: str(r.type) ?? 'unicast',
    };
    const gateway = str(r.gateway);
    if (gateway !== undefined) route.gateway = gateway;
    const dev = str(r.dev);
    if (dev !== undefined) route.dev = dev;
    const scope = str(r.scope);
    if (scope !== undefined) route.scope = scope;
    const prefsrc = str(r.prefsrc);
    if (prefsrc !== undefined) route.prefsrc = prefsrc;
    const protocol = str(r.protocol);
    if (protocol !== undefined) route.protocol = protocol;
    const metric = num(r.metric);
    if (metric !== undefined) route.metric = metric;
    out.push(route);
  }
  return out;
}

// ip prints a prefix length only when it is not the full host length: "10.0.0.5", "10.0.0.0" + 24.
function selector(addr: string | undefined, len: number | undefined): string | undefined {
  if (addr === undefined) return undefined;
  if (addr === 'all') return 'all';
  return len === undefined || len === 32 ? addr : `${addr}/${len}`;
}

/** `ip -j rule show`: priority, from ("all", "10.0.0.0/24", "10.0.0.5"), to, table. */
export function parseIpRuleJson(text: string): ObservedRule[] {
  const out: ObservedRule[] = [];
  for (const r of parseJsonArray(text)) {
    const priority = num(r.priority);
    const from = selector(str(r.src), num(r.srclen));
    const to = selector(str(r.dst), num(r.dstlen));
    if (priority === undefined || from === undefined || from.includes(':') || to?.includes(':')) continue;
    // Rules without a lookup (unreachable, blackhole, goto) carry their action where the table would be.
    const table = r.table !== undefined ? String(r.table) : (str(r.action) ?? '');
    const rule: ObservedRule = { priority, from, table };
    if (to !== undefined) rule.to = to;
    out.push(rule);
  }
  return out;
}

/** `ip -j neigh show`: IPv4 entries with their link-layer address and NUD state flags. */
export function parseIpNeighJson(text: string): ObservedNeighbor[] {
  const out: ObservedNeighbor[] = [];
  for (const n of parseJsonArray(text)) {
    const address = str(n.dst);
    const dev = str(n.dev);
    if (address === undefined || dev === undefined || !isIpv4(address)) continue;
    const entry: ObservedNeighbor = { dev, address, state: strings(n.state) };
    const lladdr = str(n.lladdr);
    if (lladdr !== undefined) entry.lladdr = lladdr;
    out.push(entry);
  }
  return out;
}

/** `ip -j netns list-id`: nsid → namespace name, for the ids ip could name (those under /run/netns). */
export function parseNetnsIds(text: string): Record<number, string> {
  const out: Record<number, string> = {};
  for (const e of parseJsonArray(text)) {
    const nsid = num(e.nsid);
    const name = str(e.name);
    if (nsid !== undefined && name !== undefined) out[nsid] = name;
  }
  return out;
}
