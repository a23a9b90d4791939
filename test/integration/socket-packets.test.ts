// Probes and captures over socket.io, with the real engine and kernel: lab 3 applied through the
// socket, a probe that works and one that dies at a DROP rule (every page of the session gets both
// as 'probe:result'), a capture that streams the echo request and reply, its pcap downloaded over
// HTTP only with the session's token, and the tcpdumps gone after stop and after a disconnect.
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createCaptureRegistry, formatSummary, type PacketSummary } from '../../server/capture/index.ts';
import { matrix, probe } from '../../server/probe/index.ts';
import type { CaptureInfo, ProbeEvent } from '../../server/realtime/contract.ts';
import { createEngine } from '../../server/session/engine.ts';
import { loadTopology } from '../../server/topology/load.ts';
import type { Topology } from '../../server/topology/schema.ts';
import { request, startServer, waitFor, type Client, type Harness } from '../realtime/harness.ts';
import { ROOT, TEST_STATE_DIR } from './env.ts';

const engine = createEngine({ stateDir: TEST_STATE_DIR });

function lab3(): Topology {
  const t = loadTopology(fs.readFileSync(path.join(ROOT, 'labs/03-bridge/final.yaml'), 'utf8'));
  if (!t.ok) throw new Error('labs/03-bridge/final.yaml does not load');
  return t.value;
}

/** PIDs of processes named `name` (tcpdump) whose cmdline mentions the session's interface. */
function alive(pid: number): boolean {
  try {
    const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3) !== 'Z';
  } catch { return false; }
}

describe('probes and captures over socket.io (real kernel)', () => {
  let h: Harness;
  let a: Client;
  let b: Client;
  let token = '';
  let id = '';
  const registry = createCaptureRegistry({ engine, pcapDir: path.join(TEST_STATE_DIR, 'pcap-socket-test') });

  beforeAll(async () => {
    h = await startServer({
      engine, graceMs: 60_000, pollMs: 5000, root: ROOT, captures: registry,
      probes: { run: (sid, from, to) => probe(engine, sid, from, to), matrix: (sid, nodes) => matrix(engine, sid, nodes) },
    });
    a = await h.client();
    const opened = await request<{ token: string; state: { info: { id: string } } }>(a, 'session:open', { lab: '03-bridge' }, 60_000);
    if (!opened.ok) throw new Error(opened.error);
    token = opened.data.token;
    id = opened.data.state.info.id;
    const applied = await request<{ ok: boolean }>(a, 'topology:apply', { topology: lab3() }, 120_000);
    expect(applied.ok && applied.data.ok).toBe(true);
    b = await h.client();
    const joined = await request(b, 'session:open', { token, lab: '03-bridge' }, 30_000);
    expect(joined.ok).toBe(true);
  }, 180_000);

  afterAll(async () => {
    await h?.close();
    if (id) await engine.destroy(id).catch(() => undefined);
  }, 60_000);

  it('a probe answers the asking page and animates on every page of the session', async () => {
    const seen: ProbeEvent[] = [];
    b.on('probe:result', (e) => seen.push(e));
    const r = await request<{ ok: boolean; path: { node: string }[]; rtt_ms?: number }>(a, 'probe:run', { from: 'netns1', to: '1.1.1.1' }, 30_000);
    expect(r.ok).toBe(true);
    if (!r.ok) return;
    expect(r.data.ok).toBe(true);
    expect(r.data.path.map((x) => x.node)).toContain('host');
    const done = await waitFor(() => seen.find((e) => e.result), 5000);
    expect(done.from).toBe('netns1');
    expect(done.by).toBe(a.id);
    expect(seen[0].result).toBeUndefined(); // the "started" event came first
  }, 60_000);

  it('a probe that dies at a DROP rule names the reason and the hop', async () => {
    // A rule typed in the host terminal, as a learner would (the drawing does not know it).
    const add = await engine.enterArgv(id, 'host', ['iptables', '-I', 'FORWARD', '-d', '8.8.8.8', '-j', 'DROP']);
    const { runCommand } = await import('../../server/exec/run.ts');
    expect((await runCommand(add)).code).toBe(0);
    const r = await request<{ ok: boolean; reason?: string; hop?: { node: string }; drop?: { chain: string } }>(a, 'probe:run', { from: 'netns1', to: '8.8.8.8' }, 30_000);
    expect(r.ok).toBe(true);
    if (!r.ok) return;
    expect(r.data).toMatchObject({ ok: false, reason: 'forward-drop', hop: { node: 'host' }, drop: { chain: 'FORWARD' } });
  }, 60_000);

  it('refuses bad probe input with a sentence and runs nothing', async () => {
    for (const bad of [{ from: '-x', to: '1.1.1.1' }, { from: 'netns1', to: '1.1.1.1; reboot' }, { from: 'netns1' }, { from: 'nosuch', to: '1.1.1.1' }]) {
      const r = await request(a, 'probe:run', bad, 15_000);
      expect(r.ok).toBe(false);
      if (!r.ok) expect(r.error.length).toBeGreaterThan(10);
    }
  }, 60_000);

  it('a matrix answers with a cell per ordered pair', async () => {
    const r = await request<{ cells: { from: string; to: string; ok: boolean }[] }>(a, 'probe:matrix', { nodes: ['netns1', 'netns2', 'host'] }, 30_000);
    expect(r.ok).toBe(true);
    if (!r.ok) return;
    expect(r.data.cells).toHaveLength(6);
    expect(r.data.cells.find((c) => c.from === 'netns1' && c.to === 'netns2')?.ok).toBe(true);
  }, 60_000);

  it('a capture streams the echo request and reply; its pcap downloads with the token only', async () => {
    const packets: PacketSummary[] = [];
    b.on('capture:packets', (batch) => packets.push(...batch.packets));
    const started = await request<CaptureInfo>(a, 'capture:start', { node: 'netns1', iface: 'veth1', filter: 'icmp' }, 30_000);
    expect(started.ok).toBe(true);
    if (!started.ok) return;
    const info = started.data;
    const pids = registry.get(info.captureId)!.pids;
    expect(pids.every(alive)).toBe(true);
    const ping = await request<{ ok: boolean }>(a, 'probe:run', { from: 'netns1', to: 'netns2' }, 30_000);
    expect(ping.ok && ping.data.ok).toBe(true);
    const lines = await waitFor(() => {
      const l = packets.map(formatSummary);
      return l.some((x) => /echo request/.test(x)) && l.some((x) => /echo reply/.test(x)) ? l : undefined;
    }, 10_000);
    expect(lines.find((l) => /ICMP 10\.0\.0\.101 > 10\.0\.0\.102: echo request/.test(l))).toBeDefined();

    const listed = await request<CaptureInfo[]>(b, 'capture:list', {});
    expect(listed.ok && listed.data.map((c) => c.captureId)).toEqual([info.captureId]);

    const stopped = await request<{ running: boolean; pcapPackets: number }>(a, 'capture:stop', { captureId: info.captureId }, 15_000);
    expect(stopped.ok).toBe(true);
    if (stopped.ok) expect(stopped.data.running).toBe(false);
    await waitFor(() => pids.every((p) => !alive(p)), 5000);

    const res = await fetch(`${h.url}${info.pcapUrl}`);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-disposition')).toContain('.pcap');
    const bytes = Buffer.from(await res.arrayBuffer());
    expect(bytes.readUInt32LE(0)).toBe(0xa1b2c3d4); // the pcap magic
    expect(bytes.length).toBeGreaterThan(24 + 2 * 16);
    const wrong = await fetch(`${h.url}${info.pcapUrl.replace(token, 'f'.repeat(32))}`);
    expect(wrong.status).toBe(404);
  }, 60_000);

  it('refuses a filter that would be an option, and a capture of another session', async () => {
    const bad = await request(a, 'capture:start', { node: 'netns1', iface: 'veth1', filter: '-w /etc/passwd' });
    expect(bad.ok).toBe(false);
    const nope = await request(a, 'capture:stop', { captureId: '0123abcd' });
    expect(nope.ok).toBe(false);
  });

  it('a disconnect stops the captures that page started', async () => {
    const c = await h.client();
    const joined = await request(c, 'session:open', { token, lab: '03-bridge' }, 30_000);
    expect(joined.ok).toBe(true);
    const started = await request<CaptureInfo>(c, 'capture:start', { node: 'host', iface: 'br0' }, 30_000);
    expect(started.ok).toBe(true);
    if (!started.ok) return;
    const pids = registry.get(started.data.captureId)!.pids;
    expect(pids.every(alive)).toBe(true);
    c.disconnect();
    await waitFor(() => pids.every((p) => !alive(p)), 5000);
    expect(registry.get(started.data.captureId)!.stats().running).toBe(false);
  }, 60_000);
});
