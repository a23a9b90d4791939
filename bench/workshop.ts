// Workshop figures (issues 6 and 8): what a room of attendees costs one nsplay server.
//
//  1. N sessions (30; 6 in --quick) each applying a 10-namespace lab on a bridge at once, over
//     socket.io as pages do ('session:open' without a lab, then 'topology:apply'): p50/p95/max apply
//     time and errors, against ONE session applying the same drawing alone in the same run; then 5
//     rounds of 'probe:run' n1 → n2 in every session at once, against the same probes alone.
//     Isolation: each session's status lists only its own namespaces, and no namespace (by inode) is
//     shared between sessions.
//  2. Follow latency: a presenter sends 'demo:doc' 50 times (every 100 ms) with Date.now() in the
//     drawing's name; each of 30 followers records 'follow:doc' arrival − that timestamp. Baseline:
//     the same presenter → a single follower.
//  3. Memory per attendee session: VmRSS of this process (server + clients) and of the engine child,
//     and of the sessions' holder processes, before and after the N sessions are open and applied.
//
// As the product runs it: createApplication with createEngineProxy (the engine in a child process),
// on 127.0.0.1:0, the engine's state dir a bench-only one (NSPLAY_STATE_DIR, set for this figure).
// Every session uses 10.0.0.0/24 inside its own namespaces; packets only go between namespaces of one
// session. Every session is destroyed through its socket (and the engine as a fallback) before the
// figure returns, and the state dir's sessions/ is checked empty.
import fs from 'node:fs';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { io as connect, type Socket } from 'socket.io-client';
import { createApplication, type Application } from '../server/realtime/app.ts';
import type { Ack, ApplyResult, ClientToServerEvents, OpenedSession, ProbeResult, ServerToClientEvents } from '../server/realtime/contract.ts';
import { createEngineProxy, type EngineProxy } from '../server/realtime/engine-proxy.ts';
import { readRecord } from '../server/sandbox/store.ts';
import { createEngine } from '../server/session/engine.ts';
import { sessionNamespaces } from '../server/session/observe-session.ts';
import type { Topology } from '../server/topology/schema.ts';
import { validateTopology } from '../server/topology/load.ts';
import { fmtNumber, percentile, summarize, type Summary } from './stats.ts';
import type { Figure } from './figure.ts';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
/** The engine child's state dir: bench-only, never the product's /run/nsplay. */
export const WORKSHOP_STATE_DIR = '/run/nsplay-bench-workshop';
const NODES = 10;
const PROBE_ROUNDS = 5;
const DOCS = 50;
const DOC_EVERY_MS = 100;

export type WorkshopFigure = Figure;

export interface WorkshopContext {
  quick: boolean;
  log: (line?: string) => void;
  figures: { push(...f: WorkshopFigure[]): number };
  failures: string[];
}

type Client = Socket<ServerToClientEvents, ClientToServerEvents>;

const ms = (x: number) => `${fmtNumber(x)} ms`;
const sleep = (t: number) => new Promise((r) => setTimeout(r, t));
const dist = (xs: readonly number[]) => `p50 ${ms(percentile(xs, 50))} p95 ${ms(percentile(xs, 95))} max ${ms(xs.length ? Math.max(...xs) : NaN)} (n=${xs.length})`;

function request<T>(c: Client, event: string, payload: unknown, timeoutMs: number): Promise<Ack<T>> {
  return (c as unknown as { timeout(ms: number): { emitWithAck(e: string, p: unknown): Promise<Ack<T>> } })
    .timeout(timeoutMs).emitWithAck(event, payload);
}

async function must<T>(c: Client, event: string, payload: unknown, timeoutMs: number): Promise<T> {
  const r = await request<T>(c, event, payload, timeoutMs);
  if (!r.ok) throw new Error(`${event}: ${r.error}`);
  return r.data;
}

/** VmRSS of a process in KiB (0 when it is gone). */
function rssKiB(pid: number | undefined): number {
  if (!pid) return 0;
  try {
    const m = /^VmRSS:\s+(\d+) kB/m.exec(fs.readFileSync(`/proc/${pid}/status`, 'utf8'));
    return m ? Number(m[1]) : 0;
  } catch {
    return 0;
  }
}
function memAvailableKiB(): number {
  const m = /^MemAvailable:\s+(\d+) kB/m.exec(fs.readFileSync('/proc/meminfo', 'utf8'));
  return m ? Number(m[1]) : 0;
}
const mib = (kib: number) => kib / 1024;

/** A 10-namespace lab: n1..n10 on a bridge br0 in the session's host, 10.0.0.0/24 (each session has its own namespaces). */
export function workshopTopology(name = 'workshop: 10 namespaces on a bridge'): Topology {
  const doc = {
    version: 1,
    name,
    nodes: [
      { name: 'br0', kind: 'bridge', in: 'host', addresses: ['10.0.0.1/24'] },
      ...Array.from({ length: NODES }, (_, i) => ({ name: `n${i + 1}`, kind: 'netns' })),
    ],
    links: Array.from({ length: NODES }, (_, i) => ({
      a: { node: 'br0', ifname: `vb${i + 1}` },
      b: { node: `n${i + 1}`, ifname: 'eth0', addresses: [`10.0.0.${11 + i}/24`] },
    })),
  };
  const r = validateTopology(doc);
  if (!r.ok) throw new Error(`the workshop topology is not valid: ${r.errors[0].path}: ${r.errors[0].message}`);
  return r.value;
}

async function open(url: string): Promise<Client> {
  const c: Client = connect(url, { transports: ['websocket'], forceNew: true, reconnection: false });
  await new Promise<void>((ok, fail) => {
    const t = setTimeout(() => fail(new Error('socket.io connect timed out')), 30_000);
    c.once('connect', () => { clearTimeout(t); ok(); });
    c.once('connect_error', (e) => { clearTimeout(t); fail(e); });
  });
  return c;
}

interface Attendee { c: Client; id: string; openMs: number; applyMs?: number; applyError?: string }

async function applyOnce(c: Client, topo: Topology): Promise<number> {
  const t0 = performance.now();
  const r = await must<ApplyResult>(c, 'topology:apply', { topology: topo }, 300_000);
  if (!r.ok) throw new Error(`apply failed: ${r.error?.stderr?.trim().slice(0, 200) ?? 'no reason'}`);
  return performance.now() - t0;
}

async function probeOnce(c: Client): Promise<number> {
  const t0 = performance.now();
  const r = await must<ProbeResult>(c, 'probe:run', { from: 'n1', to: 'n2' }, 120_000);
  if (!r.ok) throw new Error(`probe n1 → n2 did not pass: ${r.reason ?? ''} ${r.detail ?? ''}`.trim());
  return performance.now() - t0;
}

/** Follow latency: the presenter sends DOCS drawings, each follower's arrival − the timestamp in the name. */
async function followRun(presenter: Client, followers: Client[], topo: Topology): Promise<{ lat: number[]; missing: number }> {
  const lat: number[] = [];
  const got = followers.map(() => 0);
  const handlers = followers.map((f, i) => {
    const h = (p: { topology: Topology }) => {
      const at = Date.now();
      const m = /^t=(\d+)$/.exec(p.topology.name ?? '');
      if (!m) return;
      lat.push(at - Number(m[1]));
      got[i]++;
    };
    f.on('follow:doc', h);
    return h;
  });
  try {
    await Promise.all(followers.map((f) => must(f, 'follow:start', {}, 60_000)));
    for (let k = 0; k < DOCS; k++) {
      const t = Date.now();
      presenter.emit('demo:doc', { topology: { ...topo, name: `t=${t}` } });
      await sleep(Math.max(0, DOC_EVERY_MS - (Date.now() - t)));
    }
    const want = DOCS * followers.length;
    const deadline = Date.now() + 10_000;
    while (lat.length < want && Date.now() < deadline) await sleep(20);
    return { lat, missing: want - lat.length };
  } finally {
    followers.forEach((f, i) => f.off('follow:doc', handlers[i]));
    await Promise.all(followers.map((f) => request(f, 'follow:stop', {}, 30_000).catch(() => undefined)));
  }
}

export async function figureWorkshop(ctx: WorkshopContext): Promise<void> {
  const { log } = ctx;
  const n = ctx.quick ? 6 : 30;
  const rounds = ctx.quick ? 3 : PROBE_ROUNDS;
  const followerCount = 30;
  const topo = workshopTopology();
  const loadStart = os.loadavg();
  log(`workshop: ${n} sessions × a ${NODES}-namespace bridge lab at once, over socket.io with the engine proxy (state dir ${WORKSHOP_STATE_DIR}); load ${loadStart.map((x) => x.toFixed(2)).join(' ')}, ${os.cpus().length} cores`);

  const savedEnv = process.env.NSPLAY_STATE_DIR;
  process.env.NSPLAY_STATE_DIR = WORKSHOP_STATE_DIR;
  fs.mkdirSync(WORKSHOP_STATE_DIR, { recursive: true, mode: 0o700 });
  const proxy: EngineProxy = createEngineProxy({ log: (m) => log(`  (engine proxy: ${m})`) });
  const http = createServer();
  const app: Application = createApplication(http, { engine: proxy, root: ROOT, log: () => {} });
  const clients: Client[] = [];
  const attendees: Attendee[] = [];
  const notes: string[] = [];
  const opened = new Set<string>();
  try {
    const reclaimed = await proxy.reclaim();
    if (reclaimed.length) log(`  reclaimed from an earlier run: ${reclaimed.join(', ')}`);
    await new Promise<void>((r) => http.listen(0, '127.0.0.1', () => r()));
    const url = `http://127.0.0.1:${(http.address() as AddressInfo).port}`;

    // ---- baseline: one session alone (apply, then the same probes alone), destroyed before the crowd
    const solo = await open(url);
    clients.push(solo);
    const soloOpen = await must<OpenedSession>(solo, 'session:open', {}, 120_000);
    opened.add(soloOpen.state.info.id);
    const soloApply = await applyOnce(solo, topo);
    // A session's own namespaces: its sandbox's (a session without a lab still has one) + the drawing's.
    const expectedList = Object.keys((await proxy.status(soloOpen.state.info.id)).observed.namespaces).sort();
    const missingInSolo = ['host', ...Array.from({ length: NODES }, (_, i) => `n${i + 1}`)].filter((x) => !expectedList.includes(x));
    if (missingInSolo.length) throw new Error(`the lone session's status lacks ${missingInSolo.join(', ')}`);
    const soloProbes: number[] = [];
    for (let r = 0; r < rounds; r++) soloProbes.push(await probeOnce(solo));
    await must(solo, 'session:destroy', {}, 120_000);
    opened.delete(soloOpen.state.info.id);
    solo.disconnect();
    log(`  alone: topology:apply ${ms(soloApply)}; probe n1 → n2 ×${rounds}: ${dist(soloProbes)}`);

    // ---- memory before: server + clients (this process), the engine child
    await sleep(1500);
    const enginePid = proxy.pid();
    const memBefore = { self: rssKiB(process.pid), engine: rssKiB(enginePid), avail: memAvailableKiB() };

    // ---- N sessions: connect + open, then apply all at once
    const conns = await Promise.all(Array.from({ length: n }, () => open(url)));
    clients.push(...conns);
    await Promise.all(conns.map(async (c) => {
      const t0 = performance.now();
      const o = await must<OpenedSession>(c, 'session:open', {}, 300_000);
      opened.add(o.state.info.id);
      attendees.push({ c, id: o.state.info.id, openMs: performance.now() - t0 });
    }));
    const openTimes = attendees.map((a) => a.openMs);
    log(`  ${n} × session:open at once: ${dist(openTimes)}`);
    const tAll = performance.now();
    await Promise.all(attendees.map(async (a) => {
      try { a.applyMs = await applyOnce(a.c, topo); } catch (e) { a.applyError = (e as Error).message; }
    }));
    const wall = performance.now() - tAll;
    const applyTimes = attendees.flatMap((a) => (a.applyMs === undefined ? [] : [a.applyMs]));
    const applyErrors = attendees.filter((a) => a.applyError);
    log(`  ${n} × topology:apply at once: ${dist(applyTimes)}; all done after ${ms(wall)}; errors ${applyErrors.length}${applyErrors.length ? ` (${applyErrors[0].applyError})` : ''}`);

    // ---- memory after
    await sleep(1500);
    const holders = attendees.map((a) => readRecord(a.id, WORKSHOP_STATE_DIR)?.holder?.pid);
    const memAfter = { self: rssKiB(process.pid), engine: rssKiB(proxy.pid()), avail: memAvailableKiB() };
    const holderKiB = holders.reduce<number>((s, p) => s + rssKiB(p), 0);
    const perSelf = mib(memAfter.self - memBefore.self) / n;
    const perEngine = mib(memAfter.engine - memBefore.engine) / n;
    const perHolder = mib(holderKiB) / n;
    const perKernel = mib(memBefore.avail - memAfter.avail) / n;
    log(`  memory: bench process ${fmtNumber(mib(memBefore.self))} → ${fmtNumber(mib(memAfter.self))} MiB (${fmtNumber(perSelf)} MiB/session); engine child${proxy.pid() === enginePid ? '' : ' (RESTARTED)'} ${fmtNumber(mib(memBefore.engine))} → ${fmtNumber(mib(memAfter.engine))} MiB (${fmtNumber(perEngine)} MiB/session); session holders ${fmtNumber(perHolder)} MiB/session; machine MemAvailable drop ${fmtNumber(perKernel)} MiB/session (machine-wide, noisy)`);

    // ---- isolation: each session's status lists only its own namespaces; no namespace shared
    const expected = expectedList.join(',');
    const isolation: string[] = [];
    const inodes = new Map<string, string>();
    for (const a of attendees) {
      if (a.applyError) continue;
      const st = await proxy.status(a.id);
      const names = Object.keys(st.observed.namespaces).sort().join(',');
      if (st.info.id !== a.id) isolation.push(`${a.id}: status is of ${st.info.id}`);
      if (names !== expected) isolation.push(`${a.id}: status lists ${names}`);
      const files = sessionNamespaces(a.id, WORKSHOP_STATE_DIR).join(',');
      if (files !== expected.split(',').filter((x) => x !== 'host').join(',')) isolation.push(`${a.id}: netns files ${files}`);
      const holder = readRecord(a.id, WORKSHOP_STATE_DIR)?.holder?.pid;
      for (const node of expected.split(',')) {
        const p = node === 'host' ? `/proc/${holder}/ns/net` : `/proc/${holder}/root/run/netns/${node}`;
        try {
          const ino = `${fs.statSync(p).dev}:${fs.statSync(p).ino}`;
          const prev = inodes.get(ino);
          if (prev) isolation.push(`${a.id}/${node} is the same namespace as ${prev}`);
          inodes.set(ino, `${a.id}/${node}`);
        } catch (e) {
          isolation.push(`${a.id}/${node}: ${(e as Error).message}`);
        }
      }
    }
    const rootIno = `${fs.statSync('/proc/self/ns/net').dev}:${fs.statSync('/proc/self/ns/net').ino}`;
    if (inodes.has(rootIno)) isolation.push(`${inodes.get(rootIno)} is this process's (the machine's) namespace`);
    log(`  isolation: ${attendees.length - applyErrors.length} sessions × ${expectedList.length} namespaces (${expected}), ${inodes.size} distinct; ${isolation.length === 0 ? 'each status lists only its own namespaces' : `${isolation.length} PROBLEMS: ${isolation.slice(0, 3).join('; ')}`}`);

    // ---- probes: the rounds, every session at once
    const probeTimes: number[] = [];
    const probeErrors: string[] = [];
    for (let r = 0; r < rounds; r++) {
      await Promise.all(attendees.filter((a) => !a.applyError).map(async (a) => {
        try { probeTimes.push(await probeOnce(a.c)); } catch (e) { probeErrors.push(`${a.id}: ${(e as Error).message}`); }
      }));
    }
    log(`  probe n1 → n2, ${rounds} rounds × ${n} sessions at once: ${dist(probeTimes)}; errors ${probeErrors.length}${probeErrors.length ? ` (${probeErrors[0]})` : ''}`);

    // ---- follow latency (the N sessions stay open and polled meanwhile, as in a workshop)
    const presenter = await open(url);
    clients.push(presenter);
    const pOpen = await must<OpenedSession>(presenter, 'session:open', {}, 120_000);
    opened.add(pOpen.state.info.id);
    await must(presenter, 'demo:start', {}, 30_000);
    const followers = await Promise.all(Array.from({ length: followerCount }, () => open(url)));
    clients.push(...followers);
    const one = await followRun(presenter, followers.slice(0, 1), topo);
    const many = await followRun(presenter, followers, topo);
    log(`  follow: 1 follower ${dist(one.lat)}${one.missing ? `, ${one.missing} missing` : ''}; ${followerCount} followers ${dist(many.lat)}${many.missing ? `, ${many.missing} missing` : ''}`);
    await request(presenter, 'demo:stop', {}, 30_000).catch(() => undefined);

    // ---- figures
    const sessionsName = `${n} sessions${ctx.quick ? ' (--quick; 30 in a full run)' : ''}`;
    const applyFailed = applyErrors.length || isolation.length
      ? [applyErrors.length ? `${applyErrors.length} of ${n} applies failed: ${applyErrors[0].applyError}` : '', isolation.length ? `isolation: ${isolation[0]}` : ''].filter(Boolean).join('; ')
      : undefined;
    if (applyFailed) ctx.failures.push(`workshop: ${applyFailed}`);
    const probeFailed = probeErrors.length ? `${probeErrors.length} of ${probeTimes.length + probeErrors.length} probes failed: ${probeErrors[0]}` : undefined;
    if (probeFailed) ctx.failures.push(`workshop: ${probeFailed}`);
    const followFailed = many.missing || one.missing ? `${many.missing + one.missing} follow:doc never arrived` : undefined;
    if (followFailed) ctx.failures.push(`workshop: ${followFailed}`);
    const loadEnd = os.loadavg();
    const load = `load ${loadStart.map((x) => x.toFixed(2)).join(' ')} → ${loadEnd.map((x) => x.toFixed(2)).join(' ')} on ${os.cpus().length} cores`;
    notes.push(load);
    ctx.figures.push(
      {
        name: `workshop: ${sessionsName} apply a ${NODES}-namespace lab at once (p95 topology:apply)`, unit: 'ms',
        value: applyTimes.length ? summarize([percentile(applyTimes, 95)]) : null, failed: applyFailed,
        baseline: summarize([soloApply]), baselineWhat: 'one session applying the same drawing alone over the same socket.io server and engine proxy',
        goal: 'p95 ≤ 3000 ms, 0 errors',
        note: `per apply ${dist(applyTimes)}, all ${n} done after ${ms(wall)}, errors ${applyErrors.length}; session:open at once ${dist(openTimes)};`
          + ` isolation: ${isolation.length ? `${isolation.length} PROBLEMS (${isolation[0]})` : `each session's status lists only its own ${expectedList.length} namespaces (${expected})`}, ${inodes.size} distinct namespace inodes; ${load}`,
      },
      {
        name: `workshop: probe:run n1 → n2 in ${sessionsName} at once (p95, ${rounds} rounds)`, unit: 'ms',
        value: probeTimes.length ? summarize([percentile(probeTimes, 95)]) : null, failed: probeFailed,
        baseline: summarize([percentile(soloProbes, 95)]), baselineWhat: `the same probe, ${rounds} times in the lone session`,
        goal: '0 errors', note: `${dist(probeTimes)}, errors ${probeErrors.length}; alone ${dist(soloProbes)}`,
      },
      {
        name: `workshop: demo:doc → ${followerCount} followers' follow:doc (p95)`, unit: 'ms',
        value: many.lat.length ? summarize([percentile(many.lat, 95)]) : null, failed: followFailed,
        baseline: one.lat.length ? summarize([percentile(one.lat, 95)]) : null, baselineWhat: 'the same presenter → a single follower',
        goal: 'p95 ≤ 1000 ms',
        note: `${DOCS} drawings every ${DOC_EVERY_MS} ms, latency = arrival Date.now() − Date.now() in the drawing's name; ${followerCount} followers ${dist(many.lat)}, 1 follower ${dist(one.lat)};`
          + ` clients and server share this process's event loop; ${n} attendee sessions open (polled) meanwhile`,
      },
      {
        name: `workshop: memory per attendee session (bench process + engine child RSS, ${sessionsName})`, unit: 'MiB',
        value: summarize([perSelf + perEngine]), baseline: null, baselineWhat: '–', goal: '–',
        note: `VmRSS before/after ${n} sessions open and applied, ÷ ${n}: bench process (socket.io server + ${n} clients) ${fmtNumber(perSelf)}, engine child ${fmtNumber(perEngine)},`
          + ` the sessions' holder processes ${fmtNumber(perHolder)}; machine MemAvailable drop ${fmtNumber(perKernel)} MiB/session (machine-wide, noisy)`,
      },
    );
  } finally {
    // Every session through its socket (all at once), then the engine for whatever is left.
    await Promise.all(clients.filter((c) => c.connected).map((c) => request(c, 'session:destroy', {}, 300_000).catch(() => undefined)));
    for (const c of clients) c.disconnect();
    await app.close().catch(() => undefined);
    await new Promise<void>((r) => http.close(() => r()));
    const dir = path.join(WORKSHOP_STATE_DIR, 'sessions');
    const left = () => (fs.existsSync(dir) ? fs.readdirSync(dir) : []);
    for (const id of left()) await proxy.destroy(id).catch((e: Error) => log(`  (could not destroy ${id}: ${e.message})`));
    await proxy.close();
    if (left().length) {
      // The proxy's child is gone: an engine in this process on the same dir.
      const direct = createEngine({ stateDir: WORKSHOP_STATE_DIR });
      for (const id of left()) await direct.destroy(id).catch((e: Error) => log(`  (could not destroy ${id}: ${e.message})`));
    }
    if (savedEnv === undefined) delete process.env.NSPLAY_STATE_DIR; else process.env.NSPLAY_STATE_DIR = savedEnv;
    const leftover = left();
    log(`  ${WORKSHOP_STATE_DIR}/sessions after the figure: ${leftover.length === 0 ? 'empty' : leftover.join(', ')}`);
    if (leftover.length) ctx.failures.push(`workshop: sessions left in ${WORKSHOP_STATE_DIR}: ${leftover.join(', ')}`);
  }
}
