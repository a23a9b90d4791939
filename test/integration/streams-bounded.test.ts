// Reliability gate 6 — streams are bounded (issue 7). In one lab-3 session a `ping -f` floods netns1 →
// netns2 while a capture on br0 streams to a SLOW page (its connection goes through a proxy that
// reads 100 KB/s) and `yes` runs in a terminal of the same page. Meanwhile a page of ANOTHER session
// types into its shell and times the echo. Asserted: this process (the server runs in it) grows
// ≤ 64 MiB, the slow socket's send backlog stays bounded (≈ the terminal window + 1 MiB of capture),
// the pty's unacked output stays under terminals.ts's hard limit, the other session's echo p95 stays
// under NSPLAY_ECHO_P95_MS, and what was thrown away is counted and told to the page.
//
// 20 s in `npm test`; NSPLAY_SOAK=1 runs the 60 s with the 150 ms p95.
// Knobs: NSPLAY_STREAM_SECONDS, NSPLAY_SLOW_BPS (default 100000), NSPLAY_ECHO_P95_MS.
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import * as pty from 'node-pty';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createCaptureRegistry } from '../../server/capture/index.ts';
import type { CaptureInfo, CaptureStats, PageBatch } from '../../server/realtime/contract.ts';
import { createEngine } from '../../server/session/engine.ts';
import { loadTopology } from '../../server/topology/load.ts';
import type { Topology } from '../../server/topology/schema.ts';
import { alive, request, startServer, waitFor, type Client, type Harness } from '../realtime/harness.ts';
import { ROOT, TEST_STATE_DIR } from './env.ts';
import { backlogBytes, connectClient, gc, kernelSendQueue, MiB, percentile, throttleProxy, type Throttle } from './slow-client.ts';

const SOAK = process.env.NSPLAY_SOAK === '1';
const SECONDS = Number(process.env.NSPLAY_STREAM_SECONDS ?? (SOAK ? 60 : 20));
const SLOW_BPS = Number(process.env.NSPLAY_SLOW_BPS ?? 100_000);
// The 150 ms in soak. `npm test` runs on a shared 2-core box next to other suites: a looser
// bound there catches a stuck event loop (seconds) without failing on the box's own scheduling noise.
const ECHO_P95_MS = Number(process.env.NSPLAY_ECHO_P95_MS ?? (SOAK ? 150 : 400));
const HARD_LIMIT = 4 * MiB; // terminals.ts's default hardLimit (the app is started with the defaults)

const engine = createEngine({ stateDir: TEST_STATE_DIR });

function lab3(): Topology {
  const t = loadTopology(fs.readFileSync(path.join(ROOT, 'labs/03-bridge/final.yaml'), 'utf8'));
  if (!t.ok) throw new Error('labs/03-bridge/final.yaml does not load');
  return t.value;
}

async function openLab3(c: Client, apply: boolean): Promise<{ id: string; token: string }> {
  const opened = await request<{ token: string; state: { info: { id: string } } }>(c, 'session:open', { lab: '03-bridge' }, 60_000);
  if (!opened.ok) throw new Error(opened.error);
  if (apply) {
    const applied = await request<{ ok: boolean }>(c, 'topology:apply', { topology: lab3() }, 120_000);
    if (!applied.ok || !applied.data.ok) throw new Error(`apply failed: ${JSON.stringify(applied)}`);
  }
  return { id: opened.data.state.info.id, token: opened.data.token };
}

describe(`gate 6: streams are bounded (${SECONDS} s, slow page at ${SLOW_BPS} B/s)`, () => {
  let h: Harness;
  let proxy: Throttle;
  let slow: Client;
  let other: Client;
  const sessions: string[] = [];
  let flood: number | undefined;
  // Every pty's output as it leaves the shell (before terminals.ts batches, pauses or drops it).
  const produced = new Map<number, number>();
  const registry = createCaptureRegistry({ engine, pcapDir: path.join(TEST_STATE_DIR, 'pcap-streams-test'), pcapMaxBytes: 8 * MiB });

  beforeAll(async () => {
    const tap: typeof pty.spawn = (file, args, opt) => {
      const p = pty.spawn(file, args, opt);
      produced.set(p.pid, 0);
      p.onData((d) => produced.set(p.pid, (produced.get(p.pid) ?? 0) + Buffer.byteLength(d)));
      return p;
    };
    h = await startServer({ engine, graceMs: 60_000, pollMs: 5000, root: ROOT, captures: registry, terminals: { spawn: tap } });
    proxy = await throttleProxy(Number(new URL(h.url).port), SLOW_BPS);
    other = await h.client();
    sessions.push((await openLab3(other, false)).id);
    slow = await connectClient(`http://127.0.0.1:${proxy.port}`);
    sessions.push((await openLab3(slow, true)).id);
  }, 240_000);

  afterAll(async () => {
    if (flood !== undefined && alive(flood)) process.kill(flood, 'SIGKILL');
    slow?.disconnect();
    await proxy?.close();
    await h?.close();
    for (const id of sessions) await engine.destroy(id).catch(() => undefined);
  }, 90_000);

  it('keeps memory, queues and the other session\'s echo bounded; drops are counted and shown', async () => {
    const [idA] = sessions.slice(1);
    // --- the other session's shell: echo latency, sampled before the load too
    const opened = await request<{ id: number }>(other, 'term:open', { node: 'host', cols: 80, rows: 24 }, 30_000);
    if (!opened.ok) throw new Error(opened.error);
    const otherTerm = opened.data.id;
    const [otherPid] = h.app.ptyPids();
    let otherOut = '';
    other.on('term:data', (p) => {
      if (p.id !== otherTerm) return;
      otherOut = (otherOut + p.data).slice(-4096);
      other.emit('term:ack', { id: p.id, bytes: Buffer.byteLength(p.data) });
    });
    await waitFor(() => otherOut.includes('#'), 10_000); // the prompt
    let seq = 0;
    async function echoOnce(): Promise<number> {
      const mark = `M${++seq}x`;
      const t0 = performance.now();
      other.emit('term:input', { id: otherTerm, data: `: ${mark}\r` });
      await waitFor(() => otherOut.includes(mark), 10_000, 2);
      return performance.now() - t0;
    }
    const idle: number[] = [];
    for (let i = 0; i < 20; i++) { idle.push(await echoOnce()); await new Promise((r) => setTimeout(r, 50)); }

    // --- the slow page: a capture on br0 and `yes` in a terminal; it acks what it received, like xterm
    let lastStats: CaptureStats | undefined;
    let batches = 0;
    let unsentShown = 0;
    slow.on('capture:packets', (b: PageBatch) => { batches++; lastStats = b.stats; unsentShown = Math.max(unsentShown, b.unsent ?? 0); });
    let termReceived = 0;
    let termDropped = 0;
    let droppedEvents = 0;
    slow.on('term:data', (p) => { termReceived += Buffer.byteLength(p.data); slow.emit('term:ack', { id: p.id, bytes: Buffer.byteLength(p.data) }); });
    slow.on('term:dropped', (p) => { termDropped += p.bytes; droppedEvents++; });

    const cap = await request<CaptureInfo>(slow, 'capture:start', { node: 'host', iface: 'br0' }, 30_000);
    if (!cap.ok) throw new Error(cap.error);
    const yesTerm = await request<{ id: number }>(slow, 'term:open', { node: 'netns2', cols: 80, rows: 24 }, 30_000);
    if (!yesTerm.ok) throw new Error(yesTerm.error);
    const yesPid = h.app.ptyPids().find((p) => p !== otherPid)!;

    const argv = await engine.enterArgv(idA, 'netns1', ['ping', '-f', '-q', '10.0.0.102']);
    const child = spawn(argv[0], argv.slice(1), { stdio: 'ignore' });
    flood = child.pid;
    expect(flood).toBeTypeOf('number');
    await waitFor(() => fs.readFileSync(`/proc/${flood}/comm`, 'utf8').trim() === 'ping', 5000); // `ip netns exec` and `env` exec, no fork

    gc();
    const base = process.memoryUsage();
    slow.emit('term:input', { id: yesTerm.data.id, data: 'yes\r' });

    // --- the load runs; sample the server every 100 ms, time the other shell's echo meanwhile
    let maxRss = base.rss;
    // Where the peak RSS was: V8's heap (before collection) or memory outside it (Buffers, malloc).
    let atMax = { heapTotal: base.heapTotal, external: base.external, arrayBuffers: base.arrayBuffers };
    let maxBacklog = 0;
    let maxPtyQueue = 0;
    const serverSlow = h.app.io.sockets.sockets.get(slow.id!);
    expect(serverSlow).toBeDefined();
    let slowGone = '';
    serverSlow!.on('disconnect', (reason) => { slowGone = reason; });
    const serverPort = Number(new URL(h.url).port);
    let maxKernel = 0;
    const sampler = setInterval(() => {
      const mu = process.memoryUsage();
      if (mu.rss > maxRss) { maxRss = mu.rss; atMax = { heapTotal: mu.heapTotal, external: mu.external, arrayBuffers: mu.arrayBuffers }; }
      maxBacklog = Math.max(maxBacklog, backlogBytes(serverSlow));
      maxKernel = Math.max(maxKernel, kernelSendQueue(serverPort));
      // Held for the slow page by terminals.ts (pending + unacked), from the outside: what the shell
      // wrote minus what reached the page minus what was reported dropped. Lags make it an upper bound.
      maxPtyQueue = Math.max(maxPtyQueue, (produced.get(yesPid) ?? 0) - termReceived - termDropped);
    }, 100);
    const loaded: number[] = [];
    const until = Date.now() + SECONDS * 1000;
    try {
      while (Date.now() < until) { loaded.push(await echoOnce()); await new Promise((r) => setTimeout(r, 100)); }
    } finally {
      clearInterval(sampler);
      process.kill(flood!, 'SIGINT');
    }
    await waitFor(() => !alive(flood!), 5000);
    const stats = registry.get(cap.data.captureId)!.stats();
    const cpuCapture = registry.get(cap.data.captureId)!.pids;
    gc();
    const after = process.memoryUsage();
    const report = {
      seconds: SECONDS, slowBps: SLOW_BPS, delivered: proxy.delivered(),
      rssGrowthMiB: +((maxRss - base.rss) / MiB).toFixed(1),
      atPeakMiB: { heapTotal: +((atMax.heapTotal - base.heapTotal) / MiB).toFixed(1), external: +((atMax.external - base.external) / MiB).toFixed(1), arrayBuffers: +((atMax.arrayBuffers - base.arrayBuffers) / MiB).toFixed(1) },
      heapAfterGcGrowthMiB: +((after.heapUsed - base.heapUsed) / MiB).toFixed(1),
      maxSlowBacklogMiB: +(maxBacklog / MiB).toFixed(2),
      maxKernelSendQueueMiB: +(maxKernel / MiB).toFixed(2),
      maxPtyQueueMiB: +(maxPtyQueue / MiB).toFixed(2),
      ptyProduced: produced.get(yesPid), termReceived, termDropped, droppedEvents,
      capture: { packets: stats.packets, shown: stats.shown, sampledOut: stats.sampledOut, dropped: stats.dropped, sampling: stats.sampling },
      slowDisconnected: slowGone || false, batchesToSlowPage: batches, unsentShown, captureStopped: stats.running === false, pageSawStats: lastStats !== undefined,
      echoIdleP95: +percentile(idle, 95).toFixed(1),
      echoP50: +percentile(loaded, 50).toFixed(1), echoP95: +percentile(loaded, 95).toFixed(1), echoMax: +Math.max(...loaded).toFixed(1), echoSamples: loaded.length,
      captureTcpdumps: cpuCapture,
    };
    console.log(`[gate 6] ${JSON.stringify(report)}`);

    // The heartbeat (10 s pong timeout) queues behind whatever the slow page has not read: the
    // terminal's unacked window (64 KiB) and the capture's allowance. With a 1 MiB (and a 256 KiB)
    // window it was more than 10 s of this page — the proxy, the clients and the server share one event
    // loop, so "100 KB/s" delivers ~40 KB/s under load — and the page was dropped ("ping timeout").
    expect(slowGone).toBe('');
    expect(maxRss - base.rss).toBeLessThanOrEqual(64 * MiB);
    // A terminal window (HIGH 64 KiB + one 32 KiB flush) plus the 1 MiB capture allowance plus one batch.
    expect(maxBacklog).toBeLessThanOrEqual(1.75 * MiB);
    expect(maxPtyQueue).toBeLessThanOrEqual(HARD_LIMIT);
    expect(percentile(loaded, 95)).toBeLessThan(ECHO_P95_MS);
    // The flood was seen, most of it not shown, and the page was told so.
    expect(stats.packets).toBeGreaterThan(10_000);
    expect(stats.sampledOut + stats.dropped).toBeGreaterThan(0);
    expect(lastStats?.sampledOut ?? 0).toBeGreaterThan(0);
    // The slow page's acks wait behind its backlog: it is closed by the disconnect in afterAll.
  }, (SECONDS + 120) * 1000);
});
