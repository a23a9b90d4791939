// Live capture on lab 3: a ping and an HTTP GET are seen as one-line summaries and read back from the
// pcap by tshark; 64 KiB GSO aggregates are whole in the pcap; a flood is sampled and bounded;
// stopping, counting out, or destroying the session leaves no tcpdump; bad filters are refused before
// anything runs.
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CaptureInputError, createCaptureRegistry, formatSummary, startCapture, type PacketSummary } from '../../server/capture/index.ts';
import { runCommand } from '../../server/exec/run.ts';
import { createEngine } from '../../server/session/engine.ts';
import { loadTopology } from '../../server/topology/load.ts';
import { footprint, newProcesses, ROOT } from '../fixtures/probe/harness.ts';
import { execa } from 'execa';
import { TEST_STATE_DIR } from './env.ts';

const engine = createEngine({ stateDir: TEST_STATE_DIR });
const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'nsplay-capture-test-'));

async function sh(id: string, node: string, argv: string[], timeoutMs = 15_000) {
  return runCommand(await engine.enterArgv(id, node, argv), { timeoutMs });
}

/** tshark reads the file inside the session's host (it never needs the machine's network). */
async function tshark(id: string, file: string, fields = false) {
  const argv = fields ? ['tshark', '-r', file, '-T', 'fields', '-e', 'frame.number'] : ['tshark', '-r', file, '-n'];
  return sh(id, 'host', argv);
}

describe('capture', () => {
  let id = '';
  let nodes: string[] = [];
  beforeAll(async () => {
    id = (await engine.create({ lab: '03-bridge', owner: 'test' })).id;
    const t = loadTopology(fs.readFileSync(path.join(ROOT, 'labs/03-bridge/final.yaml'), 'utf8'));
    if (!t.ok) throw new Error('lab 3');
    expect((await engine.apply(id, t.value)).ok).toBe(true);
    nodes = Object.keys((await engine.status(id)).observed.namespaces);
  }, 120_000);
  afterAll(async () => {
    if (id) await engine.destroy(id);
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it('shows a ping and an HTTP GET on br0, and tshark reads them back from the pcap', async () => {
    const before = await footprint(engine, id, nodes);
    const file = path.join(dir, 'ping-http.pcap');
    const c = await startCapture(engine, id, 'host', 'br0', 'icmp or tcp port 80', { pcapFile: file });
    const seen: PacketSummary[] = [];
    c.on('packets', (b) => seen.push(...b.packets));
    expect((await sh(id, 'netns1', ['ping', '-c', '1', '-W', '1', '10.0.0.102'])).code).toBe(0);
    const get = await sh(id, 'netns1', ['curl', '-sS', '-m', '3', 'http://1.1.1.1/']);
    expect(get.stdout).toContain('hello from the internet');
    await new Promise((r) => setTimeout(r, 300));
    const stats = await c.stop();
    const lines = seen.map(formatSummary);
    expect(lines.find((l) => /ICMP 10\.0\.0\.101 > 10\.0\.0\.102: echo request/.test(l))).toBeDefined();
    expect(lines.find((l) => /ICMP 10\.0\.0\.102 > 10\.0\.0\.101: echo reply/.test(l))).toBeDefined();
    expect(seen.find((p) => p.proto === 'TCP' && p.dst === '1.1.1.1:80' && p.info.startsWith('Flags [S]'))).toBeDefined();
    expect(seen.find((p) => p.proto === 'TCP' && p.info.includes('HTTP: GET / HTTP/1.1'))).toBeDefined();
    expect(stats).toMatchObject({ running: false, dropped: 0, pcapCapped: false, sampledOut: 0, sampling: 1 });
    expect(stats.pcapPackets).toBe(stats.packets);
    expect(stats.shown).toBe(stats.packets);
    const read = await tshark(id, file);
    expect(read.code, read.stderr).toBe(0);
    expect(read.stdout).toMatch(/10\.0\.0\.101 → 10\.0\.0\.102 +ICMP .*Echo \(ping\) request/);
    expect(read.stdout).toMatch(/10\.0\.0\.102 → 10\.0\.0\.101 +ICMP .*Echo \(ping\) reply/);
    expect(read.stdout).toMatch(/10\.0\.0\.101 → 1\.1\.1\.1 +HTTP .*GET \/ HTTP\/1\.1/);
    expect(read.stdout).toMatch(/1\.1\.1\.1 → 10\.0\.0\.101 +HTTP .*HTTP\/1\.[01] 200 OK/);
    const after = await footprint(engine, id, nodes);
    expect(newProcesses(before, after)).toEqual([]);
  });

  it('keeps 64 KiB GSO aggregates whole in the pcap (full snapshot length), and tshark reads them', async () => {
    // A 2 MiB HTTP download between two namespaces: the veths hand whole TSO/GSO aggregates (up to
    // ~65 KB) to the capture; a 65000-byte snapshot length would cut them.
    const www = path.join(dir, 'www');
    fs.mkdirSync(www, { recursive: true });
    fs.writeFileSync(path.join(www, 'big.bin'), Buffer.alloc(2 * 1024 * 1024, 7));
    const argv = await engine.enterArgv(id, 'netns2', ['python3', '-m', 'http.server', '8000', '--bind', '10.0.0.102', '--directory', www]);
    const server = spawn(argv[0], argv.slice(1), { stdio: 'ignore' });
    try {
      let up = false;
      for (let i = 0; i < 100 && !up; i++) {
        up = (await sh(id, 'netns1', ['curl', '-sS', '-o', '/dev/null', 'http://10.0.0.102:8000/'])).code === 0;
        if (!up) await new Promise((r) => setTimeout(r, 200));
      }
      expect(up).toBe(true);
      const file = path.join(dir, 'gso.pcap');
      const c = await startCapture(engine, id, 'host', 'br0', 'tcp port 8000', { pcapFile: file });
      const get = await sh(id, 'netns1', ['curl', '-sS', '-o', '/dev/null', '-w', '%{size_download}', 'http://10.0.0.102:8000/big.bin']);
      expect(get.stdout).toBe(String(2 * 1024 * 1024));
      const stats = await c.stop();
      const read = await sh(id, 'host', ['tshark', '-r', file, '-T', 'fields', '-e', 'frame.len', '-e', 'frame.cap_len']);
      expect(read.code, read.stderr).toBe(0);
      const frames = read.stdout.trim().split('\n').map((l) => l.split('\t').map(Number));
      expect(frames).toHaveLength(stats.packets);
      expect(Math.max(...frames.map(([len]) => len))).toBeGreaterThan(65_000);
      expect(frames.filter(([len, cap]) => len !== cap)).toEqual([]);
    } finally {
      if (server.pid && server.exitCode === null) process.kill(server.pid, 'SIGTERM');
    }
  });

  it('sends a quiet link\'s packets at once, not at the next batch tick', async () => {
    // A tick of 10 s: the request and its reply must come long before it, in early batches.
    const c = await startCapture(engine, id, 'netns1', 'veth1', 'icmp', { flushMs: 10_000 });
    try {
      const batches: PacketSummary[][] = [];
      c.on('packets', (b) => batches.push(b.packets));
      const t0 = Date.now();
      expect((await sh(id, 'netns1', ['ping', '-c', '1', '-W', '1', '10.0.0.102'])).code).toBe(0);
      while (batches.flat().length < 2 && Date.now() - t0 < 5000) await new Promise((r) => setTimeout(r, 20));
      expect(batches.flat().map((p) => /echo (request|reply)/.exec(p.info)?.[0])).toEqual(['echo request', 'echo reply']);
    } finally {
      await c.stop();
    }
  });

  it('ends by itself after --count packets on "any" of a node', async () => {
    const c = await startCapture(engine, id, 'netns1', 'any', 'icmp', { count: 2 });
    const batches: PacketSummary[][] = [];
    const reading = (async () => { for await (const b of c) batches.push(b.packets); })();
    await sh(id, 'netns1', ['ping', '-c', '3', '-i', '0.2', '-W', '1', '10.0.0.1']);
    const stats = await c.ended;
    await reading;
    expect(stats.packets).toBe(2);
    expect(batches.flat().map((p) => p.iface)).toEqual(['veth1', 'veth1']);
  });

  it('samples a flood and stays bounded; the pcap keeps every packet up to its cap', async () => {
    const file = path.join(dir, 'flood.pcap');
    const c = await startCapture(engine, id, 'host', 'br0', 'icmp', { pcapFile: file, ratePerSec: 100, pcapMaxBytes: 256 * 1024 });
    let notes = '';
    let shown = 0;
    let shownAfterCap = 0;
    c.on('packets', (b) => { shown += b.packets.length; if (b.stats.pcapCapped) shownAfterCap += b.packets.length; if (b.note) notes = b.note; });
    const started = Date.now();
    await sh(id, 'netns1', ['ping', '-f', '-w', '3', '-q', '10.0.0.102'], 20_000);
    const seconds = (Date.now() - started) / 1000;
    // The pcap filled up early in the flood; the summaries went on to the page until the stop.
    expect(c.stats().running).toBe(true);
    const stats = await c.stop();
    expect(shownAfterCap).toBeGreaterThan(0);
    console.log(`[capture] flood: ${stats.packets} packets in ${seconds.toFixed(1)} s, ${stats.shown} shown, ${stats.sampledOut} sampled out, ${stats.dropped} dropped, kernel ${stats.kernelDropped}; pcap ${stats.pcapPackets} packets, ${stats.pcapBytes} bytes; "${notes}"`);
    expect(stats.packets).toBeGreaterThan(1000);
    expect(shown).toBeLessThanOrEqual(100 * (seconds + 2));
    expect(notes).toMatch(/packets, showing 1 in \d+/);
    expect(stats.pcapCapped).toBe(true);
    expect(fs.statSync(file).size).toBeLessThanOrEqual(256 * 1024);
    expect(fs.statSync(file).size).toBe(stats.pcapBytes);
    const read = await tshark(id, file, true);
    expect(read.code, read.stderr).toBe(0);
    expect(read.stdout.trim().split('\n')).toHaveLength(stats.pcapPackets);
  });

  it('refuses bad filters and interfaces before anything runs, and reports what tcpdump refuses', async () => {
    await expect(startCapture(engine, id, 'host', 'br0', '-w /tmp/x')).rejects.toThrow(/starts with '-'/);
    await expect(startCapture(engine, id, 'host', 'br0', 'icmp; reboot')).rejects.toBeInstanceOf(CaptureInputError);
    await expect(startCapture(engine, id, 'host', 'no-such0')).rejects.toThrow(/tcpdump could not capture on no-such0 in host/);
    await expect(startCapture(engine, id, 'host', 'br0', 'icmp and and')).rejects.toThrow(/syntax error/);
    const after = await footprint(engine, id, nodes);
    expect(after.processes.filter((p) => p.endsWith(' tcpdump'))).toEqual([]);
  });

  it('nsplay capture prints tcpdump-like lines and writes the pcap', async () => {
    const file = path.join(dir, 'cli.pcap');
    // The real CLI, without the seed tests' tcpdump wrapper (it stops every tcpdump after one packet).
    const child = execa(process.execPath, [path.join(ROOT, 'bin/nsplay.js'), 'capture', id, 'host', 'br0', '--filter', 'icmp', '--count', '2', '--pcap', file],
      { reject: false, timeout: 60_000, env: { NSPLAY_STATE_DIR: TEST_STATE_DIR } });
    let started = false;
    child.stderr!.on('data', (d) => { if (String(d).includes('capturing on')) started = true; });
    for (let i = 0; i < 300 && !started; i++) await new Promise((r) => setTimeout(r, 100));
    await sh(id, 'netns1', ['ping', '-c', '1', '-W', '1', '10.0.0.102']);
    const r = await child;
    expect(r.exitCode, String(r.stderr)).toBe(0);
    expect(r.stdout).toMatch(/br0 ICMP 10\.0\.0\.101 > 10\.0\.0\.102: echo request/);
    expect(r.stderr).toMatch(/2 packets captured/);
    expect((await tshark(id, file, true)).stdout.trim().split('\n')).toHaveLength(2);
  });

  it('the registry limits captures per session, stops an owner\'s on disconnect, deletes pcaps with the session', async () => {
    const registry = createCaptureRegistry({ engine, pcapDir: path.join(dir, 'registry'), maxPerSession: 2 });
    const a = await registry.start('socket-a', id, 'host', 'br0', 'icmp');
    const b = await registry.start('socket-b', id, 'netns1', 'veth1');
    await expect(registry.start('socket-a', id, 'netns2', 'veth3')).rejects.toThrow(/at most 2 captures/);
    await sh(id, 'netns1', ['ping', '-c', '1', '-W', '1', '10.0.0.102']);
    await registry.stopOwner('socket-a');
    expect(a.stats().running).toBe(false);
    expect(b.stats().running).toBe(true);
    const file = registry.pcapPath(a.id)!;
    expect(fs.statSync(file).size).toBeGreaterThan(24);
    // A capture being stopped (up to ~1 s for tcpdump's last block) frees its place at once: a page
    // that reconnects and starts a capture right after its old one was stopped is not refused.
    const c1 = await registry.start('socket-c', id, 'netns2', 'veth3');
    await expect(registry.start('socket-c', id, 'netns2', 'veth3')).rejects.toThrow(/at most 2 captures/);
    const stopping = b.stop();
    expect(b.stopRequested()).toBe(true);
    expect(b.stats().running).toBe(true); // still handing over its last block
    const c2 = await registry.start('socket-b', id, 'netns2', 'veth3');
    await stopping;
    await registry.removeSession(id);
    for (const c of [b, c1, c2]) expect(c.stats().running).toBe(false);
    expect(fs.existsSync(file)).toBe(false);
    expect(registry.list(id)).toEqual([]);
  });

  it('a destroyed session takes its captures with it', async () => {
    const c = await startCapture(engine, id, 'netns2', 'veth3');
    const pids = c.pids;
    expect(fs.readFileSync(`/proc/${pids[0]}/comm`, 'utf8').trim()).toBe('tcpdump');
    await engine.destroy(id);
    const stats = await c.ended;
    expect(stats.running).toBe(false);
    for (const p of pids) expect(fs.existsSync(`/proc/${p}`), `tcpdump ${p}`).toBe(false);
    id = '';
  });
});
