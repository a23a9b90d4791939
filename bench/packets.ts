// The packet figures of issue 4 for `npm run bench`: matrix time (10 and 20 nodes, about half the
// pairs failing), probe latency (an ok pair, a dropped pair), capture throughput and memory under a
// `ping -f` flood. Each next to a baseline measured in the same run, inside the bench's own sessions:
// every ping, fping and tcpdump runs in a session namespace (entered with `nsenter --net=` through the
// session's holder) and only ever addresses another namespace of the same session. Processes started
// here are tracked and ended by PID.
import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { runCommand, type CommandResult } from '../server/exec/run.ts';
import { startCapture, type CaptureStats, type PacketBatch } from '../server/capture/index.ts';
import { matrix, probe, type MatrixCell, type ProbeResult } from '../server/probe/index.ts';
import { fpingArgv, parseFping } from '../server/probe/fping-parse.ts';
import { readRecord } from '../server/sandbox/store.ts';
import type { Engine } from '../server/session/types.ts';
import type { Topology } from '../server/topology/schema.ts';
import { starAddressing, starTopology } from './star.ts';
import { fmtNumber, fmtSummary, summarize, type Summary } from './stats.ts';
import type { Figure } from './figure.ts';
import { neighRefusal, readNeighTable } from '../server/probe/neigh-table.ts';

export type BenchFigure = Figure;

/** What the figures need from the harness. */
export interface PacketsContext {
  engine: Engine;
  stateDir: string;
  quick: boolean;
  /** --reps, when given. */
  reps: number | null;
  log: (line?: string) => void;
  figures: { push(...f: BenchFigure[]): number };
  failures: string[];
  /** Figures not measured, with why. */
  skipped: string[];
  /** A fresh bench session, destroyed (and waited for) after fn. */
  withSession: <T>(fn: (id: string) => Promise<T>) => Promise<T>;
}

const ms = (x: number) => `${fmtNumber(x)} ms`;
const sleep = (t: number) => new Promise((r) => setTimeout(r, t));

// ---------------------------------------------------------------- processes: tracked, ended by PID

const children = new Set<ChildProcess>();
process.on('exit', () => {
  for (const c of children) if (c.pid && c.exitCode === null && c.signalCode === null) try { process.kill(c.pid, 'SIGKILL'); } catch { /* gone */ }
});

/** The network namespace file of `node` in session `id` (the session's private /run/netns, seen through its holder). */
function nsPath(ctx: PacketsContext, id: string, node: string): string {
  const holder = readRecord(id, ctx.stateDir)?.holder?.pid;
  if (!holder) throw new Error(`session ${id} has no holder`);
  return node === 'host' ? `/proc/${holder}/ns/net` : `/proc/${holder}/root/run/netns/${node}`;
}

/** argv run in `node`'s network namespace only (nsenter execs it: the child's PID is the tool's). */
const inNet = (ctx: PacketsContext, id: string, node: string, argv: string[]) => ['nsenter', `--net=${nsPath(ctx, id, node)}`, '--', ...argv];

interface Running {
  child: ChildProcess;
  stdout: () => string;
  stderr: () => string;
  exited: Promise<number | null>;
  /** Signal by PID, wait for the exit; SIGKILL after graceMs. */
  stop: (signal?: NodeJS.Signals, graceMs?: number) => Promise<void>;
}

function start(argv: string[]): Running {
  const child = spawn(argv[0], argv.slice(1), { stdio: ['ignore', 'pipe', 'pipe'] });
  children.add(child);
  let out = '';
  let err = '';
  child.stdout!.on('data', (d) => (out += String(d)));
  child.stderr!.on('data', (d) => (err += String(d)));
  const exited = new Promise<number | null>((resolve) => {
    child.on('error', () => { children.delete(child); resolve(127); });
    child.on('close', (code) => { children.delete(child); resolve(code); });
  });
  const alive = () => child.exitCode === null && child.signalCode === null;
  const stop = async (signal: NodeJS.Signals = 'SIGTERM', graceMs = 2000) => {
    if (child.pid && alive()) try { process.kill(child.pid, signal); } catch { /* gone */ }
    const t = setTimeout(() => { if (child.pid && alive()) try { process.kill(child.pid, 'SIGKILL'); } catch { /* gone */ } }, graceMs);
    await exited;
    clearTimeout(t);
  };
  return { child, stdout: () => out, stderr: () => err, exited, stop };
}

async function waitFor(cond: () => boolean, timeoutMs: number): Promise<boolean> {
  const deadline = performance.now() + timeoutMs;
  while (!cond()) {
    if (performance.now() > deadline) return false;
    await sleep(10);
  }
  return true;
}

// ---------------------------------------------------------------- the matrix topology

/**
 * N namespaces n1..nN, each with a veth (veth<i> in host, eth0 inside) on one bridge br0 in the
 * session's host; no default routes anywhere, so nothing can leave the bridge's subnet.
 *   - good nodes: 10.0.0.(i+1)/24, reach each other;
 *   - drop nodes: the same subnet, but `iptables -A INPUT -p icmp -j DROP` (echo requests to them and
 *     replies to their own pings die: input-drop);
 *   - no-route nodes: 10.0.1.(i+1)/32, no route at all (to and from them: no-route at the source).
 * With 30 % of the nodes broken (both directions), about half of the ordered pairs fail.
 */
export function matrixTopology(n: number): { topo: Topology; nodes: string[]; address: Map<string, string>; expectedOk: number; good: string[]; drop: string[]; noRoute: string[] } {
  const broken = Math.round(0.3 * n);
  const nDrop = Math.ceil(broken / 2);
  const good: string[] = [];
  const drop: string[] = [];
  const noRoute: string[] = [];
  const address = new Map<string, string>();
  const topo: Topology = { version: 1, name: `bench matrix ${n}`, nodes: [{ name: 'br0', kind: 'bridge', in: 'host' }], links: [] };
  for (let i = 1; i <= n; i++) {
    const name = `n${i}`;
    const kind = i <= n - broken ? 'good' : i <= n - broken + nDrop ? 'drop' : 'noroute';
    const cidr = kind === 'noroute' ? `10.0.1.${i + 1}/32` : `10.0.0.${i + 1}/24`;
    address.set(name, cidr.split('/')[0]);
    (kind === 'good' ? good : kind === 'drop' ? drop : noRoute).push(name);
    topo.nodes.push({
      name, kind: 'netns',
      ...(kind === 'drop' ? { iptables: { rules: [{ table: 'filter' as const, chain: 'INPUT', protocol: 'icmp' as const, jump: 'DROP' as const }] } } : {}),
    });
    topo.links.push({ a: { node: 'br0', ifname: `veth${i}` }, b: { node: name, ifname: 'eth0', addresses: [cidr] } });
  }
  return { topo, nodes: [...address.keys()], address, expectedOk: good.length * (good.length - 1), good, drop, noRoute };
}

async function applyOrThrow(ctx: PacketsContext, id: string, topo: Topology): Promise<void> {
  const r = await ctx.engine.apply(id, topo);
  if (!r.ok) throw new Error(`apply ${topo.name} failed: ${r.error?.step.argv.join(' ')}: ${r.error?.stderr}`);
}

const tally = (xs: string[]) => {
  const m = new Map<string, number>();
  for (const x of xs) m.set(x, (m.get(x) ?? 0) + 1);
  return [...m].map(([k, v]) => `${k} ×${v}`).join(', ');
};

// ---------------------------------------------------------------- 1. matrix

const FPING_TIMEOUT_MS = 150; // the baseline's fping wait (matrix() waits 100 ms by default)

export async function figureMatrix(ctx: PacketsContext): Promise<void> {
  // Issue 8's goal is for 50 nodes (2,450 pairs); --quick measures 20.
  for (const n of ctx.quick ? [20] : [10, 20, 50]) {
    const reps = ctx.reps ?? (ctx.quick ? 2 : 3);
    // Past ~28 nodes on one link an all-pairs matrix would fill the machine's neighbour table (1,024
    // entries by default): nsplay refuses it (server/probe/neigh-table.ts), and so the bench does not try.
    const refusal = neighRefusal(readNeighTable(), n * (n - 1), n);
    if (refusal) {
      ctx.log(`matrix N=${n}: skipped: nsplay refuses it here: ${refusal}`);
      ctx.skipped.push(`matrix ${n} nodes: skipped: ${refusal}`);
      continue;
    }
    const m = matrixTopology(n);
    const pairs = n * (n - 1);
    ctx.log(`matrix N=${n} (${pairs} pairs, ${pairs - m.expectedOk} failing by construction: ${m.drop.length} nodes behind INPUT DROP, ${m.noRoute.length} without a route; ${reps} run${reps > 1 ? 's' : ''} each, alternating)`);
    await ctx.withSession(async (id) => {
      await applyOrThrow(ctx, id, m.topo);
      const mine: number[] = [];
      const page: number[] = [];
      const tables: number[] = [];
      const base: number[] = [];
      const single: number[] = [];
      const wrong: string[] = [];
      let lastCells: MatrixCell[] = [];
      let lastMs = { total: 0, ping: 0, detail: 0 };
      const jobs = m.nodes.map((from) => ({ from, argv: inNet(ctx, id, from, fpingArgv(m.nodes.filter((t) => t !== from).map((t) => m.address.get(t)!), FPING_TIMEOUT_MS)) }));
      for (let r = 0; r < reps; r++) {
        const order = r % 2 === 0 ? ['nsplay', 'page', 'baseline'] : ['baseline', 'page', 'nsplay'];
        for (const who of order) {
          if (who === 'page') {
            // What the page asks for: the table with the route walk's reasons (a click on a red cell
            // then runs a full, kernel-confirmed probe of that pair).
            const t0 = performance.now();
            const res = await matrix(ctx.engine, id, m.nodes, { detail: 0 });
            const t1 = performance.now();
            const ok = res.cells.filter((c) => c.ok).length;
            if (res.cells.length !== pairs || ok !== m.expectedOk) wrong.push(`page run ${r + 1}: ${res.cells.length} cells, ${ok} ok (expected ${pairs}, ${m.expectedOk})`);
            page.push(t1 - t0);
            ctx.log(`  page     ${ms(t1 - t0).padStart(9)}   detail 0: read ${ms(res.ms.read ?? 0)} · fping ${ms(res.ms.ping)} · walks ${ms(res.ms.walk ?? 0)} · ${ok}/${res.cells.length} ok`);
          } else if (who === 'nsplay') {
            const t0 = performance.now();
            let tCells = 0;
            const res = await matrix(ctx.engine, id, m.nodes, { onCells: () => { tCells = performance.now(); } });
            const t1 = performance.now();
            const ok = res.cells.filter((c) => c.ok).length;
            if (res.cells.length !== pairs || ok !== m.expectedOk) wrong.push(`run ${r + 1}: ${res.cells.length} cells, ${ok} ok (expected ${pairs}, ${m.expectedOk})`);
            mine.push(t1 - t0);
            tables.push(tCells - t0);
            lastCells = res.cells;
            lastMs = res.ms;
            ctx.log(`  nsplay   ${ms(t1 - t0).padStart(9)}   ok/fail table after ${ms(tCells - t0)} · observe + walks ${ms(res.ms.total - res.ms.ping - res.ms.detail)} · fping ${ms(res.ms.ping)} · kernel-confirmed reasons ${ms(res.ms.detail)} · ${ok}/${res.cells.length} ok`);
          } else {
            // What a script would do: one fping per source namespace over the other N-1 addresses, all at once.
            const t0 = performance.now();
            const outs = await Promise.all(jobs.map((j) => runCommand(j.argv, { timeoutMs: 30_000 })));
            const t1 = performance.now();
            const ok = outs.reduce((s, o) => s + [...parseFping(o.stderr).values()].filter((x) => x.ok).length, 0);
            if (ok !== m.expectedOk) wrong.push(`baseline run ${r + 1}: fping found ${ok} ok pairs, expected ${m.expectedOk}`);
            base.push(t1 - t0);
            const s0 = performance.now();
            await runCommand(jobs[0].argv, { timeoutMs: 30_000 });
            single.push(performance.now() - s0);
            ctx.log(`  fping×${n}  ${ms(t1 - t0).padStart(9)}   ${ok}/${pairs} ok · one fping from ${jobs[0].from} alone ${ms(single[single.length - 1])}`);
          }
        }
      }
      const confirmed = lastCells.filter((c) => !c.ok && c.evidence === 'kernel').length;
      const reasons = tally(lastCells.filter((c) => !c.ok).map((c) => c.reason ?? '?'));
      if (wrong.length) {
        ctx.failures.push(`matrix N=${n}: ${wrong.join('; ')}`);
        ctx.log(`  WRONG: ${wrong.join('; ')}`);
      }
      ctx.figures.push({
        name: `matrix ${n} nodes (${pairs} pairs, ${pairs - m.expectedOk} failing)`, unit: 'ms', value: summarize(mine), baseline: summarize(base),
        failed: wrong.length ? `${wrong.length} run(s) with the wrong ok/fail table` : undefined,
        baselineWhat: `one \`fping ${fpingArgv(['ADDR…'], FPING_TIMEOUT_MS).slice(1).join(' ')}\` per source namespace over the other N-1 addresses (the same flags as matrix()), all N at once, via \`nsenter --net\`: the ok/fail table only, no reasons`,
        goal: n === 50 ? 'reasons for ≤ 10 failing pairs within 3 s' : '–',
        note: `time to the ok/fail table (onCells) ${fmtSummary(summarize(tables))}; with kernel-confirmed reasons for up to 10 failing pairs (one per distinct reason and hop); last run: observe + walks ${ms(lastMs.total - lastMs.ping - lastMs.detail)}, fping ${ms(lastMs.ping)}, ${confirmed} failing pairs kernel-confirmed in ${ms(lastMs.detail)}; reasons ${reasons}; one fping from one namespace alone ${fmtSummary(summarize(single))}`,
      });
      ctx.figures.push({
        name: `matrix ${n} nodes, as the page asks (route-walk reasons)`, unit: 'ms', value: summarize(page), baseline: summarize(base),
        baselineWhat: 'the same fping baseline as the row above',
        goal: n === 50 ? '≤ 500 ms (issue 8: ok/fail for 50 nodes)' : n === 20 ? '< 1 s for 20 nodes' : '< 1 s',
        note: 'matrix(…, {detail: 0}): every pair pinged by fping, failing pairs explained by the route walk over one observation (evidence "walk"); clicking a red cell in the page runs a full kernel-confirmed probe of that pair',
      });
    });
  }
}

// ---------------------------------------------------------------- 2. probe

export async function figureProbe(ctx: PacketsContext): Promise<void> {
  const reps = ctx.reps ?? (ctx.quick ? 2 : 11);
  const m = matrixTopology(10);
  const from = m.good[0];
  const cases = [
    { label: 'ok pair', to: m.good[1], expect: (r: ProbeResult) => r.ok ? null : `not ok: ${r.reason} at ${r.hop?.node}/${r.hop?.interface ?? ''}`, ping: '-W1' },
    { label: 'failing pair (INPUT DROP at the target)', to: m.drop[0], expect: (r: ProbeResult) => !r.ok && r.reason === 'input-drop' && r.evidence === 'kernel' ? null : `expected input-drop (kernel), got ${r.ok ? 'ok' : r.reason} (${r.evidence})`, ping: '-W1' },
  ];
  ctx.log(`probe latency in a matrix N=10 session, from ${from} (1 warm-up + ${reps} runs each, alternating)`);
  await ctx.withSession(async (id) => {
    await applyOrThrow(ctx, id, m.topo);
    for (const c of cases) {
      const addr = m.address.get(c.to)!;
      const pingArgv = inNet(ctx, id, from, ['ping', '-c1', c.ping, addr]);
      const mine: number[] = [];
      const base: number[] = [];
      const wrong: string[] = [];
      let last: ProbeResult | null = null;
      await probe(ctx.engine, id, from, c.to);
      await runCommand(pingArgv, { timeoutMs: 10_000 });
      for (let r = 0; r < reps; r++) {
        const order = r % 2 === 0 ? ['nsplay', 'baseline'] : ['baseline', 'nsplay'];
        for (const who of order) {
          const t0 = performance.now();
          if (who === 'nsplay') {
            const res = await probe(ctx.engine, id, from, c.to);
            mine.push(performance.now() - t0);
            last = res;
            const bad = c.expect(res);
            if (bad) wrong.push(bad);
          } else {
            const res: CommandResult = await runCommand(pingArgv, { timeoutMs: 10_000 });
            base.push(performance.now() - t0);
            if ((res.code === 0) !== (c.label === 'ok pair')) wrong.push(`ping -c1 exit ${res.code}`);
          }
        }
      }
      const s = summarize(mine);
      ctx.log(`  ${c.label} ${from} → ${c.to} (${addr}): probe ${fmtSummary(s)} · ping -c1 ${c.ping} ${fmtSummary(summarize(base))}${last ? ` · ${last.ok ? `ok, rtt ${last.rtt_ms} ms` : `${last.reason} at ${last.hop?.node}${last.hop?.interface ? `/${last.hop.interface}` : ''} (${last.evidence})`}` : ''}`);
      if (wrong.length) {
        ctx.failures.push(`probe ${c.label}: ${[...new Set(wrong)].join('; ')}`);
        ctx.log(`  WRONG: ${[...new Set(wrong)].join('; ')}`);
      }
      ctx.figures.push({
        name: `probe latency, ${c.label}`, unit: 'ms', value: s, baseline: summarize(base),
        failed: wrong.length ? `${wrong.length} of ${reps * 2} runs gave the wrong answer` : undefined,
        baselineWhat: `a plain \`ping -c1 ${c.ping} ADDR\` via \`nsenter --net\` in the same namespace (says ok or no answer, never where or why)`,
        goal: '–',
        note: last ? (last.ok
          ? `probe: observe the session, walk, one plain ping (waits ≤ 0.4 s); answer ok, rtt ${last.rtt_ms} ms`
          : `probe: observe, walk, then straight to the traced attempt (TRACE + taps, waits 0.8 s) since the walk expects silence; answer ${last.reason} at ${last.hop?.node}${last.hop?.interface ? `/${last.hop.interface}` : ''}, evidence ${last.evidence}; the ping baseline waits its full 1 s`)
          : undefined,
      });
    }
  });
}

// ---------------------------------------------------------------- 3. capture under a flood

const MiB = 1024 * 1024;

function tcpdumpCounts(stderr: string): { captured: number; received: number; dropped: number } | null {
  const num = (re: RegExp) => Number(re.exec(stderr)?.[1] ?? NaN);
  const captured = num(/(\d+) packets? captured/);
  if (!Number.isFinite(captured)) return null;
  return { captured, received: num(/(\d+) packets? received by filter/), dropped: num(/(\d+) packets? dropped by kernel/) };
}

export async function figureCapture(ctx: PacketsContext): Promise<void> {
  const seconds = ctx.quick ? 5 : 60;
  const star = starAddressing(2);
  const target = star.hosts[1]; // n2
  ctx.log(`capture on host/veth1 (n1's bridge port) during a ${seconds} s \`ping -f\` n1 → n2 (${target}), next to a bare tcpdump on the same interface`);
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'nsplay-bench-capture-'));
  const running: Running[] = [];
  try {
    await ctx.withSession(async (id) => {
      await applyOrThrow(ctx, id, starTopology(2));
      const pcapFile = path.join(dir, 'flood.pcap');
      // A pcap cap above the flood (≈ 15 MiB/s here): the default 64 MiB would end the capture after a few
      // seconds (pcapCapped) and the figure would measure the cap, not the capture. The file is removed after.
      const cap = await startCapture(ctx.engine, id, 'host', 'veth1', '', { pcapFile, pcapMaxBytes: 2048 * MiB });
      // A page's listener: what the socket layer would emit.
      let batches = 0;
      let delivered = 0;
      let lastNote = '';
      const onPackets = (b: PacketBatch) => { batches++; delivered += b.packets.length; if (b.note) lastNote = b.note; };
      cap.on('packets', onPackets);
      let stats: CaptureStats | null = null;
      try {
        const bare = start(inNet(ctx, id, 'host', ['tcpdump', '-i', 'veth1', '-w', '/dev/null']));
        running.push(bare);
        if (!(await waitFor(() => bare.stderr().includes('listening on') || bare.child.exitCode !== null, 5000)) || bare.child.exitCode !== null) {
          throw new Error(`bare tcpdump did not start: ${bare.stderr().trim()}`);
        }
        const rss0 = process.memoryUsage().rss;
        const rss: { t: number; v: number }[] = [];
        const t0 = performance.now();
        const timer = setInterval(() => rss.push({ t: performance.now() - t0, v: process.memoryUsage().rss }), 250);
        const flood = start(inNet(ctx, id, 'n1', ['ping', '-f', '-q', '-w', String(seconds), target]));
        running.push(flood);
        const killer = setTimeout(() => void flood.stop('SIGINT'), (seconds + 10) * 1000);
        await flood.exited;
        clearTimeout(killer);
        const t1 = performance.now();
        clearInterval(timer);
        const dur = (t1 - t0) / 1000;
        await sleep(300); // the last replies reach both captures
        await bare.stop('SIGINT');
        stats = await cap.stop();
        const rssEnd = process.memoryUsage().rss;
        const counts = tcpdumpCounts(bare.stderr());
        if (!counts) throw new Error(`bare tcpdump printed no count: ${bare.stderr().trim().slice(-300)}`);
        const pm = /(\d+) packets transmitted, (\d+) received/.exec(flood.stdout());
        const sent = pm ? `${pm[1]} echo requests, ${pm[2]} replies` : `ping printed no summary (exit ${flood.child.exitCode})`;
        const peak = Math.max(rss0, ...rss.map((x) => x.v));
        const half = rss.filter((x) => x.t <= (t1 - t0) / 2).map((x) => x.v);
        const rssHalf = half.length ? Math.max(...half) : rss0;
        const mine = stats.packets / dur;
        const base = counts.captured / dur;
        ctx.log(`  ping -f ${dur.toFixed(1)} s: ${sent}`);
        ctx.log(`  nsplay  ${fmtNumber(mine)} packets/s (${stats.packets} packets; pcap ${stats.pcapPackets} packets, ${(stats.pcapBytes / MiB).toFixed(1)} MiB${stats.pcapCapped ? ', capped' : ''}; kernel dropped ${stats.kernelDropped})`);
        ctx.log(`  tcpdump ${fmtNumber(base)} packets/s (${counts.captured} captured, ${counts.received} received by filter, ${counts.dropped} dropped by kernel)`);
        ctx.log(`  display: ${stats.shown} shown, ${stats.sampledOut} sampled out, ${stats.dropped} dropped; ${delivered} summaries in ${batches} batches to the listener${lastNote ? ` (last note: "${lastNote}")` : ''}`);
        ctx.log(`  bench RSS ${(rss0 / MiB).toFixed(0)} MiB before, peak ${(peak / MiB).toFixed(0)} MiB (first half ${(rssHalf / MiB).toFixed(0)}), ${(rssEnd / MiB).toFixed(0)} MiB after`);
        const problems: string[] = [];
        if (stats.packets === 0) problems.push('nsplay captured nothing');
        if (!pm) problems.push(sent);
        if (problems.length) ctx.failures.push(`capture: ${problems.join('; ')}`);
        ctx.figures.push({
          name: `capture under \`ping -f\` (${seconds} s): packets/s captured`, unit: 'packets/s', value: summarize([mine]), baseline: summarize([base]),
          failed: problems.length ? problems.join('; ') : undefined,
          baselineWhat: 'a bare `tcpdump -i veth1 -w /dev/null` on the same interface, running at the same time as nsplay\'s capture during the same flood (its "packets captured" line); nsplay\'s writing tcpdump runs with `-w FILE -U -B 4096` (block mode, full snapshot length; nsplay follows the file to count and cap it), its display tcpdump with `-l --immediate-mode -s 512`, read at a bounded pace',
          goal: 'every packet the bare tcpdump sees (ratio ≈ 1)',
          note: `${sent} in ${dur.toFixed(1)} s; nsplay: ${stats.packets} packets, kernel dropped ${stats.kernelDropped}, pcap ${stats.pcapPackets} packets / ${(stats.pcapBytes / MiB).toFixed(1)} MiB${stats.pcapCapped ? ' (size cap reached)' : ''}; bare tcpdump: ${counts.captured} captured, ${counts.received} received by filter, ${counts.dropped} dropped by kernel; display: ${stats.shown} shown, ${stats.sampledOut} sampled out, ${stats.dropped} dropped (${delivered} summaries in ${batches} batches to a listener${lastNote ? `, last note "${lastNote}"` : ''})`,
        });
        ctx.figures.push({
          name: `capture under \`ping -f\` (${seconds} s): bench process RSS growth`, unit: 'MiB', value: summarize([(peak - rss0) / MiB]), baseline: null,
          baselineWhat: '–', goal: 'bounded (~1 MiB per-stream buffers)',
          note: `RSS of the process running the engine and the capture (its two tcpdumps not included): ${(rss0 / MiB).toFixed(0)} MiB before, peak ${(rssHalf / MiB).toFixed(0)} MiB in the first half of the flood, ${(peak / MiB).toFixed(0)} MiB overall, ${(rssEnd / MiB).toFixed(0)} MiB after the capture stopped`,
        });
      } finally {
        cap.off('packets', onPackets as (...a: never[]) => void);
        if (!stats) await cap.stop().catch(() => undefined);
        for (const r of running) await r.stop('SIGTERM');
      }
    });
  } finally {
    for (const r of running) await r.stop('SIGKILL', 500);
    fs.rmSync(dir, { recursive: true, force: true });
  }
}
