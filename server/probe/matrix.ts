// matrix(): reachability between every pair of chosen nodes, fast. One process from Node for the
// table, because on a busy machine every process costs (readThenRun in session-script.ts):
//   1. every namespace is entered once and reads its ip batch and sysctls; each chosen node's shell then
//      waits for its targets (picked in Node from that read) and runs its fping in place, then reads its
//      iptables (while the other fpings wait for answers);
//   2. failing pairs get their reason from the route walk over that one read;
//   3. one pair of each distinct (reason, hop) class — and every pair the walk thinks should work —
//      gets a kernel-confirmed reason from one shared TRACE batch with a short wait (the rest of a
//      class keeps the walk's, evidence 'walk').
import type { Engine } from '../session/types.ts';
import { tracedBatch, type ToolFlow } from './attempt.ts';
import { fpingArgv, parseFping, type FpingResult } from './fping-parse.ts';
import { readThenRun } from './session-script.ts';
import type { NetView } from './netview.ts';
import { mergeStates, viewOf, SYSCTLS } from './snapshot.ts';
import { ProbeInputError } from './probe.ts';
import { checkNodeName } from '../topology/names.ts';
import type { MatrixCell, MatrixResult } from './types.ts';
import { decide } from './verdict.ts';
import { walkFlow, type WalkResult } from './walk.ts';
import { matrixNeighNeed, neighFullNote, neighRefusal, readNeighTable, type NeighTable } from './neigh-table.ts';

export interface MatrixOptions {
  /**
   * How many failing pairs get a kernel-confirmed reason (TRACE): one per distinct (reason, hop) class
   * of the walk, and each pair the walk expected to work, up to this many. Default 10; 0 = walk only.
   */
  detail?: number;
  /** fping's wait for each answer (ms, default 100: namespaces answer in microseconds). */
  timeoutMs?: number;
  /** How long a kernel-confirmed pair waits for its answer (ms, default 250). */
  detailWaitMs?: number;
  /** Ignored (every fping runs at once, in one process); kept for callers that pass it. */
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
  if (nodes && new Set(nodes).size > MAX_NODES) throw new ProbeInputError(`a matrix has at most ${MAX_NODES} nodes; ${new Set(nodes).size} were asked for`);
  // 1+2. One process: every namespace's ip batch, sysctls and iptables; in each chosen node, its fping
  // over the addresses picked from that read (its shell waits for them: no second spawn), then its iptables.
  const timeoutMs = opts.timeoutMs ?? 100;
  let chosen: string[] = [];
  const targets = new Map<string, Map<string, string>>(); // from → (to → address)
  let neighBefore: NeighTable | null = null;
  const read = await readThenRun(engine, id, {
    ...(nodes && nodes.length > 0 ? { names: [...new Set(nodes)] } : { channels: MAX_NODES + 1 }),
    flags: { batch: true, iptables: true, sysctls: true }, sysctlKeys: SYSCTLS, run: fpingArgv([], timeoutMs), timeoutMs: 20_000,
  }, (parts) => {
    const topo = viewOf(mergeStates(parts));
    chosen = pickNodes(topo, nodes);
    const words = new Map<string, string[]>();
    for (const from of chosen) {
      const row = new Map<string, string>();
      for (const to of chosen) {
        const a = to === from ? undefined : topo.primaryAddress(to, from);
        if (a) row.set(to, a);
      }
      targets.set(from, row);
      words.set(from, [...new Set(row.values())]);
    }
    // The machine's neighbour table must hold what these pings add, with room to spare (neigh-table.ts).
    neighBefore = readNeighTable();
    const pairs = [...targets].flatMap(([from, row]) => [...row.values()].map((address) => ({ from, address })));
    const refusal = neighRefusal(neighBefore, matrixNeighNeed(topo, pairs), chosen.length);
    if (refusal) throw new ProbeInputError(refusal);
    return words;
  });
  const view = viewOf(mergeStates(read.parts)); // with the iptables the chosen nodes read after their fping
  const neighAfter = readNeighTable();
  const neighFull = neighBefore !== null && neighAfter !== null && neighAfter.fulls > (neighBefore as NeighTable).fulls;
  let untestable = 0;
  const results = new Map<string, Map<string, FpingResult>>();
  for (const [from, out] of read.outputs) results.set(from, parseFping(out));
  const walkStarted = performance.now();
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
        if (w.ok && neighFull) {
          // Dropped for want of a neighbour entry, not by the drawing: not a finding, and not worth a trace.
          cell.reason = 'neigh-table-full';
          cell.detail = 'the kernel\'s neighbour table was full while the matrix pinged: this pair could not be tested';
          walks.delete(cell);
          untestable++;
        }
      }
      cells.push(cell);
    }
  }
  const walkMs = performance.now() - walkStarted;
  opts.onCells?.(cells);
  const detailStarted = performance.now();
  const chosenForDetail = pickForDetail([...walks.keys()], walks, opts.detail ?? 10);
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
    const evidence = await tracedBatch(engine, id, flows, { nodes: [...traceNodes].filter((n) => view.has(n)), taps: [], hadRaw, waitMs: opts.detailWaitMs ?? 250 });
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
  const r = Math.round;
  const result: MatrixResult = { nodes: chosen, cells, ms: { total: r(now - started), read: r(read.readMs), ping: r(read.runMs), walk: r(walkMs), detail: r(now - detailStarted) } };
  if (untestable > 0) result.note = neighFullNote(neighAfter, untestable);
  return result;
}

/** The nodes asked for (each once), or every node with an address; checked against the session. */
function pickNodes(topo: NetView, nodes?: string[]): string[] {
  const chosen = nodes && nodes.length > 0 ? [...new Set(nodes)] : topo.nodes().filter((n) => topo.primaryAddress(n));
  if (chosen.length > MAX_NODES) throw new ProbeInputError(`a matrix has at most ${MAX_NODES} nodes; ${chosen.length} were asked for`);
  for (const n of chosen) {
    if (!topo.has(n)) throw new ProbeInputError(`this session has no node '${n}' (nodes: ${topo.nodes().join(', ')})`);
  }
  return chosen;
}

/**
 * Failing pairs to confirm with the kernel: every pair the walk expected to work (fping and the walk
 * disagree: worth a second look), then one per distinct (reason, hop) class; at most `max`.
 */
export function pickForDetail(failing: MatrixCell[], walks: Map<MatrixCell, WalkResult>, max: number): MatrixCell[] {
  if (max <= 0) return [];
  const out: MatrixCell[] = failing.filter((c) => walks.get(c)!.ok);
  const classes = new Set<string>();
  for (const c of failing) {
    const w = walks.get(c)!;
    if (w.ok) continue;
    const k = `${w.reason}|${w.hop?.node ?? ''}|${w.hop?.interface ?? ''}`;
    if (classes.has(k)) continue;
    classes.add(k);
    out.push(c);
  }
  return out.slice(0, max);
}
