// matrix(): reachability between every pair of chosen nodes, fast. One fping per source (in parallel,
// a few at a time) says ok/fail for each pair; failing pairs get their reason from the route walk, and
// the first few of them a kernel-confirmed reason from one shared TRACE batch.
import type { Engine } from '../session/types.ts';
import { mapLimited, tracedBatch, type ToolFlow } from './attempt.ts';
import { fpingArgv, parseFping, type FpingResult } from './fping-parse.ts';
import { runIn } from './helpers.ts';
import { ProbeInputError } from './probe.ts';
import { takeSnapshot } from './snapshot.ts';
import { checkNodeName } from '../topology/names.ts';
import type { MatrixCell, MatrixResult } from './types.ts';
import { decide } from './verdict.ts';
import { walkFlow, type WalkResult } from './walk.ts';

export interface MatrixOptions {
  /** How many failing pairs get a kernel-confirmed reason (TRACE); the rest keep the walk's. Default 10. */
  detail?: number;
  /** fping's wait for each answer (ms, default 150). */
  timeoutMs?: number;
  /** How long a kernel-confirmed pair waits for its answer (ms, default 500). */
  detailWaitMs?: number;
  /** fping processes at once (default 6). */
  concurrency?: number;
  /** Called with the ok/fail table as soon as fping is done, before the detail phase. */
  onCells?: (cells: MatrixCell[]) => void;
}

const MAX_NODES = 64;

export async function matrix(engine: Engine, id: string, nodes?: string[], opts: MatrixOptions = {}): Promise<MatrixResult> {
  const started = performance.now();
  for (const n of nodes ?? []) {
    const bad = checkNodeName(n);
    if (bad) throw new ProbeInputError(bad);
  }
  const snap = await takeSnapshot(engine, id);
  const view = snap.view;
  const chosen = nodes && nodes.length > 0 ? [...new Set(nodes)] : view.nodes().filter((n) => view.primaryAddress(n));
  if (chosen.length > MAX_NODES) throw new ProbeInputError(`a matrix has at most ${MAX_NODES} nodes; ${chosen.length} were asked for`);
  for (const n of chosen) {
    if (!view.has(n)) throw new ProbeInputError(`this session has no node '${n}' (nodes: ${view.nodes().join(', ')})`);
  }
  const pingStarted = performance.now();
  const targets = new Map<string, Map<string, string>>(); // from → (to → address)
  for (const from of chosen) {
    const row = new Map<string, string>();
    for (const to of chosen) {
      const a = to === from ? undefined : view.primaryAddress(to, from);
      if (a) row.set(to, a);
    }
    targets.set(from, row);
  }
  const results = new Map<string, Map<string, FpingResult>>();
  await mapLimited(chosen, opts.concurrency ?? 6, async (from) => {
    const addresses = [...new Set(targets.get(from)!.values())];
    if (addresses.length === 0) return;
    const r = await runIn(engine, id, from, fpingArgv(addresses, opts.timeoutMs ?? 150), { timeoutMs: 10_000 });
    results.set(from, parseFping(r.stderr));
  });
  const pingMs = performance.now() - pingStarted;
  const cells: MatrixCell[] = [];
  const walks = new Map<MatrixCell, WalkResult>();
  for (const from of chosen) {
    for (const to of chosen) {
      const address = targets.get(from)!.get(to);
      if (!address) continue;
      const f = results.get(from)?.get(address);
      const cell: MatrixCell = { from, to, address, ok: f?.ok === true };
      if (f?.rtt_ms !== undefined) cell.rtt_ms = f.rtt_ms;
      if (!cell.ok) {
        const w = walkFlow(view, { from, dst: address, proto: 'icmp' });
        walks.set(cell, w);
        cell.reason = w.ok ? 'timeout' : w.reason;
        if (w.hop) cell.hop = w.hop;
        cell.detail = w.ok ? 'the route walk sees no problem; the kernel did not answer' : w.detail;
        cell.evidence = 'walk';
      }
      cells.push(cell);
    }
  }
  opts.onCells?.(cells);
  const detailStarted = performance.now();
  const failing = [...walks.keys()].sort((a, b) => Number(walks.get(b)!.ok) - Number(walks.get(a)!.ok));
  const chosenForDetail = failing.slice(0, opts.detail ?? 10);
  if (chosenForDetail.length > 0) {
    const flows: ToolFlow[] = chosenForDetail.map((c) => ({ from: c.from, dst: c.address, proto: 'icmp' }));
    const traceNodes = new Set<string>();
    for (const c of chosenForDetail) {
      traceNodes.add(c.from);
      for (const h of walks.get(c)!.path) traceNodes.add(h.node);
      for (const o of view.owners(c.address)) traceNodes.add(o.node);
    }
    const hadRaw: Record<string, boolean> = {};
    for (const n of view.nodes()) hadRaw[n] = view.namespaces[n].iptables.chains.raw !== undefined;
    const evidence = await tracedBatch(engine, id, flows, { nodes: [...traceNodes].filter((n) => view.has(n)), taps: [], hadRaw, waitMs: opts.detailWaitMs ?? 500 });
    chosenForDetail.forEach((cell, i) => {
      const w = walks.get(cell)!;
      const d = decide({ view, walk: w, from: cell.from, src: w.src, dst: cell.address, proto: 'icmp', kernel: evidence[i] });
      cell.ok = d.ok;
      cell.evidence = 'kernel';
      if (d.ok) { delete cell.reason; delete cell.hop; delete cell.detail; if (d.rtt_ms !== undefined) cell.rtt_ms = d.rtt_ms; return; }
      cell.reason = d.reason;
      if (d.hop) cell.hop = d.hop; else delete cell.hop;
      if (d.detail) cell.detail = d.detail;
    });
  }
  const now = performance.now();
  return { nodes: chosen, cells, ms: { total: Math.round(now - started), ping: Math.round(pingMs), detail: Math.round(now - detailStarted) } };
}
