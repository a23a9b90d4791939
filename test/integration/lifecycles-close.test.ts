// Reliability gate 7 — lifecycles close (issue 7). N cycles of connect → session:open (the token of
// one shared lab-3 session) → term:open → capture:start → disconnect, alternating a clean
// disconnect with an abrupt destroy of the client's TCP socket (no close frame). Afterwards: no
// shell or tcpdump left (neither below this process nor inside the session's namespaces), this
// process's pty masters and the machine's /dev/pts back to the baseline, and its fd count back to
// the baseline within a small tolerance.
//
// 100 cycles (the issue's number) in `npm test` and soak (NSPLAY_LIFECYCLES=N for another count).
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createCaptureRegistry } from '../../server/capture/index.ts';
import type { CaptureInfo } from '../../server/realtime/contract.ts';
import { createEngine } from '../../server/session/engine.ts';
import { runCommand } from '../../server/exec/run.ts';
import { loadTopology } from '../../server/topology/load.ts';
import type { Topology } from '../../server/topology/schema.ts';
import { request, startServer, waitFor, type Client, type Harness } from '../realtime/harness.ts';
import { ROOT, TEST_STATE_DIR } from './env.ts';
import { connectClient, descendants, destroyAbruptly, fdCount, processes, ptyCounts, type Proc } from './slow-client.ts';

const CYCLES = Number(process.env.NSPLAY_LIFECYCLES ?? 100);
/**
 * fds this process may hold more after the cycles than at the baseline without a leak: Node opens
 * some lazily (libuv threadpool, a signal pipe for child processes) and the last sockets' closes may
 * still be pending. A leak of one fd per cycle would exceed it from the 5th cycle on.
 */
const FD_TOLERANCE = 4;

const engine = createEngine({ stateDir: TEST_STATE_DIR });

function lab3(): Topology {
  const t = loadTopology(fs.readFileSync(path.join(ROOT, 'labs/03-bridge/final.yaml'), 'utf8'));
  if (!t.ok) throw new Error('labs/03-bridge/final.yaml does not load');
  return t.value;
}

describe(`gate 7: lifecycles close (${CYCLES} cycles)`, () => {
  let h: Harness;
  let owner: Client;
  let id = '';
  let token = '';
  const registry = createCaptureRegistry({ engine, pcapDir: path.join(TEST_STATE_DIR, 'pcap-lifecycles-test') });
  /** The session's network namespaces (host + each netns), as /proc/PID/ns/net link texts. */
  const sessionNs = new Set<string>();

  beforeAll(async () => {
    h = await startServer({ engine, graceMs: 60_000, pollMs: 5000, root: ROOT, captures: registry });
    owner = await h.client();
    const opened = await request<{ token: string; state: { info: { id: string } } }>(owner, 'session:open', { lab: '03-bridge' }, 60_000);
    if (!opened.ok) throw new Error(opened.error);
    token = opened.data.token;
    id = opened.data.state.info.id;
    const applied = await request<{ ok: boolean }>(owner, 'topology:apply', { topology: lab3() }, 120_000);
    if (!applied.ok || !applied.data.ok) throw new Error(`apply failed: ${JSON.stringify(applied)}`);
    for (const node of ['host', 'netns1', 'netns2']) {
      const r = await runCommand(await engine.enterArgv(id, node, ['readlink', '/proc/self/ns/net']));
      sessionNs.add(r.stdout.trim());
    }
  }, 180_000);

  afterAll(async () => {
    await h?.close();
    if (id) await engine.destroy(id).catch(() => undefined);
  }, 60_000);

  /** Shells and tcpdumps that belong to this test: below this process, or in the session's namespaces. */
  const ours = (): Proc[] => {
    const all = processes();
    const mine = new Map<number, Proc>();
    for (const p of descendants(process.pid, all)) mine.set(p.pid, p);
    for (const p of all) if (sessionNs.has(p.netns)) mine.set(p.pid, p);
    return [...mine.values()].filter((p) => /^(bash|sh|tcpdump)$/.test(p.comm));
  };

  it('leaves no shell, tcpdump, pty or fd behind', async () => {
    // Warm up once (lazily opened fds: libuv threadpool, DNS, the first pty and child pipes), then baseline.
    const warm = await h.client();
    expect((await request(warm, 'session:open', { token }, 30_000)).ok).toBe(true);
    warm.disconnect();
    await new Promise((r) => setTimeout(r, 1500));
    const baseProcs = new Set(ours().map((p) => p.pid));
    const basePty = ptyCounts();
    const baseFds = fdCount();

    const t0 = Date.now();
    const failures: string[] = [];
    let abrupt = 0;
    for (let i = 0; i < CYCLES; i++) {
      const c = await connectClient(h.url);
      const joined = await request(c, 'session:open', { token }, 30_000);
      if (!joined.ok) failures.push(`cycle ${i} session:open: ${joined.error}`);
      const term = await request<{ id: number }>(c, 'term:open', { node: i % 2 ? 'netns1' : 'host', cols: 80, rows: 24 }, 30_000);
      if (!term.ok) failures.push(`cycle ${i} term:open: ${term.error}`);
      else c.emit('term:input', { id: term.data.id, data: 'sleep 300 &\r' }); // a job of the shell must go too
      const cap = await request<CaptureInfo>(c, 'capture:start', { node: 'netns1', iface: 'veth1' }, 30_000);
      if (!cap.ok) failures.push(`cycle ${i} capture:start: ${cap.error}`);
      if (i % 2) { destroyAbruptly(c); abrupt++; c.disconnect(); } else c.disconnect();
    }
    const cyclesMs = Date.now() - t0;

    // Closing is asynchronous (SIGHUP then SIGKILL after 200 ms, tcpdump stop up to 1.5 s): wait for it.
    let left: Proc[] = [];
    const settle = Date.now();
    await waitFor(() => {
      left = ours().filter((p) => !baseProcs.has(p.pid));
      return left.length === 0 && h.app.ptyPids().length === 0 && ptyCounts().masters === basePty.masters;
    }, 15_000, 100).catch(() => undefined);
    const settleMs = Date.now() - settle;
    // The session's holder is a `sleep infinity` too (exec -a nsplay-holder:…): it is not a learner's job.
    const isHolder = (pid: number) => { try { return fs.readFileSync(`/proc/${pid}/cmdline`, 'utf8').startsWith('nsplay-holder:'); } catch { return false; } };
    const sleeps = processes().filter((p) => p.comm === 'sleep' && !isHolder(p.pid) && (sessionNs.has(p.netns) || descendants(process.pid).some((d) => d.pid === p.pid)));
    // Sockets' pending closes (and pipes of stopped tcpdumps) settle asynchronously: give them up to 10 s.
    await waitFor(() => fdCount() <= baseFds + 4, 10_000, 200).catch(() => undefined);
    const pty = ptyCounts();
    const fds = fdCount();
    const running = registry.list(id).filter((c) => c.stats().running).length;
    console.log(`[gate 7] ${JSON.stringify({
      cycles: CYCLES, abrupt, cyclesMs, perCycleMs: Math.round(cyclesMs / CYCLES), settleMs, failures: failures.length,
      orphans: left.map((p) => `${p.pid}:${p.comm}`), sleeps: sleeps.length, runningCaptures: running,
      ptyMasters: { before: basePty.masters, after: pty.masters }, devPts: { before: basePty.pts, after: pty.pts },
      fds: { before: baseFds, after: fds },
    })}`);

    expect(failures).toEqual([]);
    expect(left.map((p) => `${p.pid} ${p.comm}`)).toEqual([]);
    expect(sleeps.map((p) => p.pid)).toEqual([]);
    expect(running).toBe(0);
    expect(h.app.ptyPids()).toEqual([]);
    expect(pty.masters).toBe(basePty.masters);
    // /dev/pts is the machine's: other users' terminals may come and go meanwhile; ours are gone.
    expect(pty.pts).toBeLessThanOrEqual(basePty.pts + 2);
    expect(fds).toBeLessThanOrEqual(baseFds + FD_TOLERANCE);
  }, 600_000);
});
