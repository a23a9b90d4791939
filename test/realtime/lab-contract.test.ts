// The lab events (lab:load, lab:progress, lab:check, lab:reset): malformed payloads get an error ack
// and reach no runner; a well-formed one is forwarded to the lab service with the session's id.
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createFakeEngine, type FakeEngine } from './fake-engine.ts';
import { request, startServer, type Harness } from './harness.ts';
import type { LabService } from '../../server/realtime/engine-proxy.ts';
import type { LabProgress } from '../../server/labs/progress.ts';

let engine: FakeEngine;
let h: Harness;
let calls: { method: string; args: unknown[] }[];

function fakeLabs(): LabService {
  const progress = (sessionId: string): LabProgress => ({ sessionId, lab: '03-bridge', current: 0, steps: [{ ran: false, passed: false, checks: [] }] });
  return {
    async load(labId) { calls.push({ method: 'load', args: [labId] }); return { id: labId, title: 'T', summary: 'S', steps: [] } as unknown as Awaited<ReturnType<LabService['load']>>; },
    async progress(id) { calls.push({ method: 'progress', args: [id] }); return progress(id); },
    async check(id, o) { calls.push({ method: 'check', args: [id, o] }); return { ok: true, steps: [], progress: progress(id) }; },
    async reset(id) { calls.push({ method: 'reset', args: [id] }); return progress(id); },
    async runTo(id, to) { calls.push({ method: 'runTo', args: [id, to] }); return { ok: true, progress: progress(id) }; },
  };
}

beforeEach(async () => {
  calls = [];
  engine = createFakeEngine();
  h = await startServer({ engine, graceMs: 200, pollMs: 100, labs: fakeLabs() });
});
afterEach(async () => { await h.close(); });

const MALFORMED: [string, unknown][] = [
  ['lab:load', { lab: '03-bridge' }],
  ['lab:load', 'a string'],
  ['lab:progress', { step: 1 }],
  ['lab:check', { step: -1 }],
  ['lab:check', { step: 1.5 }],
  ['lab:check', { step: '2' }],
  ['lab:check', { step: 100000 }],
  ['lab:check', { step: 1, all: true, extra: 1 }],
  ['lab:reset', { hard: true }],
  ['lab:reset', [1, 2]],
  ['lab:runto', {}],
  ['lab:runto', { step: -1 }],
  ['lab:runto', { step: '3' }],
];

describe('lab events', () => {
  it.each(MALFORMED)('%s %j → error ack, no runner call', async (event, payload) => {
    const c = await h.client();
    await request(c, 'session:open', { lab: '03-bridge' });
    const ack = await request(c, event, payload);
    expect(ack.ok).toBe(false);
    expect((ack as { error: string }).error).toMatch(new RegExp(`^${event}: `));
    expect(calls).toEqual([]);
  });

  it('without a session, a lab event is refused', async () => {
    const c = await h.client();
    const ack = await request(c, 'lab:progress', {});
    expect(ack).toMatchObject({ ok: false, error: expect.stringMatching(/no session/) });
    expect(calls).toEqual([]);
  });

  it('a session opened without a lab has no lab', async () => {
    const c = await h.client();
    await request(c, 'session:open', {});
    const ack = await request(c, 'lab:load', {});
    expect(ack).toMatchObject({ ok: false, error: expect.stringMatching(/not opened for a lab/) });
  });

  it('well-formed lab events reach the runner with the session id', async () => {
    const c = await h.client();
    const opened = await request(c, 'session:open', { lab: '03-bridge' });
    expect(opened.ok).toBe(true);
    const id = [...engine.sessions.keys()][0];
    const pushed: LabProgress[] = [];
    c.on('lab:progress', (p) => pushed.push(p));
    const loaded = await request(c, 'lab:load', {});
    expect(loaded).toMatchObject({ ok: true, data: { lab: { id: '03-bridge' }, progress: { sessionId: id } } });
    expect(await request(c, 'lab:check', { step: 2 })).toMatchObject({ ok: true, data: { ok: true } });
    expect(await request(c, 'lab:reset', {})).toMatchObject({ ok: true, data: { current: 0 } });
    expect(await request(c, 'lab:runto', { step: 1 })).toMatchObject({ ok: true, data: { sessionId: id } });
    expect(calls.map((x) => x.method)).toEqual(['load', 'progress', 'check', 'reset', 'runTo']);
    expect(calls[2].args).toEqual([id, { step: 2 }]);
    expect(calls[4].args).toEqual([id, 1]);
    await new Promise((r) => setTimeout(r, 100));
    expect(pushed.length).toBe(3);
  });
});
