// The route walk: follow one packet through the session's observed state the way the kernel would —
// route lookup, netfilter hooks, NAT, ARP on the link, bridges, veth peers — then its reply back,
// with conntrack undoing the NAT. Pure: the result is a prediction the kernel confirms or corrects.
import { runHook, type Hook, type HookContext, type Packet } from './netfilter.ts';
import type { NetView } from './netview.ts';
import { lookupRoute, describeRoute, type RouteChoice } from './route-lookup.ts';
import type { DropInfo, Hop, HopRef, Reason } from './types.ts';
import { cidrContains } from '../topology/address.ts';

export interface FlowSpec {
  from: string;
  /** Source address to use (FROM given as an address); else the kernel's choice. */
  src?: string;
  dst: string;
  proto: 'icmp' | 'tcp';
  dport?: number;
  sport?: number;
}

export interface WalkResult {
  ok: boolean;
  reason?: Reason;
  hop?: HopRef;
  detail?: string;
  drop?: DropInfo;
  path: Hop[];
  /** Where the request was delivered (the target node and the interface it came in on). */
  delivered?: HopRef;
  /** The source address the kernel would choose. */
  src?: string;
  /** Rules nsplay could not evaluate on the way (the kernel trace decides those). */
  uncertain: string[];
}

type Leg = 'request' | 'reply';
interface Flow { src: string; dst: string; sport?: number; dport?: number }
interface NatEntry { node: string; orig: Flow; now: Flow }
interface Fail { reason: Reason; hop: HopRef; detail: string; drop?: DropInfo }
interface LegState { node: string; iif?: string; pkt: Packet; leg: Leg; path: Hop[]; ct: NatEntry[]; uncertain: string[] }
type LegEnd = { delivered: HopRef; pkt: Packet } | { fail: Fail };

const MAX_HOPS = 32;

function ctx(view: NetView, node: string, inIf?: string, out?: string): HookContext {
  return {
    in: inIf, out,
    isLocal: (a) => view.isLocal(node, a),
    addressOf: (ifname) => view.link(node, ifname)?.addresses[0]?.split('/')[0],
  };
}

function dropFail(node: string, ifname: string | undefined, leg: Leg, v: ReturnType<typeof runHook>, reason: Reason): Fail {
  const drop: DropInfo = { node, table: v.table!, chain: v.chain!, verdict: v.verdict, leg };
  if (v.rule) drop.rule = v.rule;
  if (v.policy) drop.policy = v.policy;
  const what = v.rule ? `the rule "${v.rule}"` : `the ${v.chain} policy ${v.policy}`;
  const detail = `${node} ${v.table} ${v.chain}: ${what} ${v.verdict === 'REJECT' ? 'rejected' : 'dropped'} the ${leg}`;
  return { reason, hop: { node, interface: ifname }, detail, drop };
}

function hop(st: LegState, node: string, ifname: string | undefined, dir: Hop['dir'], view: NetView, nat?: string): Hop {
  const h = { node } as Hop;
  if (ifname !== undefined) h.interface = ifname;
  h.dir = dir;
  h.leg = st.leg;
  const bridge = ifname ? view.bridgeOf(node, ifname) : undefined;
  if (bridge) h.bridge = bridge;
  if (st.pkt.src) h.src = st.pkt.src;
  h.dst = st.pkt.dst;
  if (nat) h.nat = nat;
  return h;
}

/** A NAT rewrite applied to the packet; returns the text shown on the hop. */
function applyNat(st: LegState, nat: NonNullable<ReturnType<typeof runHook>['nat']>): string {
  const before: Flow = { src: st.pkt.src, dst: st.pkt.dst, sport: st.pkt.sport, dport: st.pkt.dport };
  const port = (p?: number) => (p === undefined ? '' : `:${p}`);
  let text: string;
  if (nat.target === 'DNAT' || nat.target === 'REDIRECT') {
    if (nat.address) st.pkt.dst = nat.address;
    if (nat.port !== undefined && st.pkt.proto === 'tcp') st.pkt.dport = nat.port;
    text = `${nat.target} ${before.dst}${port(before.dport)} → ${st.pkt.dst}${port(st.pkt.dport)}`;
  } else {
    if (nat.address) st.pkt.src = nat.address;
    text = `${nat.target} ${before.src} → ${st.pkt.src}`;
  }
  const entry = st.ct.find((e) => e.node === st.node);
  if (entry) entry.now = { src: st.pkt.src, dst: st.pkt.dst, sport: st.pkt.sport, dport: st.pkt.dport };
  else st.ct.push({ node: st.node, orig: before, now: { src: st.pkt.src, dst: st.pkt.dst, sport: st.pkt.sport, dport: st.pkt.dport } });
  return text;
}

/** Conntrack: a reply entering a node that NATed the request gets the original addresses back. */
function undoNat(st: LegState): string | undefined {
  if (st.leg !== 'reply') return undefined;
  const e = st.ct.find((x) => x.node === st.node && x.now.dst === st.pkt.src && x.now.src === st.pkt.dst);
  if (!e || (e.now.src === e.orig.src && e.now.dst === e.orig.dst)) return undefined;
  const text = `conntrack ${st.pkt.src} → ${st.pkt.dst} becomes ${e.orig.dst} → ${e.orig.src}`;
  st.pkt.src = e.orig.dst;
  st.pkt.dst = e.orig.src;
  if (st.pkt.proto === 'tcp') { st.pkt.sport = e.orig.dport; st.pkt.dport = e.orig.sport; }
  return text;
}

function runNf(view: NetView, st: LegState, hook: Hook, c: HookContext) {
  const v = runHook(view.namespaces[st.node].iptables, hook, st.pkt, c);
  st.uncertain.push(...v.uncertain.map((u) => `${st.node}: ${u}`));
  return v;
}

/** An interface that is down and holds an address on dst's subnet: its routes went with it. */
function downInterfaceFor(view: NetView, node: string, dst: string): HopRef | undefined {
  const a = view.addresses(node).find((x) => !x.up && cidrContains(`${x.address}/${x.prefix}`, dst));
  return a ? { node, interface: a.ifname } : undefined;
}

function noRoute(view: NetView, st: LegState, r: RouteChoice | null, arrivedOn?: string): Fail {
  const down = downInterfaceFor(view, st.node, st.pkt.dst);
  if (down) return { reason: 'link-down', hop: down, detail: `${down.interface} in ${st.node} is down, so its route to ${st.pkt.dst} is gone` };
  const why = r ? `its route "${describeRoute(r.route)}" says ${r.type}` : `it has no route to ${st.pkt.dst}`;
  let detail: string;
  if (st.iif !== undefined) detail = `${st.node} got the ${st.leg} on ${st.iif} but ${why}`;
  else if (st.leg === 'reply') detail = `${st.node} has no route back to ${st.pkt.dst}`;
  else detail = `${st.node} cannot send to ${st.pkt.dst}: ${why} (ping: connect: Network is unreachable)`;
  return { reason: 'no-route', hop: { node: st.node, interface: st.iif ?? arrivedOn }, detail };
}

function selectSource(view: NetView, node: string, r: RouteChoice, nexthop: string): string | undefined {
  if (r.prefsrc) return r.prefsrc;
  const all = view.addresses(node).filter((a) => !a.address.startsWith('127.'));
  const onDev = all.filter((a) => a.ifname === r.dev);
  return (onDev.find((a) => cidrContains(`${a.address}/${a.prefix}`, nexthop)) ?? onDev[0] ?? all.find((a) => a.up) ?? all[0])?.address;
}

/** The packet leaves `node` by `dev` towards `nexthop`: ARP on the link, bridges, the peer end. */
function egress(view: NetView, st: LegState, dev: string, nexthop: string): Fail | undefined {
  const link = view.link(st.node, dev);
  if (!link) return { reason: 'no-route', hop: { node: st.node }, detail: `${st.node} routes ${st.pkt.dst} to ${dev}, which does not exist` };
  if (!link.up) return { reason: 'link-down', hop: { node: st.node, interface: dev }, detail: `${dev} in ${st.node} is down` };
  st.path.push(hop(st, st.node, dev, 'out', view));
  const endpoints = view.segment(st.node, dev);
  const neigh = view.namespaces[st.node].neighbors.find((n) => n.address === nexthop && n.dev === dev && n.state.includes('PERMANENT'));
  const ep = neigh?.lladdr
    ? endpoints.find((e) => e.link.mac === neigh.lladdr)
    : endpoints.find((e) => e.link.addresses.some((a) => a.split('/')[0] === nexthop))
      ?? endpoints.find((e) => view.sysctl(e.node, `net.ipv4.conf.${e.ifname}.proxy_arp`) === '1'
        && lookupRoute(view.namespaces[e.node], nexthop)?.dev !== e.ifname);
  if (!ep) {
    const detail = neigh?.lladdr
      ? `${st.node} has a static ARP entry ${nexthop} → ${neigh.lladdr} on ${dev}, but no interface on that link has this MAC`
      : endpoints.length === 0
        ? `${dev} in ${st.node} leads nowhere (its peer is gone), so nobody answers ARP for ${nexthop}`
        : `nobody on the link of ${dev} in ${st.node} has ${nexthop}: ARP gets no answer`;
    return { reason: 'arp-failed', hop: { node: st.node, interface: dev }, detail };
  }
  if (ep.down) return { reason: 'link-down', hop: { node: ep.down.node, interface: ep.down.ifname }, detail: `${ep.down.why}: frames from ${st.node} ${dev} cannot pass` };
  for (const c of ep.via) {
    if (c.dir === 'out' && c.bridge && view.bridgeNf(c.node)) {
      const v = runHook(view.namespaces[c.node].iptables, 'FORWARD', st.pkt, ctx(view, c.node, c.bridge, c.bridge));
      if (v.verdict !== 'ACCEPT') {
        const f = dropFail(c.node, c.bridge, st.leg, v, 'forward-drop');
        return { ...f, detail: `${f.detail} while bridging through ${c.bridge} (br_netfilter passes bridged packets to iptables)` };
      }
    }
    if (c.node !== ep.node || c.ifname !== ep.ifname) st.path.push({ ...hop(st, c.node, c.ifname, c.dir, view) });
  }
  st.node = ep.node;
  st.iif = ep.ifname;
  return undefined;
}

function deliver(view: NetView, st: LegState, iif: string | undefined): LegEnd {
  st.path.push(hop(st, st.node, iif, 'local', view));
  return { delivered: { node: st.node, interface: iif }, pkt: st.pkt };
}

/** A packet made by a process (or the kernel's reply) in st.node. */
function localOut(view: NetView, st: LegState, arrivedOn?: string): LegEnd | Fail | 'next' {
  let r = lookupRoute(view.namespaces[st.node], st.pkt.dst, st.pkt.src || undefined);
  if (!r || (r.type !== 'unicast' && r.type !== 'local')) return noRoute(view, st, r, arrivedOn);
  const nexthop0 = r.gateway ?? st.pkt.dst;
  if (!st.pkt.src) st.pkt.src = r.type === 'local' ? st.pkt.dst : selectSource(view, st.node, r, nexthop0) ?? '0.0.0.0';
  const out = r.type === 'local' ? 'lo' : r.dev;
  const v = runNf(view, st, 'OUTPUT', ctx(view, st.node, undefined, out));
  if (v.verdict !== 'ACCEPT') return dropFail(st.node, out ?? arrivedOn, st.leg, v, 'output-drop');
  const natText = v.nat ? applyNat(st, v.nat) : undefined;
  if (v.nat) {
    r = lookupRoute(view.namespaces[st.node], st.pkt.dst, st.pkt.src);
    if (!r || (r.type !== 'unicast' && r.type !== 'local')) return noRoute(view, st, r, arrivedOn);
  }
  if (r.type === 'local') {
    const owner = view.addresses(st.node).find((a) => a.address === st.pkt.dst)?.ifname ?? 'lo';
    const iv = runNf(view, st, 'INPUT', ctx(view, st.node, 'lo'));
    if (iv.verdict !== 'ACCEPT') return dropFail(st.node, owner, st.leg, iv, 'input-drop');
    if (natText) st.path.push(hop(st, st.node, owner, 'out', view, natText));
    return deliver(view, st, owner);
  }
  const pv = runNf(view, st, 'POSTROUTING', ctx(view, st.node, undefined, r.dev));
  if (pv.verdict !== 'ACCEPT') return dropFail(st.node, r.dev, st.leg, pv, 'output-drop');
  const snat = pv.nat ? applyNat(st, pv.nat) : undefined;
  const before = st.path.length;
  const f = egress(view, st, r.dev!, r.gateway ?? st.pkt.dst);
  if (f) return f;
  if (natText || snat) st.path[before].nat = [natText, snat].filter(Boolean).join('; ');
  return 'next';
}

/** A packet arriving at st.node on st.iif: PREROUTING, the routing decision, INPUT or FORWARD. */
function arrive(view: NetView, st: LegState): LegEnd | Fail | 'next' {
  const iif = st.iif!;
  const undone = undoNat(st);
  st.path.push(hop(st, st.node, iif, 'in', view, undone));
  const pre = runNf(view, st, 'PREROUTING', ctx(view, st.node, iif));
  const localBefore = lookupRoute(view.namespaces[st.node], st.pkt.dst, st.pkt.src)?.type === 'local';
  if (pre.verdict !== 'ACCEPT') return dropFail(st.node, iif, st.leg, pre, localBefore ? 'input-drop' : 'forward-drop');
  if (pre.nat) st.path[st.path.length - 1].nat = applyNat(st, pre.nat);
  const r = lookupRoute(view.namespaces[st.node], st.pkt.dst, st.pkt.src);
  if (r?.type === 'local') {
    const v = runNf(view, st, 'INPUT', ctx(view, st.node, iif));
    if (v.verdict !== 'ACCEPT') return dropFail(st.node, iif, st.leg, v, 'input-drop');
    st.path[st.path.length - 1].dir = 'local';
    return { delivered: { node: st.node, interface: iif }, pkt: st.pkt };
  }
  if (!view.ipForward(st.node)) {
    return { reason: 'ip-forward-off', hop: { node: st.node, interface: iif },
      detail: `${st.node} got the ${st.leg} for ${st.pkt.dst} on ${iif} but net.ipv4.ip_forward is 0: it does not route between its interfaces` };
  }
  if (!r || r.type !== 'unicast') return noRoute(view, st, r);
  const fv = runNf(view, st, 'FORWARD', ctx(view, st.node, iif, r.dev));
  if (fv.verdict !== 'ACCEPT') return dropFail(st.node, iif, st.leg, fv, 'forward-drop');
  const pv = runNf(view, st, 'POSTROUTING', ctx(view, st.node, iif, r.dev));
  if (pv.verdict !== 'ACCEPT') return dropFail(st.node, iif, st.leg, pv, 'forward-drop');
  const nat = pv.nat ? applyNat(st, pv.nat) : undefined;
  const before = st.path.length;
  const f = egress(view, st, r.dev!, r.gateway ?? st.pkt.dst);
  if (f) return f;
  if (nat) st.path[before].nat = nat;
  return 'next';
}

function walkLeg(view: NetView, st: LegState, arrivedOn?: string): LegEnd {
  const first = localOut(view, st, arrivedOn);
  if (first !== 'next') return 'reason' in first ? { fail: first } : first;
  for (let i = 0; i < MAX_HOPS; i++) {
    const step = arrive(view, st);
    if (step === 'next') continue;
    if ('reason' in step) return { fail: step };
    return step;
  }
  return { fail: { reason: 'timeout', hop: { node: st.node, interface: st.iif }, detail: `the ${st.leg} loops (more than ${MAX_HOPS} hops)` } };
}

/** How the reply could get back: a route on the far side, or source NAT on the last router. */
function returnHint(view: NetView, reqPath: Hop[], src: string, failedAt: string): string {
  const natted = reqPath.some((h) => h.nat && !h.nat.startsWith('DNAT') && !h.nat.startsWith('REDIRECT'));
  const lastOut = reqPath.filter((h) => h.dir === 'out' && h.node !== reqPath[0]?.node).pop();
  if (natted || !lastOut?.interface) return '';
  const gw = view.link(lastOut.node, lastOut.interface)?.addresses[0]?.split('/')[0];
  const route = gw ? `a route back to ${src} via ${gw}` : `a route back to ${src}`;
  return ` (either ${failedAt} gets ${route}, or ${lastOut.node} MASQUERADEs what leaves by ${lastOut.interface})`;
}

/** Walks the request to its target and the reply back to the source. */
export function walkFlow(view: NetView, flow: FlowSpec): WalkResult {
  const ct: NatEntry[] = [];
  const uncertain: string[] = [];
  const pkt: Packet = { src: flow.src ?? '', dst: flow.dst, proto: flow.proto, state: 'NEW', icmpType: 8, syn: true };
  if (flow.proto === 'tcp') { pkt.dport = flow.dport; pkt.sport = flow.sport ?? 40000; delete pkt.icmpType; }
  if (!view.has(flow.from)) {
    return { ok: false, reason: 'no-route', hop: { node: flow.from }, detail: `there is no node ${flow.from} in this session`, path: [], uncertain };
  }
  const req: LegState = { node: flow.from, pkt, leg: 'request', path: [], ct, uncertain };
  const out = walkLeg(view, req);
  const src = req.pkt.src && req.path[0]?.src;
  if ('fail' in out) {
    // Died before leaving the source: one hop there, so the UI can show where.
    const path = req.path.length > 0 ? req.path : [{ ...hop(req, flow.from, out.fail.hop.node === flow.from ? out.fail.hop.interface : undefined, 'out', view) }];
    return { ok: false, ...out.fail, path, src: src || undefined, uncertain };
  }
  const target = out.delivered;
  if (flow.proto === 'icmp' && view.sysctl(target.node, 'net.ipv4.icmp_echo_ignore_all') === '1') {
    return { ok: false, reason: 'timeout', hop: target, path: req.path, delivered: target, src, uncertain,
      detail: `the echo request reached ${target.node}, which ignores pings (net.ipv4.icmp_echo_ignore_all = 1): no reply, no error` };
  }
  if (flow.proto === 'tcp') {
    const ns = view.namespaces[target.node];
    if (!ns.listening.includes(out.pkt.dport ?? 0)) {
      return { ok: false, reason: 'port-closed', hop: target, path: req.path, delivered: target, src, uncertain,
        detail: `the connection reached ${target.node}, but nothing there listens on TCP port ${out.pkt.dport} (connection refused)` };
    }
  }
  const reply: Packet = { src: out.pkt.dst, dst: out.pkt.src, proto: flow.proto, state: 'ESTABLISHED', sport: out.pkt.dport, dport: out.pkt.sport,
    icmpType: flow.proto === 'icmp' ? 0 : undefined, syn: flow.proto === 'tcp', ack: flow.proto === 'tcp' };
  const rep: LegState = { node: target.node, pkt: reply, leg: 'reply', path: [], ct, uncertain };
  const back = walkLeg(view, rep, target.interface);
  const path = [...req.path, ...rep.path];
  if ('fail' in back) {
    const f = back.fail;
    const lost = f.reason === 'no-route' || f.reason === 'arp-failed' || f.reason === 'link-down';
    if (!lost) return { ok: false, ...f, path, delivered: target, src, uncertain };
    return { ok: false, reason: 'no-return-path', hop: f.hop, path, delivered: target, src, uncertain,
      detail: `the request reached ${target.node}, but the reply to ${reply.dst} cannot come back: ${f.detail}${f.reason === 'no-route' ? returnHint(view, req.path, reply.dst, f.hop.node) : ''}` };
  }
  if (back.delivered.node !== flow.from) {
    return { ok: false, reason: 'no-return-path', hop: back.delivered, path, delivered: target, src, uncertain,
      detail: `the reply to ${reply.dst} went to ${back.delivered.node}, which also has that address, not to ${flow.from}` };
  }
  return { ok: true, path, delivered: target, src, uncertain };
}
