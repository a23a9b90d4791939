// npm run bench [-- --quick] [--only apply,destroy,reapply,mininet,cli,lab,matrix,probe,capture,ui,labs,wire,echo,workshop] [--reps N] [--readme|--no-readme] [--install-mininet]
//
// Every figure next to a baseline measured in the same run, inside nsplay sessions of a bench-only
// state directory (/run/nsplay-bench) that are destroyed afterwards. The machine's root network
// namespace is only read (before/after snapshot), never changed. Writes bench/results/latest.json and,
// on a full run, the "Measured" section of the README (between <!-- bench:start --> / <!-- bench:end -->).
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { ipIn, type SessionHandle } from '../server/exec/enter.ts';
import { runCommand, type CommandResult, type Runner } from '../server/exec/run.ts';
import { compilePlan } from '../server/plan/compile.ts';
import { factHolds } from '../server/plan/diff.ts';
import { renderScript } from '../server/plan/script.ts';
import { createEngine } from '../server/session/engine.ts';
import type { ApplyResult, Engine } from '../server/session/types.ts';
import { readRecord } from '../server/sandbox/store.ts';
import { sessionNamespaces } from '../server/session/observe-session.ts';
import { parseIpAddrJson, parseIpRouteJson } from '../server/observe/parse-ip.ts';
import type { NamespaceState, ObservedState } from '../server/observe/types.ts';
import { loadTopology } from '../server/topology/load.ts';
import type { Topology } from '../server/topology/schema.ts';
import {
  baselineDestroyBatch, baselineHostBatch, baselineNsBatch, nsName, OBSERVE_BASELINE_BATCH, sampleNamespaces, starTopology,
} from './star.ts';
import type { Figure } from './figure.ts';
import { fmtNumber, fmtSummary, ratio, summarize, type Summary } from './stats.ts';
import { figureCapture, figureMatrix, figureProbe, type PacketsContext } from './packets.ts';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const STATE_DIR = '/run/nsplay-bench';
const OWNER = 'server:bench'; // "server…": the session dies with this process (a crashed bench is reclaimed by the next)
const RESULTS = path.join(ROOT, 'bench', 'results', 'latest.json');
const README = path.join(ROOT, 'README.md');
const LAB = '03-bridge';
const LAB_FINAL = path.join(ROOT, 'labs', LAB, 'final.yaml');

// ---------------------------------------------------------------- arguments

interface Options {
  quick: boolean;
  only: Set<string> | null;
  reps: number | null;
  readme: boolean;
  sizes: number[];
  /** apt-get install mininet (for the Mininet comparison) when it is missing. */
  installMininet: boolean;
}

const FIGURES = ['apply', 'destroy', 'reapply', 'mininet', 'cli', 'lab', 'matrix', 'probe', 'capture', 'ui', 'labs', 'wire', 'echo', 'workshop'];

function parseArgs(argv: string[]): Options {
  const o: Options = { quick: false, only: null, reps: null, readme: false, sizes: [], installMininet: false };
  let readme: boolean | null = null;
  let sizes: number[] | null = null;
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    const value = () => {
      const v = argv[++i];
      if (v === undefined) throw new Error(`${a} needs a value`);
      return v;
    };
    if (a === '--quick') o.quick = true;
    else if (a === '--only') o.only = new Set(value().split(','));
    else if (a === '--reps') o.reps = Number(value());
    else if (a === '--sizes') sizes = value().split(',').map(Number);
    else if (a === '--readme') readme = true;
    else if (a === '--install-mininet') o.installMininet = true;
    else if (a === '--no-readme') readme = false;
    else if (a === '--help' || a === '-h') {
      process.stdout.write(`usage: npm run bench [-- --quick] [--only ${FIGURES.join(',')}] [--reps N] [--sizes 10,50] [--readme|--no-readme] [--install-mininet]\n`);
      process.exit(0);
    } else throw new Error(`unknown argument ${a}`);
  }
  for (const f of o.only ?? []) if (!FIGURES.includes(f)) throw new Error(`--only: unknown figure '${f}' (${FIGURES.join(', ')})`);
  if (o.reps !== null && !(Number.isInteger(o.reps) && o.reps >= 1)) throw new Error('--reps needs a whole number ≥ 1');
  o.sizes = sizes ?? (o.quick ? [10, 100] : [10, 50, 100, 250]);
  if (o.sizes.some((n) => !(Number.isInteger(n) && n >= 1 && n <= 1000))) throw new Error('--sizes: whole numbers 1..1000');
  // The README holds a full run's figures; a quick or partial run does not overwrite them unless asked.
  o.readme = readme ?? (!o.quick && o.only === null && o.reps === null && sizes === null);
  return o;
}

const OPTS = parseArgs(process.argv.slice(2));
const want = (figure: string) => OPTS.only === null || OPTS.only.has(figure);
/** 3 runs per figure; in --quick (under 2 minutes, issue 8), 1 for N ≥ 50. */
const repsFor = (n = 0) => OPTS.reps ?? (OPTS.quick && n >= 50 ? 1 : 3);

// ---------------------------------------------------------------- output

const log = (line = '') => process.stdout.write(`${line}\n`);
const ms = (x: number) => `${fmtNumber(x)} ms`;

const figures: Figure[] = [];
const skipped: string[] = [];
const failures: string[] = [];

// ---------------------------------------------------------------- engine with a tracing runner

interface Traced { argv: string[]; start: number; end: number }
let trace: Traced[] | null = null;
const tracing: Runner = async (argv, opts) => {
  const start = performance.now();
  const r = await runCommand(argv, opts);
  trace?.push({ argv, start, end: performance.now() });
  return r;
};
const engine: Engine = createEngine({ stateDir: STATE_DIR, run: tracing });

/**
 * Where an apply spends its time, seen from outside the engine: the commands it spawned (the tracing
 * runner) and its step events. Commands started before the first step event are its observation
 * (however the engine observes: one script or many processes); from the first step on, execution.
 */
interface Phases {
  total: number;
  /** From the call to its first command: lock, session record, validate + merge + compile (next and previous plan). */
  before: number;
  observe: number;
  observeProcs: number;
  /** From the end of the observation to the first step: diff, removals, effects. */
  between: number;
  exec: number;
  execProcs: number;
  /** After the last command: applied.json, session record (for a no-op apply also the diff). */
  after: number;
}

function phasesOf(t0: number, t1: number, cmds: Traced[], firstStep: number | null): Phases {
  const cut = firstStep ?? Infinity;
  const obs = cmds.filter((c) => c.start < cut);
  const ex = cmds.filter((c) => c.start >= cut);
  const oStart = obs.length ? Math.min(...obs.map((c) => c.start)) : (firstStep ?? t1);
  const oEnd = obs.length ? Math.max(...obs.map((c) => c.end)) : oStart;
  const eStart = firstStep ?? t1;
  const eEnd = ex.length ? Math.max(...ex.map((c) => c.end)) : eStart;
  return {
    total: t1 - t0, before: oStart - t0, observe: oEnd - oStart, observeProcs: obs.length,
    between: firstStep === null ? 0 : eStart - oEnd, exec: eEnd - eStart, execProcs: ex.length, after: t1 - Math.max(eEnd, oEnd),
  };
}

const fmtPhases = (p: Phases) =>
  `before ${ms(p.before)} · observe ${ms(p.observe)} (${p.observeProcs} proc${p.observeProcs === 1 ? '' : 's'}) · diff ${ms(p.between)} · exec ${ms(p.exec)} (${p.execProcs} procs) · after ${ms(p.after)}`;

interface TracedApply { res: ApplyResult; t: number; phases: Phases; steps: number }

/** engine.apply, timed (the call only), with its phases. */
async function tracedApply(id: string, topo: Topology): Promise<TracedApply> {
  const cmds: Traced[] = [];
  trace = cmds;
  let firstStep: number | null = null;
  let steps = 0;
  const t0 = performance.now();
  const res = await engine.apply(id, topo, (e) => {
    if (e.status !== 'running') return;
    firstStep ??= performance.now();
    steps++;
  });
  const t1 = performance.now();
  trace = null;
  return { res, t: t1 - t0, phases: phasesOf(t0, t1, cmds, firstStep), steps };
}

// ---------------------------------------------------------------- the reaper: when has the kernel freed a namespace?

/**
 * A throwaway network namespace (an `unshare --net` child of ours) that watches its links with
 * `ip -o monitor link`. Before a teardown, a veth is made from each namespace to watch with its
 * peer in here; when the kernel frees that namespace it deletes the veth and with it the peer, and
 * the monitor prints "Deleted …". Nothing is created in the machine's root namespace.
 */
class Reaper {
  private child: ChildProcess | null = null;
  private seen = new Set<string>();
  private deleted = new Set<string>();
  private waiters: (() => void)[] = [];
  private counter = 0;
  pid = 0;

  async start(): Promise<void> {
    const script = 'ip -o monitor link & m=$!; cat >/dev/null; kill $m 2>/dev/null; wait';
    const child = spawn('unshare', ['--mount', '--propagation', 'private', '--net', '--', 'bash', '-c', script], { stdio: ['pipe', 'pipe', 'pipe'] });
    this.child = child;
    if (!child.pid) throw new Error('could not start unshare for the reaper namespace');
    this.pid = child.pid;
    let buf = '';
    child.stdout!.on('data', (d) => {
      buf += String(d);
      let nl: number;
      while ((nl = buf.indexOf('\n')) >= 0) {
        const line = buf.slice(0, nl);
        buf = buf.slice(nl + 1);
        const m = /^(Deleted )?(?:\d+: )?([^:@\s]+)/.exec(line);
        if (!m) continue;
        (m[1] ? this.deleted : this.seen).add(m[2]);
        for (const w of this.waiters.splice(0)) w();
      }
    });
    // Safety: the reaper must be in a namespace of its own before anything is pointed at it.
    const self = fs.readlinkSync('/proc/self/ns/net');
    const deadline = Date.now() + 5000;
    for (;;) {
      let ns = '';
      try { ns = fs.readlinkSync(`/proc/${this.pid}/ns/net`); } catch { /* starting */ }
      if (ns && ns !== self) break;
      if (Date.now() > deadline) {
        this.stop();
        throw new Error('the reaper did not get a network namespace of its own');
      }
      await sleep(5);
    }
  }

  private async until(cond: () => boolean, timeoutMs: number): Promise<boolean> {
    const deadline = performance.now() + timeoutMs;
    while (!cond()) {
      const left = deadline - performance.now();
      if (left <= 0) return false;
      await new Promise<void>((res) => {
        const t = setTimeout(res, Math.min(left, 1000));
        this.waiters.push(() => { clearTimeout(t); res(); });
      });
    }
    return true;
  }

  /** A veth from `node` of session `id` to the reaper; returns the name of its end in here. */
  async attach(id: string, node: string): Promise<string> {
    const k = ++this.counter;
    const mine = `rp${k}`;
    const ipArgs = ['link', 'add', `bo${k}`, 'type', 'veth', 'peer', 'name', mine, 'netns', String(this.pid)];
    const r = await runCommand(ipIn(handle(id), node, ipArgs), { timeoutMs: 10_000 });
    if (r.code !== 0) throw new Error(`could not attach the reaper to ${node} of ${id}: ${r.stderr.trim()}`);
    if (!(await this.until(() => this.seen.has(mine), 5000))) throw new Error(`the reaper's monitor did not see ${mine} appear`);
    return mine;
  }

  async waitGone(names: string[], timeoutMs = 30_000): Promise<boolean> {
    return this.until(() => names.every((n) => this.deleted.has(n)), timeoutMs);
  }

  stop(): void {
    const c = this.child;
    this.child = null;
    if (!c) return;
    c.stdin?.end();
    const pid = c.pid;
    setTimeout(() => { if (pid && c.exitCode === null && c.signalCode === null) try { process.kill(pid, 'SIGKILL'); } catch { /* gone */ } }, 1000).unref();
  }
}

const reaper = new Reaper();
const sleep = (t: number) => new Promise((r) => setTimeout(r, t));

// ---------------------------------------------------------------- sessions

const live = new Set<string>();
const createTimes: number[] = [];

async function newSession(lab?: string): Promise<string> {
  const t0 = performance.now();
  const { id } = await engine.create({ lab, owner: OWNER });
  createTimes.push(performance.now() - t0);
  live.add(id);
  return id;
}

/** Destroy a session and wait until the kernel has freed its namespaces (sampled with the reaper). */
async function teardown(id: string, nodes: string[] = ['host']): Promise<void> {
  let names: string[] = [];
  try {
    names = await Promise.all(nodes.map((n) => reaper.attach(id, n)));
  } catch (e) {
    log(`  (warning: ${(e as Error).message}; destroying without waiting for the kernel)`);
  }
  await engine.destroy(id);
  live.delete(id);
  if (names.length && !(await reaper.waitGone(names))) log(`  (warning: the kernel had not freed session ${id} after 30 s)`);
}

async function withSession<T>(fn: (id: string) => Promise<T>, lab?: string): Promise<T> {
  const id = await newSession(lab);
  try {
    return await fn(id);
  } finally {
    await teardown(id);
  }
}

async function inHost(id: string, argv: string[], input?: string): Promise<CommandResult> {
  return runCommand(await engine.enterArgv(id, 'host', argv), { input, timeoutMs: 60_000 });
}

function must(r: CommandResult, what: string): void {
  if (r.code !== 0) throw new Error(`${what} failed (exit ${r.code}): ${r.stderr.trim().slice(0, 500)}`);
}

async function pool<T>(items: T[], limit: number, fn: (item: T) => Promise<void>): Promise<void> {
  const queue = [...items];
  await Promise.all(Array.from({ length: Math.min(limit, queue.length) }, async () => {
    for (let it = queue.shift(); it !== undefined; it = queue.shift()) await fn(it);
  }));
}

/**
 * What a diff of the star needs, read independently of nsplay's observer: one
 * `nsenter --net=NS ip -j -d -batch -` (addr show; route show table all) per namespace, 4 in flight,
 * parsed with the engine's pure parsers. (nsenter --net joins only the network namespace: no mount
 * namespace copy and sysfs remount as `ip -n` does.) Also the baseline of the second-apply figure.
 */
async function readIpState(id: string, nodes: string[]): Promise<Record<string, NamespaceState>> {
  const holder = handle(id).holderPid;
  const out: Record<string, NamespaceState> = {};
  await pool(nodes, 4, async (node) => {
    const ns = node === 'host' ? `/proc/${holder}/ns/net` : `/proc/${holder}/root/run/netns/${node}`;
    const r = await runCommand(['nsenter', `--net=${ns}`, '--', 'ip', '-j', '-d', '-batch', '-'], { input: OBSERVE_BASELINE_BATCH, timeoutMs: 60_000 });
    must(r, `ip -j -batch in ${node}`);
    const [addr = '[]', route = '[]'] = r.stdout.trim().split('\n');
    out[node] = {
      node, links: parseIpAddrJson(addr), routes: parseIpRouteJson(route), rules: [], neighbors: [], sysctls: {},
      iptables: { chains: {}, rules: {} }, listening: [], netnsIds: {},
    };
  });
  return out;
}

/** The session's namespaces: host + every entry of its private /run/netns. */
const sessionNodes = (id: string) => ['host', ...sessionNamespaces(id, STATE_DIR)];

/**
 * Kernel state of the star, checked against the star's own plan (every namespace, the bridge, each
 * veth as a bridge port and up, each address, each default route), read with readIpState. With
 * `status`, also `engine.status`: all namespaces seen and no drift against sandbox + drawing.
 */
async function verifyStar(id: string, n: number, status: boolean): Promise<string> {
  const t0 = performance.now();
  const stars = sessionNamespaces(id, STATE_DIR).filter((k) => /^n\d+$/.test(k));
  const namespaces = await readIpState(id, ['host', ...stars]);
  const observed: ObservedState = { at: Date.now(), namespaces, containers: [] };
  const missing = compilePlan(starTopology(n)).filter((s) => !factHolds(s.fact, observed)).map((s) => `missing: ${s.argv.join(' ')} (in ${s.node})`);
  if (stars.length !== n) missing.unshift(`the session has ${stars.length} of ${n} namespaces`);
  const fail = (what: string, problems: string[]) => new Error(`star N=${n} in ${id}: ${what}:\n  ${problems.slice(0, 6).join('\n  ')}${problems.length > 6 ? `\n  … ${problems.length - 6} more` : ''}`);
  if (missing.length) throw fail('the kernel does not have it', missing);
  let note = `verified in ${ms(performance.now() - t0)}`;
  if (status) {
    const t1 = performance.now();
    const st = await engine.status(id);
    const seen = Object.keys(st.observed.namespaces).filter((k) => /^n\d+$/.test(k)).length;
    const problems = st.drift.map((d) => `${d.kind}: ${d.message}`);
    if (seen !== n) problems.unshift(`status shows ${seen} of ${n} namespaces`);
    if (problems.length) throw fail('nsplay status disagrees', problems);
    note += `; nsplay status: ${seen} namespaces, no drift, in ${ms(performance.now() - t1)}`;
  }
  return note;
}

// ---------------------------------------------------------------- figures

/**
 * nsplay status spawns ~7 processes per namespace at once; cross-check it (first nsplay run of a size)
 * only where that stays affordable: N ≤ 50, and not at all in --quick. Every run's kernel state is
 * checked with readIpState, except in --quick, where the first run of each method and size is.
 */
const STATUS_CHECK_MAX_N = 50;
const statusCheck = (n: number, run: number) => !OPTS.quick && run === 0 && n <= STATUS_CHECK_MAX_N;
const kernelCheck = (run: number) => !OPTS.quick || run === 0;

async function nsplayApply(n: number, verifyIt: boolean, status: boolean): Promise<{ t: number; phases: Phases; verify: string }> {
  return withSession(async (id) => {
    const { res: r, t, phases } = await tracedApply(id, starTopology(n));
    if (!r.ok) throw new Error(`nsplay apply of star ${n} failed: ${r.error?.step.argv.join(' ')}: ${r.error?.stderr}`);
    const verify = verifyIt ? await verifyStar(id, n, status) : 'not re-verified (--quick)';
    return { t, phases, verify };
  });
}

/** Holder of a session: what the engine's own commands enter (server/exec/enter.ts). */
function handle(id: string): SessionHandle {
  const pid = readRecord(id, STATE_DIR)?.holder?.pid;
  if (!pid) throw new Error(`session ${id} has no holder`);
  return { holderPid: pid };
}

/**
 * The hand-written method: one `ip -batch` in host, then `ip -n nI -batch -` per namespace, 4 in
 * flight — entered exactly as the engine enters its own batches (`ipIn`: nsenter -t HOLDER -m -n),
 * so the ratio is nsplay's own overhead, not a different way into the session.
 */
async function baselineApply(n: number, verifyIt: boolean): Promise<{ t: number; verify: string }> {
  return withSession(async (id) => {
    const h = handle(id);
    const hostArgv = ipIn(h, 'host', ['-batch', '-']);
    const jobs = Array.from({ length: n }, (_, k) => ({ i: k + 1, argv: ipIn(h, nsName(k + 1), ['-batch', '-']), input: baselineNsBatch(n, k + 1) }));
    const hostInput = baselineHostBatch(n);
    const t0 = performance.now();
    must(await runCommand(hostArgv, { input: hostInput, timeoutMs: 60_000 }), 'baseline host ip -batch');
    await pool(jobs, 4, async (j) => must(await runCommand(j.argv, { input: j.input, timeoutMs: 60_000 }), `baseline ip -n n${j.i} -batch`));
    const t1 = performance.now();
    const verify = verifyIt ? await verifyStar(id, n, false) : 'not re-verified (--quick)';
    return { t: t1 - t0, verify };
  });
}

async function figureApply(): Promise<void> {
  for (const n of OPTS.sizes) {
    const reps = repsFor(n);
    const mine: number[] = [];
    const base: number[] = [];
    const phases: Phases[] = [];
    log(`apply star N=${n} (${reps} run${reps > 1 ? 's' : ''} each, alternating)`);
    try {
      for (let r = 0; r < reps; r++) {
        const order = r % 2 === 0 ? ['nsplay', 'baseline'] : ['baseline', 'nsplay'];
        for (const who of order) {
          if (who === 'nsplay') {
            const x = await nsplayApply(n, kernelCheck(r), statusCheck(n, r));
            mine.push(x.t);
            phases.push(x.phases);
            log(`  nsplay   ${ms(x.t).padStart(9)}   ${fmtPhases(x.phases)}   [${x.verify}]`);
          } else {
            const x = await baselineApply(n, kernelCheck(r));
            base.push(x.t);
            log(`  ip-batch ${ms(x.t).padStart(9)}   [${x.verify}]`);
          }
        }
      }
    } catch (e) {
      failures.push(`apply star N=${n}: ${(e as Error).message}`);
      log(`  FAILED: ${(e as Error).message}`);
      if (mine.length === 0 || base.length === 0) continue;
    }
    const mid = [...phases].sort((x, y) => x.total - y.total)[Math.floor(phases.length / 2)];
    figures.push({
      name: `apply star N=${n}`, unit: 'ms', value: summarize(mine), baseline: summarize(base),
      baselineWhat: 'one `ip -batch` in host (netns add ×N, bridge, veths born in their namespace as bridge ports, up) + `ip -n nI -batch -` per namespace (lo up, address, up, default route), 4 in flight; entered like the engine\'s own batches',
      goal: '≤ 1.5× baseline',
      note: `median nsplay run: ${fmtPhases(mid)}`,
    });
  }
}

async function figureDestroy(): Promise<void> {
  const n = 100;
  const reps = repsFor(n);
  const mine: number[] = [];
  const base: number[] = [];
  const calls: number[] = [];
  log(`destroy star N=${n}, until the kernel has freed the namespaces (${reps} run${reps > 1 ? 's' : ''} each)`);
  const watched = ['host', ...sampleNamespaces(n)];
  for (let r = 0; r < reps; r++) {
    const order = r % 2 === 0 ? ['nsplay', 'baseline'] : ['baseline', 'nsplay'];
    for (const who of order) {
      const id = await newSession();
      let destroyed = false;
      try {
        const a = await engine.apply(id, starTopology(n));
        if (!a.ok) throw new Error(`apply for the destroy figure failed: ${a.error?.stderr}`);
        const names = await Promise.all(watched.map((node) => reaper.attach(id, node)));
        if (who === 'nsplay') {
          const t0 = performance.now();
          await engine.destroy(id);
          const tCall = performance.now();
          destroyed = true;
          live.delete(id);
          if (!(await reaper.waitGone(names))) throw new Error('the kernel had not freed the star after 30 s');
          const t1 = performance.now();
          mine.push(t1 - t0);
          calls.push(tCall - t0);
          log(`  nsplay   ${ms(t1 - t0).padStart(9)}   (engine.destroy returned after ${ms(tCall - t0)})`);
        } else {
          const argv = ipIn(handle(id), 'host', ['-batch', '-']);
          const input = baselineDestroyBatch(n);
          const t0 = performance.now();
          must(await runCommand(argv, { input, timeoutMs: 60_000 }), 'baseline netns del batch');
          const tCall = performance.now();
          if (!(await reaper.waitGone(names.slice(1)))) throw new Error('the kernel had not freed the namespaces after 30 s');
          const t1 = performance.now();
          base.push(t1 - t0);
          log(`  ip-batch ${ms(t1 - t0).padStart(9)}   (ip -batch returned after ${ms(tCall - t0)})`);
        }
      } finally {
        if (!destroyed) await teardown(id);
      }
    }
  }
  figures.push({
    name: `destroy star N=${n}`, unit: 'ms', value: summarize(mine), baseline: summarize(base),
    baselineWhat: 'one `ip -batch` of `netns del nI` lines; both until the kernel deleted the veths of host, n1, n50, n100 (watched from a throwaway namespace)',
    goal: '≤ 200 ms',
    note: `engine.destroy itself returned after ${ms(summarize(calls).median)} (median)`,
  });
}

async function figureReapply(): Promise<void> {
  const n = 100;
  const reps = repsFor(n);
  const mine: number[] = [];
  const base: number[] = [];
  let lastPhases: Phases | null = null;
  const failedRuns: string[] = [];
  log(`second apply of an unchanged star N=${n} (${reps} run${reps > 1 ? 's' : ''} each, one session)`);
  await withSession(async (id) => {
    const topo = starTopology(n);
    const first = await engine.apply(id, topo);
    if (!first.ok) throw new Error(`first apply failed: ${first.error?.stderr}`);
    const nodes = sessionNodes(id);
    for (let r = 0; r < reps; r++) {
      const order = r % 2 === 0 ? ['nsplay', 'baseline'] : ['baseline', 'nsplay'];
      for (const who of order) {
        if (who === 'nsplay') {
          const { res, t, phases, steps } = await tracedApply(id, topo);
          if (!res.ok || res.results.length !== 0 || steps !== 0) {
            const ran = res.results.map((x) => `${x.step.id}${x.ok ? '' : ` (failed: ${x.stderr})`}`).slice(0, 5).join('; ');
            const why = `second apply was not a no-op (${ms(t)}; ${fmtPhases(phases)}): ran ${res.results.length} step(s): ${ran}`;
            failedRuns.push(why);
            failures.push(`second apply N=${n}: ${why}`);
            log(`  nsplay   FAILED: ${why}`);
            continue;
          }
          mine.push(t);
          lastPhases = phases;
          log(`  nsplay   ${ms(t).padStart(9)}   0 steps ran · ${fmtPhases(phases)}`);
        } else {
          const t0 = performance.now();
          const read = await readIpState(id, nodes);
          const t1 = performance.now();
          if (Object.keys(read).length !== n + 3) throw new Error(`read ${Object.keys(read).length} namespaces, expected ${n + 3}`);
          base.push(t1 - t0);
          log(`  ip-read  ${ms(t1 - t0).padStart(9)}   (${nodes.length} namespaces read and parsed)`);
        }
      }
    }
  });
  figures.push({
    name: `second apply, unchanged star N=${n}`, unit: 'ms', value: mine.length ? summarize(mine) : null, baseline: summarize(base),
    failed: failedRuns.length ? `${failedRuns.length} of ${failedRuns.length + mine.length} runs not a no-op` : undefined,
    baselineWhat: `read and parse what a star's diff needs: one \`nsenter --net=NS ip -j -d -batch -\` (addr show; route show table all) per namespace (${n + 3} with the sandbox's), 4 in flight`,
    goal: '≤ 300 ms',
    note: lastPhases ? `one nsplay run: ${fmtPhases(lastPhases)}` : undefined,
  });
}

async function timeSpawn(argv: string[]): Promise<number> {
  const t0 = performance.now();
  const code = await new Promise<number>((resolve) => {
    const c = spawn(argv[0], argv.slice(1), { cwd: ROOT, stdio: ['ignore', 'ignore', 'pipe'] });
    let err = '';
    c.stderr!.on('data', (d) => (err += String(d)));
    c.on('error', () => resolve(127));
    c.on('exit', (code) => {
      if (code !== 0) log(`  ${argv.join(' ')}: exit ${code}: ${err.trim().slice(0, 300)}`);
      resolve(code ?? 1);
    });
  });
  if (code !== 0) throw new Error(`${argv.join(' ')} failed`);
  return performance.now() - t0;
}

async function figureCli(): Promise<void> {
  const reps = repsFor();
  const cli = [process.execPath, 'bin/nsplay.js', 'plan', path.relative(ROOT, LAB_FINAL)];
  const bare = [process.execPath, '-e', '0'];
  log(`CLI cold start: ${cli.slice(1).join(' ')} vs node -e 0 (1 warm-up + ${reps} runs each)`);
  await timeSpawn(cli);
  await timeSpawn(bare);
  const mine: number[] = [];
  const base: number[] = [];
  for (let r = 0; r < reps; r++) {
    mine.push(await timeSpawn(cli));
    base.push(await timeSpawn(bare));
  }
  log(`  nsplay plan ${fmtSummary(summarize(mine))} · node -e 0 ${fmtSummary(summarize(base))}`);
  figures.push({
    name: `CLI cold start: nsplay plan labs/${LAB}/final.yaml`, unit: 'ms', value: summarize(mine), baseline: summarize(base),
    baselineWhat: '`node -e 0`', goal: '–',
  });
}

async function figureLab(): Promise<void> {
  const reps = repsFor();
  const text = fs.readFileSync(LAB_FINAL, 'utf8');
  const loaded = loadTopology(text);
  if (!loaded.ok) throw new Error(`${LAB_FINAL}: ${JSON.stringify(loaded.errors)}`);
  const topo: Topology = loaded.value;
  const script = renderScript(compilePlan(topo, { tag: 'nsplay' }), topo.name ?? LAB); // what `nsplay plan` prints
  const creates: number[] = [];
  const labPhases: Phases[] = [];
  const mine: number[] = [];
  const base: number[] = [];
  log(`lab ${LAB} end to end: create + apply final.yaml + ping netns1 → 1.1.1.1 (${reps} runs each)`);
  const ping = async (id: string) =>
    must(await runCommand(await engine.enterArgv(id, 'netns1', ['ping', '-c1', '-W2', '1.1.1.1']), { timeoutMs: 10_000 }), 'ping netns1 → 1.1.1.1');
  for (let r = 0; r < reps; r++) {
    const order = r % 2 === 0 ? ['nsplay', 'baseline'] : ['baseline', 'nsplay'];
    for (const who of order) {
      const t0 = performance.now();
      const id = await newSession(LAB);
      try {
        const t1 = performance.now();
        creates.push(t1 - t0);
        if (who === 'nsplay') {
          const { res, phases } = await tracedApply(id, topo);
          if (!res.ok) throw new Error(`apply ${LAB} failed: ${res.error?.stderr}`);
          await ping(id);
          const t2 = performance.now();
          mine.push(t2 - t1);
          labPhases.push(phases);
          log(`  nsplay   ${ms(t2 - t1).padStart(9)}   (session create ${ms(t1 - t0)}; apply: ${fmtPhases(phases)})`);
        } else {
          must(await inHost(id, ['bash', '-s', 'setup'], script), `${LAB} setup script`);
          await ping(id);
          const t2 = performance.now();
          base.push(t2 - t1);
          log(`  script   ${ms(t2 - t1).padStart(9)}   (session create ${ms(t1 - t0)})`);
        }
      } finally {
        await teardown(id);
      }
    }
  }
  figures.push({
    name: `lab ${LAB}: session create`, unit: 'ms', value: summarize(creates), baseline: null,
    baselineWhat: '–', goal: '–', note: 'holder + sandbox (host, internet with its HTTP server, external), before any drawing',
  });
  figures.push({
    name: `lab ${LAB}: apply final.yaml + ping 1.1.1.1`, unit: 'ms', value: summarize(mine), baseline: summarize(base),
    baselineWhat: 'the setup script `nsplay plan` prints (one process per command, as typed) via `bash -s setup` in host, + the same ping',
    goal: 'create + apply ≤ 2 s (`nsplay lab run`)',
    note: labPhases.length ? `median nsplay apply: ${fmtPhases([...labPhases].sort((x, y) => x.total - y.total)[Math.floor(labPhases.length / 2)])}` : undefined,
  });
}

// ---------------------------------------------------------------- environment, machine snapshot

function sh(cmd: string): string {
  return spawnSync('sh', ['-c', cmd], { encoding: 'utf8' }).stdout.trim();
}

function environment(): string[] {
  const load = os.loadavg().map((x) => x.toFixed(2)).join(' ');
  return [
    `date ${new Date().toISOString()} · nproc ${os.availableParallelism()} · kernel ${os.release()} · node ${process.version} · ${sh('ip -V') || 'iproute2 ?'}`,
    `load average ${load} (1/5/15 min) — the machine is shared with other workers: figures are noisy, ratios (same run) are the thing to read`,
  ];
}

/** Read-only view of the machine's root namespace; the bench must leave it exactly as it found it. */
function machineSnapshot(): string {
  // Other workers' integration suites on this shared machine create and remove canary namespaces named
  // nsplay-sXXXXXX (see test/integration/machine-snapshot.ts); they are not ours and not a change we made.
  const netns = sh('ip netns list').split('\n').filter((l) => !/^nsplay-s[0-9a-f]{6}$/.test(l.split(' ')[0] ?? '')).join('\n');
  return `${netns}\n--\n${sh('ip -br link')}`;
}

// ---------------------------------------------------------------- table, JSON, README

const round = (x: number) => Math.round(x * 10) / 10;

function table(): string[] {
  const rows = [
    '| figure | nsplay: median (min–max) | baseline: median (min–max) | ratio | goal |',
    '| --- | --- | --- | --- | --- |',
  ];
  for (const f of figures) {
    const q = f.value ? ratio(f.value.median, f.baseline?.median ?? null) : null;
    const v = `${f.value ? fmtSummary(f.value, f.unit) : ''}${f.failed ? `${f.value ? '; ' : ''}**FAILED**: ${f.failed}` : ''}`;
    rows.push(`| ${f.name} | ${v} | ${fmtSummary(f.baseline, f.unit)} | ${q === null ? '–' : `${q.toFixed(2)}×`} | ${f.goal} |`);
  }
  for (const s of skipped) rows.push(`| ${s.replace(/: skipped: /, ' | skipped: ')} | – | – | – |`);
  return rows;
}

function footnotes(): string[] {
  const seen = new Set<string>();
  const out: string[] = [];
  for (const f of figures) {
    if (f.baselineWhat !== '–' && !seen.has(f.baselineWhat)) {
      seen.add(f.baselineWhat);
      out.push(`- baseline of *${f.name.replace(/ N=\d+$/, '')}*: ${f.baselineWhat}`);
    }
  }
  for (const f of figures) if (f.note) out.push(`- *${f.name}*: ${f.note}`);
  return out;
}

function writeJson(): void {
  const rows = figures.map((f) => {
    const b = f.baseline ? round(f.baseline.median) : null;
    const q = f.value ? ratio(f.value.median, f.baseline?.median ?? null) : null;
    return { name: f.name, value: f.value ? round(f.value.median) : null, unit: f.unit, baseline: b, ratio: q === null ? null : Math.round(q * 100) / 100 };
  });
  fs.mkdirSync(path.dirname(RESULTS), { recursive: true });
  fs.writeFileSync(RESULTS, `${JSON.stringify(rows, null, 2)}\n`);
}

function rewriteReadme(section: string[]): void {
  const start = '<!-- bench:start -->';
  const end = '<!-- bench:end -->';
  const text = fs.readFileSync(README, 'utf8');
  const body = `${start}\n${section.join('\n')}\n${end}`;
  const a = text.indexOf(start);
  const b = text.indexOf(end);
  const next = a >= 0 && b > a
    ? `${text.slice(0, a)}${body}${text.slice(b + end.length)}`
    : `${text.replace(/\s*$/, '')}\n\n## Measured\n\n${body}\n`;
  fs.writeFileSync(README, next);
}

// ---------------------------------------------------------------- main

async function cleanupAll(): Promise<void> {
  for (const id of [...live]) {
    try {
      await engine.destroy(id);
    } catch (e) {
      log(`  (could not destroy ${id}: ${(e as Error).message})`);
    }
    live.delete(id);
  }
  reaper.stop();
}

let interrupted = false;
for (const sig of ['SIGINT', 'SIGTERM'] as const) {
  process.on(sig, () => {
    if (interrupted) return;
    interrupted = true;
    log(`\n${sig}: destroying ${live.size} bench session(s)…`);
    void cleanupAll().finally(() => process.exit(130));
  });
}

/** --quick leaves out the slowest end-to-end figures unless asked for by name (--only ui,workshop). */
function heavyInQuick(name: string, what: string): boolean {
  if (!OPTS.quick || OPTS.only?.has(name)) return false;
  log(`${name}: not in --quick: ${what}; \`npm run bench -- --quick --only ${name}\` or a full run measures it`);
  skipped.push(`${what}: not in --quick (\`--only ${name}\` runs it)`);
  return true;
}

async function main(): Promise<number> {
  if (process.getuid?.() !== 0) {
    log('npm run bench needs root: it builds namespaces in nsplay sessions (the machine\'s own network is not touched).');
    return 1;
  }
  const started = performance.now();
  const env = environment();
  log(`nsplay bench${OPTS.quick ? ' --quick' : ''}`);
  for (const l of env) log(l);
  log(`state dir ${STATE_DIR}; sessions are destroyed after each measurement`);
  log();
  const before = machineSnapshot();
  const reclaimed = await engine.reclaim();
  if (reclaimed.length) log(`reclaimed from an earlier bench: ${reclaimed.join(', ')}`);
  await reaper.start();
  const took: string[] = [];
  const guarded = async (name: string, fn: () => Promise<void> | void) => {
    if (!want(name) || interrupted) return;
    const t0 = performance.now();
    try {
      await fn();
    } catch (e) {
      failures.push(`${name}: ${(e as Error).message}`);
      log(`  FAILED: ${(e as Error).stack ?? (e as Error).message}`);
    }
    const s = (performance.now() - t0) / 1000;
    took.push(`${name} ${s.toFixed(s < 10 ? 1 : 0)} s`);
    log(`  (${name}: ${s.toFixed(1)} s)`);
  };
  try {
    await guarded('apply', figureApply);
    await guarded('destroy', figureDestroy);
    await guarded('reapply', figureReapply);
    await guarded('mininet', async () => (await import('./mininet.ts')).figureMininet({ engine, quick: OPTS.quick, reps: OPTS.reps, install: OPTS.installMininet, named: OPTS.only?.has('mininet') ?? false, log, figures, failures, skipped, newSession, teardown }));
    await guarded('cli', figureCli);
    await guarded('lab', figureLab);
    const packets: PacketsContext = { engine, stateDir: STATE_DIR, quick: OPTS.quick, reps: OPTS.reps, log, figures, failures, skipped, withSession };
    await guarded('matrix', () => figureMatrix(packets));
    await guarded('probe', () => figureProbe(packets));
    await guarded('capture', () => figureCapture(packets));
    await guarded('ui', async () => (heavyInQuick('ui', 'the UI figures (a server, Chromium, ~60 s)') ? undefined : (await import('./ui.ts')).figureUi({ log, figures, skipped, failures, repsFor })));
    await guarded('labs', async () => (await import('./labs.ts')).figureLabs({ engine, quick: OPTS.quick, reps: OPTS.reps, log, figures, failures, newSession, teardown, labs: OPTS.quick ? ['03-bridge'] : undefined }));
    await guarded('wire', async () => (await import('./wire.ts')).figureWire({ engine, stateDir: STATE_DIR, quick: OPTS.quick, reps: OPTS.reps, log, figures, failures }));
    await guarded('echo', async () => (await import('./echo.ts')).figureEcho({ engine, quick: OPTS.quick, reps: OPTS.reps, log, figures, failures }));
    await guarded('workshop', async () => (heavyInQuick('workshop', 'the workshop figures (a room of sessions at once, ~40 s)') ? undefined : (await import('./workshop.ts')).figureWorkshop({ quick: OPTS.quick, log, figures, failures })));
  } finally {
    await cleanupAll();
  }
  const failed = failures.length > 0;
  const leftover = fs.existsSync(path.join(STATE_DIR, 'sessions')) ? fs.readdirSync(path.join(STATE_DIR, 'sessions')) : [];
  const after = machineSnapshot();
  const seconds = (performance.now() - started) / 1000;
  const envEnd = `load average at the end ${os.loadavg().map((x) => x.toFixed(2)).join(' ')}; bench took ${seconds.toFixed(0)} s (${took.join(', ')})`;

  log();
  const section = [
    `Measured by \`npm run bench${OPTS.quick ? ' -- --quick' : ''}\`; each figure is the median of its runs (min–max in brackets), its baseline measured in the same run.`,
    '',
    ...env.map((l) => `${l}  `),
    `${envEnd}.`,
    '',
    ...table(),
    '',
    ...footnotes(),
    ...failures.map((f) => `- FAILED: ${f.split('\n')[0]}`),
  ];
  for (const l of section) log(l);
  log();
  for (const f of failures) log(`FAILED: ${f.split('\n')[0]}`);
  const creates = summarize(createTimes);
  if (createTimes.length) log(`${createTimes.length} sessions created; engine.create ${fmtSummary(creates)}`);
  if (figures.length) {
    writeJson();
    log(`wrote ${path.relative(ROOT, RESULTS)} (${figures.length} figures)`);
    // Failed figures are results too (the table says FAILED and why); the README shows them.
    if (OPTS.readme) {
      rewriteReadme(section);
      log('rewrote the README\'s "Measured" section');
    }
  }
  log(`bench sessions left: ${leftover.length === 0 ? 'none' : leftover.join(', ')}`);
  const same = before === after;
  log(`machine's root namespace (ip netns list, ip -br link): ${same ? 'unchanged' : 'CHANGED'}`);
  if (!same) {
    const a = new Set(before.split('\n'));
    const b = new Set(after.split('\n'));
    for (const l of a) if (!b.has(l)) log(`  - ${l}`);
    for (const l of b) if (!a.has(l)) log(`  + ${l}`);
    log('  (the bench creates nothing in the root namespace: its namespaces live in sessions and in an unshare child;');
    log('   a difference here comes from another process on this shared machine — check the names above)');
  }
  return failed || leftover.length || !same ? 1 : 0;
}

process.exitCode = await main();
