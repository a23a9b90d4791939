// One real attempt from the kernel: ping or curl inside the source node, optionally with netfilter
// TRACE and tcpdump taps around it. Whatever was inserted or started is removed in `finally`.
import crypto from 'node:crypto';
import { parseIpNeighJson } from '../observe/parse-ip.ts';
import type { ObservedNeighbor } from '../observe/types.ts';
import type { Engine } from '../session/types.ts';
import { runIn } from './helpers.ts';
import type { IfRef } from './netview.ts';
import { startTaps, type TapHandle, type TapResult } from './taps.ts';
import { CURL_WRITE_OUT, parseCurl, parsePing, type KernelOutcome } from './tool-parse.ts';
import { startTrace, type TraceHandle } from './trace.ts';
import type { TracedPacket } from './trace-parse.ts';
import type { KernelEvidence } from './verdict.ts';

export interface ToolFlow {
  from: string;
  /** Bind to this source address (FROM given as an address). */
  src?: string;
  dst: string;
  proto: 'icmp' | 'tcp';
  port?: number;
}

function seconds(ms: number): string {
  return (Math.max(ms, 100) / 1000).toFixed(2);
}

/** ping -c 1 (own ICMP id) or curl (own source ports), bounded by `waitMs`. */
export function toolArgv(flow: ToolFlow, waitMs: number): string[] {
  if (flow.proto === 'icmp') {
    const ident = String(1 + crypto.randomInt(65534));
    return ['ping', '-n', '-c', '1', '-W', seconds(waitMs), '-e', ident, ...(flow.src ? ['-I', flow.src] : []), '--', flow.dst];
  }
  const base = 42000 + crypto.randomInt(20000);
  return ['curl', '-sS', '-v', '-o', '/dev/null', '-w', CURL_WRITE_OUT, '--noproxy', '*', '--connect-timeout', seconds(waitMs),
    '-m', seconds(waitMs + 1000), '--local-port', `${base}-${base + 20}`, ...(flow.src ? ['--interface', flow.src] : []),
    `http://${flow.dst}:${flow.port}/`];
}

export async function runTool(engine: Engine, id: string, flow: ToolFlow, waitMs: number): Promise<KernelOutcome> {
  const argv = toolArgv(flow, waitMs);
  const r = await runIn(engine, id, flow.from, argv, { timeoutMs: waitMs + (flow.proto === 'tcp' ? 2500 : 1500) });
  return flow.proto === 'icmp' ? parsePing(r) : parseCurl(r);
}

async function neighbours(engine: Engine, id: string, nodes: string[]): Promise<Record<string, ObservedNeighbor[]>> {
  const out: Record<string, ObservedNeighbor[]> = {};
  await Promise.all(nodes.map(async (n) => {
    const r = await runIn(engine, id, n, ['ip', '-4', '-j', 'neigh', 'show']).catch(() => null);
    out[n] = r ? parseIpNeighJson(r.stdout) : [];
  }));
  return out;
}

export interface TracedAttemptOptions {
  nodes: string[];
  taps: IfRef[];
  /** Nodes whose raw table existed before (so an empty one we made can be removed again). */
  hadRaw: Record<string, boolean>;
  waitMs: number;
  /** How many tools run at once in a batch (default 10). */
  concurrency?: number;
}

export async function mapLimited<T, R>(items: T[], limit: number, fn: (t: T) => Promise<R>): Promise<R[]> {
  const out: R[] = new Array(items.length);
  let next = 0;
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, async () => {
    while (next < items.length) {
      const i = next++;
      out[i] = await fn(items[i]);
    }
  }));
  return out;
}

/**
 * The flows again, all under one set of TRACE rules and monitors (in `nodes`) and taps (on `taps`):
 * each flow's packets are told apart by their addresses and IP IDs. All flows share one protocol.
 */
export async function tracedBatch(engine: Engine, id: string, flows: ToolFlow[], o: TracedAttemptOptions): Promise<KernelEvidence[]> {
  const probeId = crypto.randomBytes(4).toString('hex');
  const proto = flows[0]?.proto ?? 'icmp';
  let trace: TraceHandle | undefined;
  let taps: TapHandle | undefined;
  let traces: Record<string, TracedPacket[]> | undefined;
  let tapResults: TapResult[] | undefined;
  let outcomes: KernelOutcome[] = flows.map(() => ({ kind: 'error', message: 'the traced attempt did not run' }));
  let neigh: Record<string, ObservedNeighbor[]> | undefined;
  try {
    const [t, p] = await Promise.allSettled([
      startTrace(engine, id, o.nodes, probeId, proto, o.hadRaw),
      o.taps.length ? startTaps(engine, id, o.taps, proto) : Promise.resolve(undefined),
    ]);
    if (t.status === 'fulfilled') trace = t.value;
    if (p.status === 'fulfilled') taps = p.value;
    outcomes = await mapLimited(flows, o.concurrency ?? 10, (f) => runTool(engine, id, f, o.waitMs));
  } finally {
    // Neighbour entries only explain silence (ARP asked, never answered): read while cleaning up.
    const silent = outcomes.some((x) => x.kind === 'timeout' || x.kind === 'error');
    const [tr, tp, nb] = await Promise.all([
      trace?.stop().catch(() => undefined),
      taps?.stop().catch(() => undefined),
      silent ? neighbours(engine, id, o.nodes).catch(() => undefined) : undefined,
    ]);
    traces = tr;
    tapResults = tp;
    neigh = nb;
  }
  return outcomes.map((outcome) => ({ outcome, traces, taps: tapResults, neighbours: neigh }));
}

/** One flow under TRACE and taps. */
export async function tracedAttempt(engine: Engine, id: string, flow: ToolFlow, o: TracedAttemptOptions): Promise<KernelEvidence> {
  return (await tracedBatch(engine, id, [flow], o))[0];
}
