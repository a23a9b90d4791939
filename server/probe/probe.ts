// probe(): can FROM reach TO, and if not, where and why did the packet die. Observe the session, walk
// the route, ask the kernel (a plain ping/curl first; when it times out or disagrees with the walk, a
// second attempt under netfilter TRACE and tcpdump taps), then explain.
import type { Engine } from '../session/types.ts';
import { runTool, tracedAttempt, type ToolFlow } from './attempt.ts';
import type { NetView } from './netview.ts';
import { takeSnapshot, type Snapshot } from './snapshot.ts';
import { removeStaleTraceRules, staleTraceRules } from './trace.ts';
import { parseSource, parseTarget, type Endpoint } from './target.ts';
import type { KernelOutcome } from './tool-parse.ts';
import type { ProbeResult } from './types.ts';
import { decide, type KernelEvidence } from './verdict.ts';
import { walkFlow, type WalkResult } from './walk.ts';

/** A FROM or TO that cannot be probed (bad syntax, unknown node, a node without an address). */
export class ProbeInputError extends Error {
  constructor(message: string) { super(message); this.name = 'ProbeInputError'; }
}

export interface ProbeOptions {
  /** How long the traced attempt waits for an answer (default 800 ms). */
  waitMs?: number;
  /** How long the first, plain attempt waits (default 400 ms: namespaces answer in microseconds). */
  quickWaitMs?: number;
  /** Run the traced attempt when the plain one fails without a clear answer (default true). */
  trace?: boolean;
  /** Reuse an observation (the matrix takes one for all pairs). */
  snapshot?: Snapshot;
}

export interface ResolvedFlow {
  from: string;
  src?: string;
  dst: string;
  targetNode?: string;
  proto: 'icmp' | 'tcp';
  port?: number;
}

function nodeOf(view: NetView, name: string): { node: string; address?: string } | undefined {
  if (view.has(name)) return { node: name };
  const br = view.bridgeNode(name);
  if (br) return { node: br.node, address: view.link(br.node, br.ifname)?.addresses[0]?.split('/')[0] };
  return undefined;
}

function unknownNode(view: NetView, name: string): ProbeInputError {
  return new ProbeInputError(`this session has no node '${name}' (nodes: ${view.nodes().join(', ')})`);
}

/** FROM and TO, resolved against what the kernel has now. */
export function resolveFlow(view: NetView, from: Endpoint, to: Endpoint): ResolvedFlow {
  let source: { node: string; address?: string };
  if (from.kind === 'node') {
    const n = nodeOf(view, from.node);
    if (!n) throw unknownNode(view, from.node);
    source = n;
  } else {
    const owner = view.owners(from.address)[0];
    if (!owner) throw new ProbeInputError(`no node of this session has the address ${from.address}`);
    source = { node: owner.node, address: from.address };
  }
  let dst: string;
  let targetNode: string | undefined;
  if (to.kind === 'node') {
    const n = nodeOf(view, to.node);
    if (!n) throw unknownNode(view, to.node);
    const a = n.address ?? view.primaryAddress(n.node, source.node);
    if (!a) throw new ProbeInputError(`node '${to.node}' has no IPv4 address to probe`);
    dst = a;
    targetNode = n.node;
  } else {
    dst = to.address;
    targetNode = view.owners(dst)[0]?.node;
  }
  const flow: ResolvedFlow = { from: source.node, dst, proto: to.port === undefined ? 'icmp' : 'tcp' };
  if (source.address) flow.src = source.address;
  if (targetNode) flow.targetNode = targetNode;
  if (to.port !== undefined) flow.port = to.port;
  return flow;
}

/** TRACE rules a crashed nsplay process left behind (its PID is gone) are removed before probing. */
async function removeStaleTraces(engine: Engine, id: string, view: NetView): Promise<void> {
  const raw: Record<string, { chain: string; spec: string }[]> = {};
  for (const n of view.nodes()) raw[n] = view.namespaces[n].iptables.rules.raw ?? [];
  const stale = staleTraceRules(raw, (pid) => {
    try { process.kill(pid, 0); return true; } catch (e) { return (e as NodeJS.ErrnoException).code === 'EPERM'; }
  });
  if (stale.length > 0) await removeStaleTraceRules(engine, id, stale);
}

/** Whether the plain attempt already says enough, given what the walk predicted. */
function clearEnough(o: KernelOutcome, walk: WalkResult): boolean {
  switch (o.kind) {
    case 'ok': case 'unreachable': return true;
    case 'refused': return walk.reason === 'port-closed' || walk.drop?.verdict === 'REJECT';
    case 'icmp-error': return o.error === 'net-unreachable' || (o.error !== 'host-unreachable' && walk.drop !== undefined);
    default: return false;
  }
}

/** The walk expects success, or a failure the kernel reports immediately (no waiting for a timeout). */
function answersAtOnce(walk: WalkResult, from: string): boolean {
  if (walk.ok || walk.reason === 'port-closed' || walk.drop?.verdict === 'REJECT') return true;
  return walk.hop?.node === from && (walk.reason === 'no-route' || walk.reason === 'link-down' || walk.reason === 'output-drop');
}

/** Namespaces to trace: every one the walk passes, plus the source and the target. */
function traceNodes(view: NetView, walk: WalkResult, flow: ResolvedFlow): string[] {
  const nodes = new Set([flow.from, ...walk.path.map((h) => h.node)]);
  if (flow.targetNode) nodes.add(flow.targetNode);
  return [...nodes].filter((n) => view.has(n));
}

/** Taps: the source's way out, and the interface the walk says the target receives on. */
function tapIfaces(walk: WalkResult, flow: ResolvedFlow) {
  const out = walk.path.find((h) => h.leg === 'request' && h.dir === 'out' && h.node === flow.from && h.interface);
  const at = walk.delivered?.interface && walk.delivered.node !== flow.from && walk.delivered.interface !== 'lo' ? walk.delivered : undefined;
  const taps = [out, at].filter((h): h is NonNullable<typeof h> => !!h?.interface).map((h) => ({ node: h.node, ifname: h.interface! }));
  return taps.filter((t, i) => taps.findIndex((x) => x.node === t.node && x.ifname === t.ifname) === i);
}

export async function probe(engine: Engine, id: string, from: string, to: string, opts: ProbeOptions = {}): Promise<ProbeResult> {
  const started = performance.now();
  const src = parseSource(from);
  if (!src.ok) throw new ProbeInputError(src.error);
  const dst = parseTarget(to);
  if (!dst.ok) throw new ProbeInputError(dst.error);
  const snap = opts.snapshot ?? await takeSnapshot(engine, id, { listening: dst.value.port !== undefined });
  const view = snap.view;
  await removeStaleTraces(engine, id, view);
  const flow = resolveFlow(view, src.value, dst.value);
  const walk = walkFlow(view, { from: flow.from, src: flow.src, dst: flow.dst, proto: flow.proto, dport: flow.port });
  const tool: ToolFlow = { from: flow.from, src: flow.src, dst: flow.dst, proto: flow.proto, port: flow.port };
  // A plain attempt first when it should work or the kernel will say why at once; straight to the
  // traced attempt when the walk expects silence (a drop, a lost reply, unanswered ARP).
  let kernel: KernelEvidence | undefined = answersAtOnce(walk, flow.from) || opts.trace === false
    ? { outcome: await runTool(engine, id, tool, opts.quickWaitMs ?? 400) } : undefined;
  if ((!kernel || !clearEnough(kernel.outcome, walk)) && opts.trace !== false) {
    const hadRaw: Record<string, boolean> = {};
    for (const n of view.nodes()) hadRaw[n] = view.namespaces[n].iptables.chains.raw !== undefined;
    kernel = await tracedAttempt(engine, id, tool, { nodes: traceNodes(view, walk, flow), taps: tapIfaces(walk, flow), hadRaw, waitMs: opts.waitMs ?? 800 });
  }
  const d = decide({ view, walk, from: flow.from, src: walk.src ?? flow.src, dst: flow.dst, proto: flow.proto, kernel: kernel! });
  const result: ProbeResult = {
    ok: d.ok, path: d.path, evidence: d.evidence,
    from: { node: flow.from, ...(walk.src ?? flow.src ? { address: walk.src ?? flow.src } : {}) },
    to: { input: to, address: flow.dst, ...(flow.targetNode ? { node: flow.targetNode } : {}), ...(flow.port ? { port: flow.port } : {}) },
    proto: flow.proto,
    ms: Math.round(performance.now() - started),
  };
  if (d.reason) result.reason = d.reason;
  if (d.hop) result.hop = d.hop;
  if (d.rtt_ms !== undefined) result.rtt_ms = d.rtt_ms;
  if (d.detail) result.detail = d.detail;
  if (d.drop) result.drop = d.drop;
  if (d.http) result.http = d.http;
  if (walk.uncertain.length > 0) result.notes = [...new Set(walk.uncertain)].slice(0, 5);
  return result;
}
