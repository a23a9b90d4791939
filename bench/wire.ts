// The capture latency figure of issue 4 for `npm run bench`: how long from a packet on the wire to its
// summary reaching the page. Lab 03-bridge's final drawing, opened and applied over socket.io exactly
// as the page does ('session:open' with the lab, 'topology:apply'), against createApplication with the
// real engine on 127.0.0.1:0 (no Next: the page's socket protocol is the same). A capture on netns1
// veth1 (filter icmp) streams 'capture:packets' to a socket.io client while netns1 pings netns2 at a
// steady low rate; each packet's latency is its receipt (Date.now()) minus its kernel capture time
// (PacketSummary.t, tcpdump -tt) — one machine, one clock.
//
// Baseline, measured on the same packets at the same time: a bare `tcpdump -l -nn -tt -i veth1 icmp`
// in netns1, its stdout line's receipt in this process (what a terminal would show). The difference is
// what nsplay's pipeline adds (pcap split, sampler, decoding tcpdump, batching — early on a quiet link, else every 100 ms — socket.io).
//
// The pings only address netns2 (10.0.0.102) from netns1, both namespaces of this session. Every
// process started here is ended by PID; the session is destroyed through the socket (and the engine
// as a fallback) before the figure returns.
import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { io as connect, type Socket } from 'socket.io-client';
import { createCaptureRegistry } from '../server/capture/index.ts';
import { createApplication, type Application } from '../server/realtime/app.ts';
import type { Ack, CaptureInfo, ClientToServerEvents, PacketBatch, ServerToClientEvents } from '../server/realtime/contract.ts';
import type { Engine } from '../server/session/types.ts';
import { loadTopology } from '../server/topology/load.ts';
import { fmtNumber, percentile, summarize, type Summary } from './stats.ts';
import type { Figure } from './figure.ts';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const LAB = '03-bridge';
const LAB_FINAL = path.join(ROOT, 'labs', LAB, 'final.yaml');
const NODE = 'netns1';
const IFACE = 'veth1';
const TARGET = '10.0.0.102'; // netns2 of the same session
const INTERVAL_S = 0.05;

export type WireFigure = Figure;

/** What the figure needs from the harness (bench/run.ts). */
export interface WireContext {
  /** The bench's engine (its state dir): the session opened over the socket is made by it. */
  engine: Engine;
  /** The bench's state dir (pcaps of the capture go under it). */
  stateDir: string;
  quick: boolean;
  /** --reps, when given. */
  reps: number | null;
  log: (line?: string) => void;
  figures: { push(...f: WireFigure[]): number };
  failures: string[];
}

export type Client = Socket<ServerToClientEvents, ClientToServerEvents>;

const ms = (x: number) => `${fmtNumber(x)} ms`;
const sleep = (t: number) => new Promise((r) => setTimeout(r, t));

export function request<T>(c: Client, event: string, payload: unknown, timeoutMs: number): Promise<Ack<T>> {
  return (c as unknown as { timeout(ms: number): { emitWithAck(e: string, p: unknown): Promise<Ack<T>> } })
    .timeout(timeoutMs).emitWithAck(event, payload);
}

export async function must<T>(c: Client, event: string, payload: unknown, timeoutMs: number): Promise<T> {
  const r = await request<T>(c, event, payload, timeoutMs);
  if (!r.ok) throw new Error(`${event}: ${r.error}`);
  return r.data;
}

// ---------------------------------------------------------------- processes: tracked, ended by PID

const children = new Set<ChildProcess>();
process.on('exit', () => {
  for (const c of children) if (c.pid && c.exitCode === null && c.signalCode === null) try { process.kill(c.pid, 'SIGKILL'); } catch { /* gone */ }
});

interface Proc {
  child: ChildProcess;
  stderr: () => string;
  exited: Promise<number | null>;
  stop: () => Promise<void>;
}

/** argv spawned (nsenter … ip netns exec … env … execs: the PID is the tool's); stdout lines to onLine with their receipt time. */
function start(argv: string[], onLine?: (line: string, at: number) => void): Proc {
  const child = spawn(argv[0], argv.slice(1), { stdio: ['ignore', 'pipe', 'pipe'] });
  children.add(child);
  let err = '';
  let buf = '';
  child.stdout!.on('data', (d) => {
    const at = Date.now();
    buf += String(d);
    let nl: number;
    while ((nl = buf.indexOf('\n')) >= 0) {
      const line = buf.slice(0, nl);
      buf = buf.slice(nl + 1);
      onLine?.(line, at);
    }
  });
  child.stderr!.on('data', (d) => (err += String(d)));
  const exited = new Promise<number | null>((resolve) => {
    child.on('error', () => { children.delete(child); resolve(127); });
    child.on('close', (code) => { children.delete(child); resolve(code); });
  });
  const alive = () => child.exitCode === null && child.signalCode === null;
  const stop = async () => {
    if (child.pid && alive()) try { process.kill(child.pid, 'SIGTERM'); } catch { /* gone */ }
    const t = setTimeout(() => { if (child.pid && alive()) try { process.kill(child.pid, 'SIGKILL'); } catch { /* gone */ } }, 2000);
    await exited;
    clearTimeout(t);
  };
  return { child, stderr: () => err, exited, stop };
}

async function waitFor(cond: () => boolean, timeoutMs: number): Promise<boolean> {
  const deadline = performance.now() + timeoutMs;
  while (!cond()) {
    if (performance.now() > deadline) return false;
    await sleep(10);
  }
  return true;
}

// ---------------------------------------------------------------- one run

interface Run { mine: number[]; base: number[]; floor: number[]; sent: number; batches: number; notes: string[] }

async function oneRun(ctx: WireContext, c: Client, id: string, pings: number): Promise<Run> {
  const mine: number[] = [];
  const base: number[] = [];
  const floor: number[] = [];
  const notes: string[] = [];
  let batches = 0;
  let captureId = '';
  const early: PacketBatch[] = [];
  const onBatch = (b: PacketBatch) => {
    const at = Date.now();
    if (!captureId) { early.push(b); return; }
    if (b.captureId !== captureId) return;
    batches++;
    for (const p of b.packets) mine.push(at - p.t * 1000);
    if (b.note) notes.push(b.note);
  };
  c.on('capture:packets', onBatch);

  // The terminal's view: a bare tcpdump in the same namespace, same interface and filter. With -l (as
  // on a terminal) tcpdump asks libpcap for a 100 ms buffer timeout, not immediate delivery; a second
  // one with --immediate-mode (as nsplay's capturing tcpdump) shows the floor, for the note only.
  const reader = (into: number[]) => (line: string, at: number) => {
    const m = /^(\d+\.\d+) /.exec(line);
    if (m) into.push(at - Number(m[1]) * 1000);
  };
  const bare = start(await ctx.engine.enterArgv(id, NODE, ['tcpdump', '-l', '-nn', '-tt', '-i', IFACE, 'icmp']), reader(base));
  const immediate = start(await ctx.engine.enterArgv(id, NODE, ['tcpdump', '-l', '--immediate-mode', '-nn', '-tt', '-i', IFACE, 'icmp']), reader(floor));
  let ping: Proc | null = null;
  try {
    for (const [what, t] of [['baseline', bare], ['immediate-mode', immediate]] as const) {
      if (!(await waitFor(() => t.stderr().includes('listening on'), 10_000))) {
        throw new Error(`the ${what} tcpdump did not start: ${t.stderr().trim().slice(0, 300) || 'no answer'}`);
      }
    }
    const info = await must<CaptureInfo>(c, 'capture:start', { node: NODE, iface: IFACE, filter: 'icmp' }, 30_000);
    captureId = info.captureId;
    for (const b of early.splice(0)) onBatch(b);
    try {
      ping = start(await ctx.engine.enterArgv(id, NODE, ['ping', '-n', '-q', '-i', String(INTERVAL_S), '-c', String(pings), '-W', '2', TARGET]));
      const code = await Promise.race([ping.exited, sleep(pings * INTERVAL_S * 1000 + 30_000).then(() => 'timeout' as const)]);
      if (code === 'timeout') throw new Error('ping did not finish in time');
      if (code !== 0) throw new Error(`ping ${NODE} → ${TARGET} exited ${code}: ${ping.stderr().trim().slice(0, 300)}`);
      // The tail: the last batch leaves up to 100 ms after its packets; give both readers time.
      const want = 2 * pings;
      await waitFor(() => mine.length >= want && base.length >= want && floor.length >= want, 3000);
    } finally {
      await request(c, 'capture:stop', { captureId }, 15_000).catch(() => undefined);
    }
  } finally {
    await ping?.stop();
    await Promise.all([bare.stop(), immediate.stop()]);
    c.off('capture:packets', onBatch);
  }
  return { mine, base, floor, sent: pings, batches, notes };
}

// ---------------------------------------------------------------- the figure

export async function figureWire(ctx: WireContext): Promise<void> {
  const { log } = ctx;
  const reps = ctx.reps ?? (ctx.quick ? 1 : 3);
  const pings = ctx.quick ? 100 : 200;
  const loaded = loadTopology(fs.readFileSync(LAB_FINAL, 'utf8'));
  if (!loaded.ok) throw new Error(`${LAB_FINAL} does not load`);
  log(`capture latency: packet on the wire → socket.io client, lab ${LAB}, ${NODE} ${IFACE} icmp, ping -i ${INTERVAL_S} -c ${pings} ${TARGET} (${reps} run${reps > 1 ? 's' : ''})`);

  const http = createServer();
  const captures = createCaptureRegistry({ engine: ctx.engine, pcapDir: path.join(ctx.stateDir, 'pcap-wire') });
  const app: Application = createApplication(http, { engine: ctx.engine, root: ROOT, captures, log: () => {} });
  let client: Client | null = null;
  let id = '';
  const p50s: number[] = [];
  const p95s: number[] = [];
  const b50s: number[] = [];
  const b95s: number[] = [];
  const all: number[] = [];
  const allBase: number[] = [];
  const allFloor: number[] = [];
  let short = 0;
  let sent = 0;
  let batches = 0;
  const notes = new Set<string>();
  try {
    await new Promise<void>((r) => http.listen(0, '127.0.0.1', () => r()));
    const url = `http://127.0.0.1:${(http.address() as AddressInfo).port}`;
    const c: Client = connect(url, { transports: ['websocket'], forceNew: true, reconnection: false });
    client = c;
    await new Promise<void>((ok, fail) => {
      c.once('connect', () => ok());
      c.once('connect_error', fail);
    });
    const t0 = performance.now();
    const opened = await must<{ token: string; state: { info: { id: string } } }>(c, 'session:open', { lab: LAB }, 120_000);
    id = opened.state.info.id;
    const t1 = performance.now();
    const applied = await must<{ ok: boolean; error?: { stderr?: string } }>(c, 'topology:apply', { topology: loaded.value }, 180_000);
    if (!applied.ok) throw new Error(`topology:apply of ${LAB} failed: ${applied.error?.stderr ?? 'no reason'}`);
    log(`  session ${id}: session:open ${ms(t1 - t0)}, topology:apply ${ms(performance.now() - t1)}`);

    for (let r = 0; r < reps; r++) {
      const run = await oneRun(ctx, c, id, pings);
      const want = 2 * run.sent;
      sent += want;
      batches += run.batches;
      for (const n of run.notes) notes.add(n);
      if (run.mine.length < want) short += want - run.mine.length;
      if (run.mine.length === 0) throw new Error(`no packet of ${want} reached the socket.io client`);
      if (run.base.length === 0) throw new Error(`the baseline tcpdump printed none of ${want} packets`);
      p50s.push(percentile(run.mine, 50));
      p95s.push(percentile(run.mine, 95));
      b50s.push(percentile(run.base, 50));
      b95s.push(percentile(run.base, 95));
      all.push(...run.mine);
      allBase.push(...run.base);
      allFloor.push(...run.floor);
      log(`  run ${r + 1}: socket.io p50 ${ms(p50s.at(-1)!)} p95 ${ms(p95s.at(-1)!)} max ${ms(Math.max(...run.mine))} (${run.mine.length}/${want} packets, ${run.batches} batches)`
        + ` · bare tcpdump p50 ${ms(b50s.at(-1)!)} p95 ${ms(b95s.at(-1)!)} max ${ms(Math.max(...run.base))} (${run.base.length}/${want})`
        + ` · immediate-mode tcpdump p50 ${ms(percentile(run.floor, 50))} p95 ${ms(percentile(run.floor, 95))} (${run.floor.length}/${want})`);
    }
  } finally {
    if (client?.connected && id) await request(client, 'session:destroy', {}, 60_000).catch(() => undefined);
    client?.disconnect();
    await app.close().catch(() => undefined);
    await new Promise<void>((r) => http.close(() => r()));
    // The hub destroys its sessions on close; make sure (a destroyed session's destroy is a no-op or an error).
    if (id && fs.existsSync(path.join(ctx.stateDir, 'sessions', id))) {
      await ctx.engine.destroy(id).catch((e: Error) => log(`  (could not destroy ${id}: ${e.message})`));
    }
  }

  const failed = short > 0 ? `${short} of ${sent} packets never reached the client` : undefined;
  if (failed) ctx.failures.push(`wire: ${failed}`);
  const baselineWhat = `a bare \`tcpdump -l -nn -tt -i ${IFACE} icmp\` in ${NODE} on the same packets at the same time, its stdout line's receipt in the bench process (what a terminal shows)`;
  const note = `${all.length} packets (echo request + reply of ${sent / 2} pings at ${1 / INTERVAL_S}/s, ${batches} batches); latency = receipt Date.now() − kernel capture time (tcpdump -tt) on one clock;`
    + ` all runs: socket.io p50 ${ms(percentile(all, 50))} p95 ${ms(percentile(all, 95))} max ${ms(Math.max(...all))}; bare tcpdump p50 ${ms(percentile(allBase, 50))} p95 ${ms(percentile(allBase, 95))} max ${ms(Math.max(...allBase))}`
    + ` (-l: libpcap's 100 ms buffer timeout, as on a terminal); floor, a third \`tcpdump -l --immediate-mode\` alongside: p50 ${ms(percentile(allFloor, 50))} p95 ${ms(percentile(allFloor, 95))} max ${ms(Math.max(...allFloor))};`
    + ` the client runs in the server's process (one event loop), the session is polled as with a page open${notes.size ? `; sampler said: ${[...notes].join(' / ')}` : ''}`;
  ctx.figures.push(
    {
      name: 'capture: packet on the wire → socket.io client (p50)', unit: 'ms', value: summarize(p50s), baseline: summarize(b50s),
      baselineWhat, goal: '≤ 20 ms', failed, note,
    },
    {
      name: 'capture: packet on the wire → socket.io client (p95)', unit: 'ms', value: summarize(p95s), baseline: summarize(b95s),
      baselineWhat, goal: '≤ 50 ms', failed,
    },
  );
  log(`  socket.io p50 ${ms(percentile(all, 50))} p95 ${ms(percentile(all, 95))} max ${ms(Math.max(...all))} n=${all.length} · bare tcpdump p50 ${ms(percentile(allBase, 50))} p95 ${ms(percentile(allBase, 95))} max ${ms(Math.max(...allBase))} n=${allBase.length} · immediate-mode tcpdump p50 ${ms(percentile(allFloor, 50))} p95 ${ms(percentile(allFloor, 95))} n=${allFloor.length}`);
}
