// The probe's answer: what the kernel said (ping/curl, TRACE verdicts, taps, neighbour table), explained
// with the route walk. The kernel decides whether it worked and, when it can tell, where it died; the
// walk fills in the why and the path. Pure.
import type { ObservedNeighbor } from '../observe/types.ts';
import type { NetView } from './netview.ts';
import type { TapResult } from './taps.ts';
import type { KernelOutcome } from './tool-parse.ts';
import { followFlow, forwardedBy, nodesSeen, type FlowTrace, type LegTrace } from './trace-flow.ts';
import type { TracedPacket, TraceStep } from './trace-parse.ts';
import type { DropInfo, Hop, HopRef, Reason } from './types.ts';
import type { WalkResult } from './walk.ts';

export interface KernelEvidence {
  outcome: KernelOutcome;
  /** Traced packets per node, when a trace ran. */
  traces?: Record<string, TracedPacket[]>;
  taps?: TapResult[];
  /** Neighbour entries per node read right after the attempt. */
  neighbours?: Record<string, ObservedNeighbor[]>;
}

export interface Decision {
  ok: boolean;
  reason?: Reason;
  hop?: HopRef;
  detail?: string;
  drop?: DropInfo;
  rtt_ms?: number;
  http?: { status: number; bytes: number };
  path: Hop[];
  evidence: 'kernel' | 'walk';
}

export interface DecideInput {
  view: NetView;
  walk: WalkResult;
  from: string;
  src?: string;
  dst: string;
  proto: 'icmp' | 'tcp';
  kernel: KernelEvidence;
}

const DROPS = new Set<Reason>(['forward-drop', 'input-drop', 'output-drop']);

/** The path up to where it died: the last hop at that node on the leg it died on. */
export function truncatePath(path: Hop[], hop: HopRef | undefined, leg: 'request' | 'reply'): Hop[] {
  if (!hop) return path;
  const legEnd = leg === 'request' ? path.findIndex((h) => h.leg === 'reply') : path.length;
  const upto = legEnd < 0 ? path.length : legEnd;
  for (let i = upto - 1; i >= 0; i--) if (path[i].node === hop.node) return path.slice(0, i + 1);
  return path.slice(0, upto);
}

function dropReason(node: string, step: TraceStep, leg: 'request' | 'reply', input: DecideInput, delivered: boolean): Reason {
  if (step.chain === 'FORWARD') return 'forward-drop';
  if (step.chain === 'INPUT') return 'input-drop';
  if (step.chain === 'OUTPUT') return 'output-drop';
  const origin = leg === 'request' ? input.from : input.walk.delivered?.node;
  if (step.chain === 'POSTROUTING') return node === origin ? 'output-drop' : 'forward-drop';
  if (step.chain === 'PREROUTING') return delivered ? 'input-drop' : 'forward-drop';
  // A user chain: the hook the packet was at decides.
  return 'forward-drop';
}

function fromTraceDrop(input: DecideInput, t: LegTrace, leg: 'request' | 'reply'): Partial<Decision> {
  const d = t.dropped!;
  const hook = d.hook;
  const delivered = hook === 'INPUT' || (hook === 'PREROUTING' && input.view.isLocal(d.node, d.packet.dst ?? ''));
  let reason = dropReason(d.node, d.step, leg, input, delivered);
  if (d.step.chain !== hook && ['FORWARD', 'INPUT', 'OUTPUT'].includes(hook)) reason = `${hook.toLowerCase()}-drop` as Reason;
  const drop: DropInfo = { node: d.node, table: d.step.table, chain: d.step.chain, verdict: d.step.verdict, leg };
  if (d.step.kind === 'policy') drop.policy = d.step.verdict;
  else if (d.step.rule) drop.rule = d.step.rule;
  const iface = hook === 'OUTPUT' || (hook === 'POSTROUTING' && !d.packet.in) ? d.packet.out : d.packet.in ?? d.packet.out;
  const what = drop.rule ? `the rule "${drop.rule}"` : `the ${d.step.chain} policy ${d.step.verdict}`;
  const detail = `${d.node} ${d.step.table} ${d.step.chain}: ${what} ${d.step.verdict === 'REJECT' ? 'rejected' : 'dropped'} the ${leg} (seen by netfilter TRACE)`;
  return { reason, hop: { node: d.node, interface: iface }, drop, detail };
}

/** ARP asked on a tapped interface and never answered: the address nobody has. */
function unansweredArp(taps: TapResult[] | undefined): { tap: TapResult; address: string } | undefined {
  for (const tap of taps ?? []) {
    const asked = tap.packets.filter((p) => p.proto === 'ARP' && p.info.startsWith('Request')).map((p) => p.dst);
    const answered = new Set(tap.packets.filter((p) => p.proto === 'ARP' && p.info.startsWith('Reply')).map((p) => p.src));
    const missing = asked.find((a) => !answered.has(a));
    if (missing) return { tap, address: missing };
  }
  return undefined;
}

function incompleteNeighbour(input: DecideInput, node: string): ObservedNeighbor | undefined {
  return input.kernel.neighbours?.[node]?.find((n) => n.state.some((s) => s === 'INCOMPLETE' || s === 'FAILED'));
}

/** The request went missing: find the last node that saw it and say why it went no further. */
function lostRequest(input: DecideInput, ft: FlowTrace): Partial<Decision> | null {
  const { walk, view } = input;
  const seen = nodesSeen(ft.request);
  if (seen.size === 0) return null;
  const order = [...new Set(walk.path.filter((h) => h.leg === 'request').map((h) => h.node))];
  const last = order.filter((n) => seen.has(n)).pop() ?? [...seen].pop()!;
  const arrived = ft.request.seen.find((s) => s.node === last && s.hook === 'PREROUTING');
  if (walk.hop && walk.reason && (walk.hop.node === last || !seen.has(walk.hop.node)) && !DROPS.has(walk.reason) && walk.reason !== 'no-return-path' && walk.reason !== 'port-closed') {
    return { reason: walk.reason, hop: walk.hop, detail: walk.detail };
  }
  if (arrived && last !== input.from && !forwardedBy(ft.request, last) && !view.isLocal(last, arrived.packet.dst ?? '')) {
    if (!view.ipForward(last)) {
      return { reason: 'ip-forward-off', hop: { node: last, interface: arrived.packet.in },
        detail: `${last} got the request on ${arrived.packet.in} but net.ipv4.ip_forward is 0: it does not route between its interfaces` };
    }
  }
  const neigh = incompleteNeighbour(input, last);
  if (neigh) {
    return { reason: 'arp-failed', hop: { node: last, interface: neigh.dev },
      detail: `${last} asked ARP for ${neigh.address} on ${neigh.dev} and got no answer (neighbour entry ${neigh.state.join(',')})` };
  }
  const out = ft.request.seen.filter((s) => s.node === last).map((s) => s.packet.out).find(Boolean);
  return { reason: 'timeout', hop: { node: last, interface: out ?? arrived?.packet.in },
    detail: `the request was last seen in ${last}${out ? ` leaving by ${out}` : ''}; nsplay cannot tell what happened next` };
}

function fromTraces(input: DecideInput): Partial<Decision> | null {
  const traces = input.kernel.traces;
  if (!traces) return null;
  const ft = followFlow(traces, { from: input.from, src: input.src, dst: input.dst, proto: input.proto });
  if (ft.request.dropped) return fromTraceDrop(input, ft.request, 'request');
  if (ft.reply.dropped) return fromTraceDrop(input, ft.reply, 'reply');
  if (ft.reply.ipId !== undefined || (input.walk.delivered && nodesSeen(ft.request).has(input.walk.delivered.node) && input.walk.delivered.node !== input.from)) {
    // The request arrived; the reply did not make it back (or was never sent).
    const w = input.walk;
    if ((w.reason === 'no-return-path' || w.reason === 'timeout') && w.hop) return { reason: w.reason, hop: w.hop, detail: w.detail };
    const firstReply = ft.reply.seen[0];
    const target = w.delivered ?? (firstReply ? { node: firstReply.node, interface: firstReply.packet.out } : { node: input.from });
    const lastReply = ft.reply.seen[ft.reply.seen.length - 1];
    if (!lastReply) {
      return { reason: 'timeout', hop: target, detail: `the request reached ${target.node}, but no reply left it` };
    }
    const hop = { node: lastReply.node, interface: lastReply.packet.out ?? lastReply.packet.in };
    return { reason: 'no-return-path', hop, detail: `the request reached ${target.node}; its reply was last seen in ${hop.node}` };
  }
  return lostRequest(input, ft);
}

function fromWalk(input: DecideInput, fallback: Reason, hop: HopRef, detail: string): Partial<Decision> {
  const w = input.walk;
  return w.ok || !w.reason ? { reason: fallback, hop, detail } : { reason: w.reason, hop: w.hop, detail: w.detail, drop: w.drop };
}

function decideFailure(input: DecideInput): Partial<Decision> & { evidence: 'kernel' | 'walk' } {
  const { outcome: o } = input.kernel;
  const w = input.walk;
  const traced = fromTraces(input);
  switch (o.kind) {
    case 'unreachable':
      if (w.reason && (w.reason === 'no-route' || w.reason === 'link-down') && w.hop?.node === input.from) return { reason: w.reason, hop: w.hop, detail: w.detail, evidence: 'kernel' };
      return { reason: 'no-route', hop: { node: input.from }, detail: `${input.from} has no route to ${input.dst} (${o.message})`, evidence: 'kernel' };
    case 'not-permitted':
      if (traced?.drop) return { ...traced, evidence: 'kernel' };
      return { ...fromWalk(input, 'output-drop', { node: input.from }, `${input.from}'s own netfilter OUTPUT refused to send (${o.message})`), evidence: 'kernel' };
    case 'refused':
      if (traced?.drop) return { ...traced, evidence: 'kernel' };
      if (w.drop?.verdict === 'REJECT') return { reason: w.reason, hop: w.hop, detail: w.detail, drop: w.drop, evidence: 'kernel' };
      return { reason: 'port-closed', hop: w.delivered ?? w.hop ?? { node: input.from },
        detail: w.reason === 'port-closed' ? w.detail : `the connection to ${input.dst} was refused (nothing listens on that port)`, evidence: 'kernel' };
    case 'icmp-error': {
      if (traced?.drop) return { ...traced, evidence: 'kernel' };
      const router = o.from ? input.view.owners(o.from)[0] : undefined;
      const node = router?.node ?? input.from;
      const inHop = w.path.find((h) => h.node === node && h.leg === 'request' && h.dir === 'in');
      if (o.error === 'net-unreachable') {
        return { reason: 'no-route', hop: { node, interface: inHop?.interface }, evidence: 'kernel',
          detail: w.reason === 'no-route' && w.hop?.node === node ? w.detail : `${node} has no route to ${input.dst}: it answered "${o.message}"` };
      }
      if (o.error === 'host-unreachable') {
        const outHop = w.path.find((h) => h.node === node && h.leg === 'request' && h.dir === 'out');
        return { reason: 'arp-failed', hop: { node, interface: outHop?.interface }, evidence: 'kernel',
          detail: w.reason === 'arp-failed' ? w.detail : `${node} could not reach the next hop: it answered "${o.message}"` };
      }
      return { ...fromWalk(input, 'forward-drop', { node, interface: inHop?.interface }, `${node} answered "${o.message}"`), evidence: 'kernel' };
    }
    default: {
      if (traced) return { ...traced, evidence: 'kernel' };
      const arp = unansweredArp(input.kernel.taps);
      if (arp) {
        return { reason: 'arp-failed', hop: { node: arp.tap.node, interface: arp.tap.ifname }, evidence: 'kernel',
          detail: w.reason === 'arp-failed' ? w.detail : `ARP for ${arp.address} on ${arp.tap.ifname} in ${arp.tap.node} got no answer` };
      }
      const hint = o.kind === 'error' ? ` (${o.message})` : '';
      return { ...fromWalk(input, 'timeout', { node: input.from }, `no answer from ${input.dst}${hint}, and nsplay could not tell where the packet went`), evidence: 'walk' };
    }
  }
}

export function decide(input: DecideInput): Decision {
  const o = input.kernel.outcome;
  if (o.kind === 'ok') {
    const d: Decision = { ok: true, path: input.walk.path, evidence: 'kernel' };
    if (o.rtt_ms !== undefined) d.rtt_ms = o.rtt_ms;
    if (o.http) d.http = o.http;
    if (!input.walk.ok) d.detail = `the kernel delivered it although the route walk predicted ${input.walk.reason} (${input.walk.detail})`;
    return d;
  }
  const f = decideFailure(input);
  const leg = f.drop?.leg ?? (f.reason === 'no-return-path' ? 'reply' : 'request');
  const d: Decision = { ok: false, reason: f.reason ?? 'timeout', path: truncatePath(input.walk.path, f.hop, leg), evidence: f.evidence };
  if (f.hop) d.hop = f.hop.interface === undefined ? { node: f.hop.node } : f.hop;
  if (f.detail) d.detail = f.detail;
  if (f.drop) d.drop = f.drop;
  return d;
}
