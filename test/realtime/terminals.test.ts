// Terminals live exactly as long as their tab and socket, resize works, and output is flow-controlled.
import { execFileSync } from 'node:child_process';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createFakeEngine } from './fake-engine.ts';
import { alive, request, startServer, waitFor, type Client, type Harness } from './harness.ts';
import { sessionMembers } from '../../server/realtime/terminals.ts';
import type { TermOpened } from '../../server/realtime/contract.ts';

let h: Harness;
beforeEach(async () => { h = await startServer({ engine: createFakeEngine(), graceMs: 100, pollMs: 100 }); });
afterEach(async () => { await h.close(); });

async function openTerm(c: Client, cols = 80, rows = 24): Promise<TermOpened> {
  const opened = await request(c, 'session:open', {});
  expect(opened.ok).toBe(true);
  const ack = await request<TermOpened>(c, 'term:open', { node: 'host', cols, rows });
  if (!ack.ok) throw new Error(ack.error);
  return ack.data;
}

function output(c: Client, id: number) {
  const buf = { text: '' };
  c.on('term:data', (p) => { if (p.id === id) { buf.text += p.data; c.emit('term:ack', { id, bytes: Buffer.byteLength(p.data) }); } });
  return buf;
}

/** Processes on the machine whose parent chain reaches this test process (what could leak). */
function descendants(): number[] {
  const out = execFileSync('ps', ['-e', '-o', 'pid=,ppid=,comm='], { encoding: 'utf8' });
  const children = new Map<number, number[]>();
  for (const line of out.trim().split('\n')) {
    const [pid, ppid, comm] = line.trim().split(/\s+/);
    if (comm === 'ps') continue; // the listing itself
    children.set(Number(ppid), [...(children.get(Number(ppid)) ?? []), Number(pid)]);
  }
  const found: number[] = [];
  const walk = (p: number) => { for (const c of children.get(p) ?? []) { found.push(c); walk(c); } };
  walk(process.pid);
  return found;
}

describe('terminals', () => {
  it('runs a shell from the engine argv and echoes output', async () => {
    const c = await h.client();
    const t = await openTerm(c);
    const out = output(c, t.id);
    c.emit('term:input', { id: t.id, data: 'echo "nsplay-$((6*7))"\n' });
    await waitFor(() => out.text.includes('nsplay-42'));
  });

  it('resize changes what the shell sees', async () => {
    const c = await h.client();
    const t = await openTerm(c, 80, 24);
    const out = output(c, t.id);
    expect((await request(c, 'term:resize', { id: t.id, cols: 123, rows: 45 })).ok).toBe(true);
    c.emit('term:input', { id: t.id, data: 'stty size\n' });
    await waitFor(() => out.text.includes('45 123'));
  });

  it('term:close kills the shell and everything it started', async () => {
    const c = await h.client();
    const t = await openTerm(c);
    const out = output(c, t.id);
    c.emit('term:input', { id: t.id, data: 'sleep 300 & echo "bg=$!"\n' });
    const m = await waitFor(() => /bg=(\d+)/.exec(out.text));
    const [shell] = h.app.ptyPids();
    const sleeper = Number(m![1]);
    expect(alive(sleeper)).toBe(true);
    expect((await request(c, 'term:close', { id: t.id })).ok).toBe(true);
    await waitFor(() => !alive(shell) && !alive(sleeper), 3000);
  });

  it('disconnect kills the pty', async () => {
    const c = await h.client();
    await openTerm(c);
    const [pid] = h.app.ptyPids();
    expect(alive(pid)).toBe(true);
    c.disconnect();
    await waitFor(() => !alive(pid), 3000);
    expect(h.app.ptyPids()).toEqual([]);
  });

  it('50 connect/disconnect cycles leave no orphan processes', async () => {
    const before = new Set(descendants());
    const pids: number[] = [];
    for (let i = 0; i < 50; i++) {
      const c = await h.client();
      await openTerm(c);
      pids.push(...h.app.ptyPids().filter((p) => !pids.includes(p)));
      c.disconnect();
    }
    expect(pids.length).toBe(50);
    await waitFor(() => pids.every((p) => !alive(p)), 5000);
    await waitFor(() => descendants().filter((p) => !before.has(p)).length === 0, 5000);
    expect(pids.flatMap((p) => sessionMembers(p))).toEqual([]);
  }, 60_000);

  it('a flood of output pauses the pty instead of growing without bound', async () => {
    const c = await h.client();
    const t = await openTerm(c);
    let received = 0;
    // This page never acks: the server must stop reading at the high-water mark.
    c.on('term:data', (p) => { if (p.id === t.id) received += Buffer.byteLength(p.data); });
    c.emit('term:input', { id: t.id, data: 'yes nsplay-flood-line\n' });
    // The window (terminals.ts HIGH, 64 KiB) is sent, then the pty is paused.
    await waitFor(() => received > 64 * 1024, 5000);
    await new Promise((r) => setTimeout(r, 500));
    const settled = received;
    await new Promise((r) => setTimeout(r, 500));
    expect(received).toBeLessThan(64 * 1024 + 3 * 32 * 1024);
    expect(received - settled).toBeLessThan(32 * 1024);
  });
});

describe('terminal output timing', () => {
  let slow: Harness;
  beforeEach(async () => { slow = await startServer({ engine: createFakeEngine(), graceMs: 100, pollMs: 100, terminals: { flushMs: 5000 } }); });
  afterEach(async () => { await slow.close(); });

  it('a quiet terminal\'s keystroke echo goes out at once, not at the next flush tick', async () => {
    // A 5 s tick: the typed characters must still come back long before it.
    const c = await slow.client();
    const t = await openTerm(c);
    const out = output(c, t.id);
    await waitFor(() => out.text.includes('#') || out.text.includes('$'), 10_000); // the prompt, then quiet
    await new Promise((r) => setTimeout(r, 5100)); // past one tick since the prompt: the terminal is quiet
    const t0 = Date.now();
    c.emit('term:input', { id: t.id, data: ': typed-mark' });
    await waitFor(() => out.text.includes('typed-mark'), 2000);
    expect(Date.now() - t0).toBeLessThan(2000);
  }, 30_000);
});
