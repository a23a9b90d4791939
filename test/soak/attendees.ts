// Gate 10 (issue 7): soak. The REAL server (`node --import tsx server/index.ts --port 0`, Next.js
// production build and the engine in its child process) in a state directory of its own, and N
// synthetic attendees (socket.io clients, default 20), each cycling for NSPLAY_SOAK_MINUTES (default 60):
//   session:open (lab 03-bridge) → topology:apply (labs/03-bridge/final.yaml)
//   → probe:run netns1→netns2 and netns1→1.1.1.1 (both must be ok)
//   → capture:start netns1 veth1 'icmp' → probe netns1→netns2 → capture:stop
//   → session:destroy, with a small random jitter between steps.
// Every NSPLAY_SOAK_SAMPLE_SECONDS (default 30) it samples: the server's and the engine child's RSS
// (/proc/PID/status VmRSS), sessions in the state directory, processes under the server, processes
// that name the state directory (session holders), the server's open fds, /dev/pts entries (machine
// wide, informational: other work on a shared machine opens ptys) and ptys held by the server's tree.
// Pass: 0 client errors (error acks, ack timeouts, unexpected disconnects, server:error events and
// session:closed nobody asked for — every one listed), the server never exited and its engine child
// never restarted, counts back to the baseline after the last destroy, and the memory slope (least
// squares over the samples after a 5-minute warm-up; the second half for runs shorter than 10 min)
// ≤ NSPLAY_SOAK_MAX_SLOPE MiB/h (default 5) for both processes. The summary goes to stdout and to
// test-results/soak-attendees.json; exit code 1 on failure. The server is stopped by PID (SIGTERM)
// and the state directory must hold no session afterwards.
//
//   sudo NSPLAY_SOAK_MINUTES=4 NSPLAY_SOAK_ATTENDEES=6 node --import tsx test/soak/attendees.ts
//
// Needs root and `.next` (scripts/setup.sh builds it). Touches nothing but its own sessions: every
// namespace lives in a session sandbox of this run's state directory; no packet leaves them.
import { spawn, execFileSync, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { io as connect, type Socket } from 'socket.io-client';
import type {
  Ack, ApplyResult, CaptureInfo, CaptureStats, ClientToServerEvents, OpenedSession, ProbeResult, ServerToClientEvents,
} from '../../server/realtime/contract.ts';
import { loadTopology } from '../../server/topology/load.ts';
import type { Topology } from '../../server/topology/schema.ts';

type Client = Socket<ServerToClientEvents, ClientToServerEvents>;

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const num = (name: string, dflt: number) => {
  const v = process.env[name];
  const n = v === undefined || v === '' ? dflt : Number(v);
  if (!Number.isFinite(n) || n <= 0) throw new Error(`${name}='${v}' must be a positive number`);
  return n;
};
const MINUTES = num('NSPLAY_SOAK_MINUTES', 60);
const ATTENDEES = Math.floor(num('NSPLAY_SOAK_ATTENDEES', 20));
const SAMPLE_S = num('NSPLAY_SOAK_SAMPLE_SECONDS', 30);
const MAX_SLOPE = num('NSPLAY_SOAK_MAX_SLOPE', 5);
const WARMUP_S = 5 * 60;
const STATE = process.env.NSPLAY_SOAK_STATE_DIR ?? `/run/nsplay-soak-${process.pid}`;
const RESULTS = path.join(ROOT, 'test-results');
const OUT = path.join(RESULTS, 'soak-attendees.json');
const SERVER_LOG = path.join(RESULTS, 'soak-attendees.server.log');
/** Open fds of the server may differ by a few after the run (lazily opened files, e.g. Next's manifests). */
const FD_SLACK = 4;

const T0 = Date.now();
const elapsed = () => (Date.now() - T0) / 1000;
const say = (m: string) => console.log(`[soak ${elapsed().toFixed(0).padStart(5)}s] ${m}`);
const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));
const jitter = (lo: number, hi: number) => sleep(lo + Math.random() * (hi - lo));

// ---------------------------------------------------------------------------------------- /proc

function readProc(file: string): string | null {
  try { return fs.readFileSync(file, 'utf8'); } catch { return null; }
}
function rssKiB(pid: number | undefined): number | null {
  if (!pid) return null;
  const m = /^VmRSS:\s+(\d+)\s+kB/m.exec(readProc(`/proc/${pid}/status`) ?? '');
  return m ? Number(m[1]) : null;
}
function alive(pid: number): boolean {
  const stat = readProc(`/proc/${pid}/stat`);
  if (!stat) return false;
  return stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3) !== 'Z';
}
interface ProcInfo { pid: number; ppid: number; cmd: string }
function processes(): ProcInfo[] {
  const out: ProcInfo[] = [];
  for (const p of fs.readdirSync('/proc')) {
    if (!/^\d+$/.test(p)) continue;
    const stat = readProc(`/proc/${p}/stat`);
    if (!stat) continue;
    const rest = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    if (rest[0] === 'Z') continue;
    const cmd = (readProc(`/proc/${p}/cmdline`) ?? '').replace(/\0/g, ' ').trim();
    out.push({ pid: Number(p), ppid: Number(rest[1]), cmd });
  }
  return out;
}
function descendants(root: number, all: ProcInfo[]): ProcInfo[] {
  const kids = new Map<number, ProcInfo[]>();
  for (const p of all) kids.set(p.ppid, [...(kids.get(p.ppid) ?? []), p]);
  const found: ProcInfo[] = [];
  const walk = (pid: number) => { for (const k of kids.get(pid) ?? []) { found.push(k); walk(k.pid); } };
  walk(root);
  return found;
}
function fdTargets(pid: number): string[] {
  try {
    return fs.readdirSync(`/proc/${pid}/fd`).map((fd) => { try { return fs.readlinkSync(`/proc/${pid}/fd/${fd}`); } catch { return ''; } });
  } catch { return []; }
}
function sessionsInState(): string[] {
  try { return fs.readdirSync(path.join(STATE, 'sessions')).filter((s) => /^s[0-9a-f]{6}$/.test(s)); } catch { return []; }
}
function mountsOfState(): number {
  return (readProc('/proc/self/mountinfo') ?? '').split('\n').filter((l) => (l.split(' ')[4] ?? '').startsWith(STATE)).length;
}

// -------------------------------------------------------------------------------------- server

interface Server { proc: ChildProcess; pid: number; url: string; exited: { code: number | null; signal: string | null } | null; log: string[] }

async function startServer(): Promise<Server> {
  if (!fs.existsSync(path.join(ROOT, '.next', 'BUILD_ID'))) throw new Error('no Next.js build in .next: run `npm run setup` (scripts/setup.sh) first');
  const env: NodeJS.ProcessEnv = { ...process.env };
  for (const k of ['HOST', 'PORT', 'NSPLAY_DEV', 'NSPLAY_TOKEN']) delete env[k];
  Object.assign(env, { NSPLAY_STATE_DIR: STATE, NEXT_TELEMETRY_DISABLED: '1', NODE_ENV: 'production' });
  const logFile = fs.createWriteStream(SERVER_LOG);
  const proc = spawn(process.execPath, ['--import', 'tsx', 'server/index.ts', '--port', '0', '--host', '127.0.0.1'], {
    cwd: ROOT, env, stdio: ['ignore', 'pipe', 'pipe'],
  });
  const s: Server = { proc, pid: proc.pid!, url: '', exited: null, log: [] };
  proc.on('exit', (code, signal) => { s.exited = { code, signal }; });
  let buf = '';
  const seen = (d: Buffer) => {
    logFile.write(d);
    buf += d.toString();
    const lines = buf.split('\n');
    buf = lines.pop() ?? '';
    for (const l of lines) s.log.push(`${elapsed().toFixed(0)}s ${l}`);
  };
  proc.stdout!.on('data', seen);
  proc.stderr!.on('data', seen);
  s.url = await new Promise<string>((resolve, fail) => {
    const timer = setTimeout(() => fail(new Error(`the server did not start in 120 s:\n${s.log.join('\n')}`)), 120_000);
    const check = setInterval(() => {
      const m = s.log.map((l) => /nsplay listening on (\S+)/.exec(l)).find(Boolean);
      if (m) { clearTimeout(timer); clearInterval(check); resolve(m[1]); }
      if (s.exited) { clearTimeout(timer); clearInterval(check); fail(new Error(`the server exited at start:\n${s.log.join('\n')}`)); }
    }, 50);
  });
  return s;
}

function enginePid(server: Server, all = processes()): number | undefined {
  return descendants(server.pid, all).find((p) => p.ppid === server.pid && p.cmd.includes('engine-host'))?.pid;
}

async function stopServer(server: Server): Promise<{ graceful: boolean; ms: number }> {
  const t = Date.now();
  if (server.exited) return { graceful: false, ms: 0 };
  process.kill(server.pid, 'SIGTERM');
  for (let i = 0; i < 600 && !server.exited; i++) await sleep(50);
  if (!server.exited) {
    say(`the server (pid ${server.pid}) did not exit 30 s after SIGTERM: SIGKILL`);
    try { process.kill(server.pid, 'SIGKILL'); } catch { /* gone */ }
    for (let i = 0; i < 100 && !server.exited; i++) await sleep(50);
    return { graceful: false, ms: Date.now() - t };
  }
  return { graceful: true, ms: Date.now() - t };
}

// ------------------------------------------------------------------------------------- samples

interface Sample {
  t: number;
  serverRssKiB: number | null;
  engineRssKiB: number | null;
  enginePid: number | null;
  sessions: number;
  processesUnderServer: number;
  holders: number;
  serverFds: number;
  ptsMachine: number;
  ptsHeld: number;
  mounts: number;
  activeAttendees: number;
}

function sample(server: Server, active: number): Sample {
  const all = processes();
  const tree = descendants(server.pid, all);
  const treePids = [server.pid, ...tree.map((p) => p.pid)];
  const ptsHeld = new Set(treePids.flatMap((pid) => fdTargets(pid).filter((f) => /^\/dev\/pts\/\d+$/.test(f)))).size;
  const ePid = enginePid(server, all);
  let ptsMachine = 0;
  try { ptsMachine = fs.readdirSync('/dev/pts').filter((n) => /^\d+$/.test(n)).length; } catch { /* no devpts */ }
  return {
    t: Math.round(elapsed()),
    serverRssKiB: rssKiB(server.pid),
    engineRssKiB: rssKiB(ePid),
    enginePid: ePid ?? null,
    sessions: sessionsInState().length,
    processesUnderServer: tree.length,
    holders: all.filter((p) => p.pid !== process.pid && p.cmd.includes(STATE)).length,
    serverFds: fdTargets(server.pid).length,
    ptsMachine,
    ptsHeld,
    mounts: mountsOfState(),
    activeAttendees: active,
  };
}

/** Least-squares slope of (t seconds, KiB) in MiB per hour; null with fewer than 3 points. */
function slopeMiBh(points: { t: number; kib: number }[]): number | null {
  if (points.length < 3) return null;
  const n = points.length;
  const mt = points.reduce((a, p) => a + p.t, 0) / n;
  const mk = points.reduce((a, p) => a + p.kib, 0) / n;
  let num = 0, den = 0;
  for (const p of points) { num += (p.t - mt) * (p.kib - mk); den += (p.t - mt) ** 2; }
  if (den === 0) return null;
  return (num / den) * 3600 / 1024;
}

// ------------------------------------------------------------------------------------ attendees

interface ClientError { t: number; attendee: number; cycle: number; step: string; error: string }
const errors: ClientError[] = [];
const stepMs = new Map<string, number[]>();
const counters = { cycles: 0, probes: 0, captures: 0, emptyCaptures: 0, capturedPackets: 0, reconnects: 0 };

function request<T>(c: Client, event: string, payload: unknown, ms: number): Promise<Ack<T>> {
  return (c as unknown as { timeout(ms: number): { emitWithAck(e: string, p: unknown): Promise<Ack<T>> } })
    .timeout(ms).emitWithAck(event, payload)
    .catch((e: Error) => ({ ok: false as const, error: `no ack within ${ms} ms (${e.message})` }));
}

function lab3(): Topology {
  const t = loadTopology(fs.readFileSync(path.join(ROOT, 'labs/03-bridge/final.yaml'), 'utf8'));
  if (!t.ok) throw new Error('labs/03-bridge/final.yaml does not load');
  return t.value;
}

class Attendee {
  client: Client | null = null;
  cycle = 0;
  step = 'connect';
  sessionId = '';
  destroying = false;
  constructor(readonly n: number, readonly url: string, readonly topology: Topology) {}

  fail(error: string) {
    errors.push({ t: Math.round(elapsed()), attendee: this.n, cycle: this.cycle, step: this.step, error });
    say(`attendee ${this.n} cycle ${this.cycle} ${this.step}: ${error}`);
  }

  async connect(): Promise<Client | null> {
    const c: Client = connect(this.url, { transports: ['websocket'], forceNew: true, reconnection: false, timeout: 30_000 });
    const ok = await new Promise<boolean>((resolve) => {
      c.once('connect', () => resolve(true));
      c.once('connect_error', (e) => { this.fail(`connect_error: ${e.message}`); resolve(false); });
    });
    if (!ok) { c.close(); return null; }
    c.on('disconnect', (reason) => {
      if (reason !== 'io client disconnect') this.fail(`unexpected disconnect: ${reason}`);
    });
    c.on('server:error', (e) => this.fail(`server:error ${e.event}: ${e.error}`));
    c.on('session:closed', (e) => {
      if (!this.destroying && e.id === this.sessionId) this.fail(`session:closed nobody asked for: ${e.reason}`);
    });
    return c;
  }

  /** One call; an error ack (or a timeout) is recorded and ends the cycle. */
  async call<T>(event: string, payload: unknown, ms: number, label = event): Promise<T> {
    const c = this.client!;
    this.step = label;
    const t = performance.now();
    const r = await request<T>(c, event, payload, ms);
    const took = performance.now() - t;
    stepMs.set(label, [...(stepMs.get(label) ?? []), took]);
    if (!r.ok) throw new Error(r.error);
    return r.data;
  }

  async probe(from: string, to: string, label: string) {
    const r = await this.call<ProbeResult>('probe:run', { from, to }, 90_000, label);
    counters.probes++;
    if (!r.ok) throw new Error(`probe ${from}→${to} not ok: ${r.reason ?? '?'} at ${r.hop?.node ?? '?'}`);
  }

  async runCycle() {
    this.cycle++;
    this.sessionId = '';
    this.destroying = false;
    let opened = false;
    try {
      const o = await this.call<OpenedSession>('session:open', { lab: '03-bridge' }, 120_000, 'open');
      opened = true;
      this.sessionId = o.state.info.id;
      await jitter(100, 800);
      const a = await this.call<ApplyResult>('topology:apply', { topology: this.topology }, 240_000, 'apply');
      if (!a.ok) throw new Error(`apply not ok: ${a.error?.stderr.trim() ?? '?'} (step ${a.error?.step.id ?? '?'})`);
      await jitter(100, 800);
      await this.probe('netns1', 'netns2', 'probe netns1→netns2');
      await jitter(50, 400);
      await this.probe('netns1', '1.1.1.1', 'probe netns1→1.1.1.1');
      await jitter(50, 400);
      const cap = await this.call<CaptureInfo>('capture:start', { node: 'netns1', iface: 'veth1', filter: 'icmp' }, 60_000, 'capture:start');
      counters.captures++;
      await this.probe('netns1', 'netns2', 'probe during capture');
      await jitter(200, 600);
      const stats = await this.call<CaptureStats>('capture:stop', { captureId: cap.captureId }, 60_000, 'capture:stop');
      counters.capturedPackets += stats.packets;
      if (stats.packets === 0) counters.emptyCaptures++;
      await jitter(100, 800);
    } catch (e) {
      this.fail((e as Error).message);
    } finally {
      if (opened && this.client?.connected) {
        this.destroying = true;
        try {
          await this.call('session:destroy', {}, 120_000, 'destroy');
        } catch (e) { this.fail((e as Error).message); }
      }
    }
    counters.cycles++;
  }

  async run(deadline: number) {
    while (Date.now() < deadline) {
      if (!this.client?.connected) {
        this.client?.close();
        this.step = 'connect';
        if (this.client) counters.reconnects++;
        this.client = await this.connect();
        if (!this.client) { await sleep(2000); continue; }
      }
      await this.runCycle();
      await jitter(200, 2000);
    }
    this.client?.disconnect();
  }
}

// ------------------------------------------------------------------------------------------ main

/** The server this run started, stopped by PID if the run itself fails half-way. */
let started: Server | null = null;

async function main(): Promise<number> {
  if (process.getuid?.() !== 0) throw new Error('the soak needs root (it builds real namespaces)');
  fs.mkdirSync(RESULTS, { recursive: true });
  if (sessionsInState().length) throw new Error(`${STATE} already holds sessions: use a fresh NSPLAY_SOAK_STATE_DIR`);
  fs.mkdirSync(STATE, { recursive: true });
  say(`${ATTENDEES} attendees for ${MINUTES} min, a sample every ${SAMPLE_S} s, state in ${STATE}`);

  const server = await startServer();
  started = server;
  let stopping = false;
  const onSignal = (sig: NodeJS.Signals) => {
    if (stopping) return;
    stopping = true;
    say(`${sig}: stopping the server (pid ${server.pid})`);
    try { process.kill(server.pid, 'SIGTERM'); } catch { /* gone */ }
    // The server destroys every session first: 20 of them on a loaded machine take longer than 15 s.
    setTimeout(() => process.exit(130), 120_000);
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  say(`server pid ${server.pid} at ${server.url}`);

  // Let the start-up settle (the engine child exists after reclaim), then the baseline.
  await sleep(3000);
  const baseline = sample(server, 0);
  const firstEngine = baseline.enginePid;
  say(`baseline: ${JSON.stringify(baseline)}`);

  const samples: Sample[] = [baseline];
  const engines = new Set<number>(firstEngine ? [firstEngine] : []);
  let active = 0;
  const sampler = setInterval(() => {
    const s = sample(server, active);
    samples.push(s);
    if (s.enginePid) engines.add(s.enginePid);
    say(`server ${((s.serverRssKiB ?? 0) / 1024).toFixed(1)} MiB, engine ${((s.engineRssKiB ?? 0) / 1024).toFixed(1)} MiB, sessions ${s.sessions}, procs ${s.processesUnderServer}, holders ${s.holders}, fds ${s.serverFds}, pts ${s.ptsHeld}/${s.ptsMachine}, cycles ${counters.cycles}, errors ${errors.length}`);
  }, SAMPLE_S * 1000);
  // The engine's pid between samples too: a restart is a crash even when it happens fast.
  const watcher = setInterval(() => { const p = enginePid(server); if (p) engines.add(p); }, 2000);

  const topology = lab3();
  const deadline = Date.now() + MINUTES * 60_000;
  const people = Array.from({ length: ATTENDEES }, (_, i) => new Attendee(i + 1, server.url, topology));
  await Promise.all(people.map(async (p, i) => {
    await sleep(i * 500 + Math.random() * 500); // arrivals spread like a room filling up
    active++;
    try { await p.run(deadline); } finally { active--; }
  }));
  const endedAt = elapsed();
  say(`all attendees done after ${counters.cycles} cycles; waiting for the counts to return to the baseline`);
  clearInterval(sampler);
  clearInterval(watcher);

  // Counts back to the baseline (the server closes sockets and reaps children asynchronously).
  const back = (s: Sample) => s.sessions <= baseline.sessions && s.processesUnderServer <= baseline.processesUnderServer
    && s.holders <= baseline.holders && s.ptsHeld <= baseline.ptsHeld && s.mounts <= baseline.mounts
    && s.serverFds <= baseline.serverFds + FD_SLACK;
  let after = sample(server, 0);
  for (let i = 0; i < 60 && !back(after); i++) { await sleep(1000); after = sample(server, 0); }
  samples.push(after);
  if (after.enginePid) engines.add(after.enginePid);

  const serverDied = server.exited ? `the server exited during the run (${server.exited.signal ?? server.exited.code})` : null;
  const stop = await stopServer(server);
  await sleep(500);
  const leftSessions = sessionsInState();
  const leftProcs = processes().filter((p) => p.pid !== process.pid && p.cmd.includes(STATE)).map((p) => `${p.pid} ${p.cmd}`);
  const leftMounts = mountsOfState();
  const engineRestarts = Math.max(0, engines.size - 1);
  const engineExits = server.log.filter((l) => /engine process exited/.test(l));
  const blocked = server.log.filter((l) => /event loop was blocked/.test(l));

  // Memory slope: after the warm-up; for runs shorter than twice the warm-up, the second half.
  // (Seconds counted from the baseline, when the attendees start arriving, not from the server's start.)
  const running = samples.filter((s) => s !== after && s.t <= endedAt);
  const from = baseline.t + (MINUTES * 60 >= 2 * WARMUP_S ? WARMUP_S : (MINUTES * 60) / 2);
  const window = running.filter((s) => s.t >= from);
  const pts = (k: 'serverRssKiB' | 'engineRssKiB') => window.filter((s) => s[k] !== null).map((s) => ({ t: s.t, kib: s[k]! }));
  const serverSlope = slopeMiBh(pts('serverRssKiB'));
  const engineSlope = slopeMiBh(pts('engineRssKiB'));

  const countChecks = {
    sessions: { baseline: baseline.sessions, after: after.sessions },
    processesUnderServer: { baseline: baseline.processesUnderServer, after: after.processesUnderServer },
    holders: { baseline: baseline.holders, after: after.holders },
    serverFds: { baseline: baseline.serverFds, after: after.serverFds, slack: FD_SLACK },
    ptsHeld: { baseline: baseline.ptsHeld, after: after.ptsHeld },
    ptsMachine: { baseline: baseline.ptsMachine, after: after.ptsMachine, informational: true },
    mounts: { baseline: baseline.mounts, after: after.mounts },
  };
  const failures: string[] = [];
  if (errors.length) failures.push(`${errors.length} client errors`);
  if (serverDied) failures.push(serverDied);
  if (engineRestarts || engineExits.length) failures.push(`the engine process restarted ${engineRestarts} time(s): ${engineExits.join(' | ')}`);
  if (!back(after)) failures.push(`counts not back to the baseline: ${JSON.stringify(countChecks)}`);
  if (counters.cycles === 0) failures.push('no cycle completed');
  for (const [name, s] of [['server', serverSlope], ['engine', engineSlope]] as const) {
    if (s === null) failures.push(`${name} memory slope: too few samples (${window.length}) — run longer or sample more often`);
    else if (s > MAX_SLOPE) failures.push(`${name} memory slope ${s.toFixed(2)} MiB/h > ${MAX_SLOPE}`);
  }
  if (!stop.graceful) failures.push(`the server did not stop on SIGTERM within 30 s`);
  if (leftSessions.length) failures.push(`sessions left after the server stopped: ${leftSessions.join(', ')}`);
  if (leftProcs.length) failures.push(`processes of the state directory left: ${leftProcs.join('; ')}`);
  if (leftMounts) failures.push(`${leftMounts} mounts under ${STATE} left`);

  const pct = (xs: number[], q: number) => { const s = [...xs].sort((a, b) => a - b); return s.length ? Math.round(s[Math.min(s.length - 1, Math.floor(q * s.length))]) : null; };
  const steps = Object.fromEntries([...stepMs].map(([k, v]) => [k, { n: v.length, p50: pct(v, 0.5), p95: pct(v, 0.95), max: pct(v, 1) }]));
  const mib = (k: number | null) => (k === null ? null : Math.round((k / 1024) * 10) / 10);
  const report = {
    gate: 'issue 7 gate 10: soak',
    ok: failures.length === 0,
    failures,
    config: { minutes: MINUTES, attendees: ATTENDEES, sampleSeconds: SAMPLE_S, maxSlopeMiBh: MAX_SLOPE, slopeFromSeconds: from, stateDir: STATE, short: MINUTES < 60 || ATTENDEES < 20 },
    ranSeconds: Math.round(endedAt),
    counters,
    errors,
    server: { pid: server.pid, diedDuringRun: serverDied, stopGraceful: stop.graceful, stopMs: stop.ms, enginePids: [...engines], engineRestarts, engineExitLines: engineExits, eventLoopBlockedWarnings: blocked.length },
    memory: {
      serverRssMiB: { baseline: mib(baseline.serverRssKiB), end: mib(after.serverRssKiB), max: mib(Math.max(...samples.map((s) => s.serverRssKiB ?? 0))) },
      engineRssMiB: { baseline: mib(baseline.engineRssKiB), end: mib(after.engineRssKiB), max: mib(Math.max(...samples.map((s) => s.engineRssKiB ?? 0))) },
      serverSlopeMiBh: serverSlope === null ? null : Math.round(serverSlope * 100) / 100,
      engineSlopeMiBh: engineSlope === null ? null : Math.round(engineSlope * 100) / 100,
      slopeSamples: window.length,
    },
    counts: countChecks,
    afterStop: { sessions: leftSessions, processes: leftProcs, mounts: leftMounts },
    steps,
    samples,
  };
  fs.writeFileSync(OUT, `${JSON.stringify(report, null, 2)}\n`);

  const row = (k: string, v: unknown) => console.log(`  ${k.padEnd(34)} ${v}`);
  console.log(`\ngate 10 soak — ${ATTENDEES} attendees × ${MINUTES} min${report.config.short ? ' (SHORT RUN)' : ''}`);
  row('cycles / probes / captures', `${counters.cycles} / ${counters.probes} / ${counters.captures} (${counters.capturedPackets} packets, ${counters.emptyCaptures} empty)`);
  row('client errors', errors.length);
  row('server crashed / engine restarts', `${serverDied ? 'yes' : 'no'} / ${engineRestarts}`);
  row('event-loop-blocked warnings', blocked.length);
  row('server RSS MiB base→end (max)', `${report.memory.serverRssMiB.baseline} → ${report.memory.serverRssMiB.end} (${report.memory.serverRssMiB.max})`);
  row('engine RSS MiB base→end (max)', `${report.memory.engineRssMiB.baseline} → ${report.memory.engineRssMiB.end} (${report.memory.engineRssMiB.max})`);
  row(`slope MiB/h from ${from}s (${window.length} samples)`, `server ${report.memory.serverSlopeMiBh}, engine ${report.memory.engineSlopeMiBh} (limit ${MAX_SLOPE})`);
  for (const [k, v] of Object.entries(countChecks)) row(`${k} baseline→after`, `${v.baseline} → ${v.after}`);
  row('server stop (SIGTERM)', `${stop.graceful ? 'clean' : 'NOT clean'} in ${stop.ms} ms; sessions left ${leftSessions.length}, processes left ${leftProcs.length}`);
  for (const [k, v] of Object.entries(steps)) row(`step ${k} ms p50/p95/max`, `${v.p50}/${v.p95}/${v.max} (n=${v.n})`);
  if (errors.length) {
    console.log('\nclient errors:');
    for (const e of errors) console.log(`  ${e.t}s attendee ${e.attendee} cycle ${e.cycle} ${e.step}: ${e.error}`);
  }
  console.log(`\n${failures.length ? `FAIL:\n  ${failures.join('\n  ')}` : 'PASS'}\nwritten: ${path.relative(ROOT, OUT)} (server log: ${path.relative(ROOT, SERVER_LOG)})`);
  if (!leftSessions.length && !leftProcs.length && !leftMounts) fs.rmSync(STATE, { recursive: true, force: true });
  else console.log(`left ${STATE} in place for inspection (destroy with NSPLAY_STATE_DIR=${STATE} npm run nsplay -- session destroy ID)`);
  return failures.length ? 1 : 0;
}

main().then((code) => process.exit(code), async (e: Error) => {
  console.error(`soak: ${e.stack ?? e.message}`);
  if (started && !started.exited) await stopServer(started).catch(() => undefined);
  process.exit(1);
});
