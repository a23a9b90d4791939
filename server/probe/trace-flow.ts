// Following one probe's request and reply through the traces of several namespaces. A packet keeps
// its IP identification from hook to hook and across routers (NAT rewrites addresses, not the ID), so
// the request is found once at its source and then recognised everywhere. Pure.
import { verdictOf, type TraceStep, type TracedPacket } from './trace-parse.ts';

export interface Sighting { node: string; hook: string; packet: TracedPacket }

export interface LegTrace {
  ipId?: number;
  seen: Sighting[];
  dropped?: Sighting & { step: TraceStep };
}

export interface FlowTrace { request: LegTrace; reply: LegTrace }

export interface FlowQuery {
  from: string;
  src?: string;
  dst: string;
  proto: 'icmp' | 'tcp';
}

function isRequest(p: TracedPacket, q: FlowQuery): boolean {
  if (p.dst !== q.dst || (q.src !== undefined && p.src !== q.src)) return false;
  return q.proto === 'icmp' ? p.sport === undefined : p.flags.includes('SYN') && !p.flags.includes('ACK');
}

function leg(traces: Record<string, TracedPacket[]>, ipId: number | undefined): LegTrace {
  if (ipId === undefined) return { seen: [] };
  const seen: Sighting[] = [];
  let dropped: LegTrace['dropped'];
  for (const [node, packets] of Object.entries(traces)) {
    for (const packet of packets) {
      if (packet.ipId !== ipId) continue;
      const v = verdictOf(packet);
      const s = { node, hook: v.hook, packet };
      seen.push(s);
      if (v.dropped && !dropped) dropped = { ...s, step: v.by! };
    }
  }
  return { ipId, seen, dropped };
}

/** The request as first seen (its source's OUTPUT, else anywhere), then everything with its IP ID; likewise the reply. */
export function followFlow(traces: Record<string, TracedPacket[]>, q: FlowQuery): FlowTrace {
  const fromOut = (traces[q.from] ?? []).find((p) => verdictOf(p).hook === 'OUTPUT' && isRequest(p, q));
  const anywhere = fromOut ?? Object.values(traces).flat().find((p) => isRequest(p, q));
  const request = leg(traces, anywhere?.ipId);
  // The reply leaves the node the request was delivered to, from the address the request went to there.
  let replyId: number | undefined;
  for (const s of request.seen) {
    if (s.hook === 'FORWARD' || s.hook === 'POSTROUTING') continue;
    const asSeen = s.packet;
    const reply = (traces[s.node] ?? []).find((p) => p.ipId !== request.ipId && verdictOf(p).hook === 'OUTPUT'
      && p.src === asSeen.dst && p.dst === asSeen.src
      && (q.proto === 'icmp' ? p.sport === undefined : p.flags.includes('ACK') || p.flags.includes('RST')));
    if (reply) { replyId = reply.ipId; break; }
  }
  return { request, reply: leg(traces, replyId) };
}

/** Nodes where a leg was seen arriving (PREROUTING) or being sent (OUTPUT). */
export function nodesSeen(l: LegTrace): Set<string> {
  return new Set(l.seen.map((s) => s.node));
}

/** True when `node` passed the packet on (FORWARD or POSTROUTING seen there). */
export function forwardedBy(l: LegTrace, node: string): boolean {
  return l.seen.some((s) => s.node === node && (s.hook === 'FORWARD' || s.hook === 'POSTROUTING'));
}
