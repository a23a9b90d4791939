// Demo / follow: a presenting page's drawing, kernel state and terminal output reach every follower;
// nothing a follower sends reaches the presenter's session or shell; the demo ends with its page.
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { DemoStatus, FollowInfo, TermOpened } from '../../server/realtime/contract.ts';
import type { Topology } from '../../server/topology/schema.ts';
import { createFakeEngine, type FakeEngine } from './fake-engine.ts';
import { request, startServer, waitFor, type Client, type Harness } from './harness.ts';

let engine: FakeEngine;
let h: Harness;
beforeEach(async () => { engine = createFakeEngine(); h = await startServer({ engine, graceMs: 200, pollMs: 100 }); });
afterEach(async () => { await h.close(); });

const DOC: Topology = { version: 1, nodes: [{ name: 'netns1', kind: 'netns' }], links: [] };

async function presenter(): Promise<{ c: Client; id: string }> {
  const c = await h.client();
  const opened = await request<{ state: { info: { id: string } } }>(c, 'session:open', {});
  if (!opened.ok) throw new Error(opened.error);
  return { c, id: opened.data.state.info.id };
}

describe('demo and follow', () => {
  it('a follower sees the presenter\'s drawing, state and terminal output, read-only', async () => {
    const P = await presenter();
    const F = await h.client();
    const live: DemoStatus[] = [];
    F.on('demo:live', (d) => live.push(d));
    expect(await request(F, 'demo:status', {})).toMatchObject({ ok: true, data: { live: false } });
    expect((await request(F, 'follow:start', {})).ok).toBe(false); // nobody presents yet

    const started = await request<DemoStatus>(P.c, 'demo:start', {});
    expect(started).toEqual({ ok: true, data: { live: true, sessionId: P.id } });
    await waitFor(() => live.find((d) => d.live));

    const docs: Topology[] = [];
    const term: string[] = [];
    const states: string[] = [];
    F.on('follow:doc', (p) => docs.push(p.topology));
    F.on('follow:term', (p) => term.push(p.data));
    F.on('topology:state', (s) => states.push(s.info.id));
    const info = await request<FollowInfo>(F, 'follow:start', {});
    expect(info.ok && info.data.sessionId).toBe(P.id);

    expect((await request(P.c, 'demo:doc', { topology: DOC })).ok).toBe(true);
    await waitFor(() => docs.length > 0);
    expect(docs[0].nodes.map((n) => n.name)).toEqual(['netns1']);
    expect(info.ok && info.data.state.info.id).toBe(P.id); // the kernel state now; changes arrive as topology:state
    void states;

    // The presenter's shell output reaches the follower…
    const t = await request<TermOpened>(P.c, 'term:open', { node: 'host', cols: 80, rows: 24 });
    if (!t.ok) throw new Error(t.error);
    let pOut = '';
    P.c.on('term:data', (p) => { pOut += p.data; P.c.emit('term:ack', { id: p.id, bytes: Buffer.byteLength(p.data) }); });
    P.c.emit('term:input', { id: t.data.id, data: 'echo PRESENTED$((40+2))\r' });
    await waitFor(() => term.join('').includes('PRESENTED42'), 5000);

    // …but nothing the follower sends reaches it: its input, its doc, its applies act on nothing of the presenter's.
    F.emit('term:input', { id: t.data.id, data: 'echo FOLLOWER$((40+2))\r' });
    expect((await request(F, 'demo:doc', { topology: { version: 1, nodes: [{ name: 'evil', kind: 'netns' }], links: [] } })).ok).toBe(false);
    expect((await request(F, 'topology:apply', { topology: DOC })).ok).toBe(false); // no session of its own yet
    expect((await request(F, 'demo:stop', {})).ok).toBe(false);
    await new Promise((r) => setTimeout(r, 400));
    expect(pOut).not.toContain('FOLLOWER42');
    expect(docs.some((d) => d.nodes.some((n) => n.name === 'evil'))).toBe(false);
    expect(engine.sessions.get(P.id)!.desired.nodes).toEqual([]);

    // A second page cannot take the demo over.
    const Q = await presenter();
    expect((await request(Q.c, 'demo:start', {})).ok).toBe(false);

    // The demo ends with the presenter's page.
    P.c.disconnect();
    await waitFor(() => live.at(-1)?.live === false, 3000);
    expect(await request(F, 'demo:status', {})).toMatchObject({ ok: true, data: { live: false } });
  });

  it('a follower can fork: its own session with the presenter\'s drawing', async () => {
    const P = await presenter();
    await request(P.c, 'demo:start', {});
    await request(P.c, 'demo:doc', { topology: DOC });
    const F = await h.client();
    const info = await request<FollowInfo>(F, 'follow:start', {});
    if (!info.ok) throw new Error(info.error);
    expect(info.data.doc?.nodes.map((n) => n.name)).toEqual(['netns1']);
    // Fork = open a session of one's own and apply the copied drawing there.
    const own = await request<{ state: { info: { id: string } } }>(F, 'session:open', {});
    if (!own.ok) throw new Error(own.error);
    expect(own.data.state.info.id).not.toBe(P.id);
    expect((await request(F, 'topology:apply', { topology: info.data.doc })).ok).toBe(true);
    expect(engine.sessions.get(own.data.state.info.id)!.desired.nodes.map((n) => n.name)).toEqual(['netns1']);
    expect(engine.sessions.get(P.id)!.desired.nodes).toEqual([]);
    expect((await request(F, 'follow:stop', {})).ok).toBe(true);
  });

  it('roles: only the instructor presents; a viewer can only follow; checked on every event', async () => {
    const tokens = { accessToken: 'a'.repeat(32), instructorToken: 'i'.repeat(32), viewerToken: 'v'.repeat(32) };
    const g = await startServer({ engine: createFakeEngine(), graceMs: 200, pollMs: 100, ...tokens });
    try {
      const attendee = await g.client({ token: tokens.accessToken });
      const teacher = await g.client({ token: tokens.instructorToken });
      const viewer = await g.client({ token: tokens.viewerToken });
      expect(((await request<DemoStatus>(attendee, 'demo:status', {})) as { data: DemoStatus }).data.role).toBe('attendee');
      expect(((await request<DemoStatus>(viewer, 'demo:status', {})) as { data: DemoStatus }).data.role).toBe('viewer');

      // An attendee has a sandbox of their own but cannot present.
      expect((await request(attendee, 'session:open', {})).ok).toBe(true);
      const refused = await request(attendee, 'demo:start', {});
      expect(refused).toEqual({ ok: false, error: 'demo:start: only the instructor can do this' });
      // A viewer cannot even open a sandbox, or type, or probe.
      for (const [e, p] of [['session:open', {}], ['term:open', { node: 'host', cols: 80, rows: 24 }], ['probe:run', { from: 'a', to: 'b' }], ['demo:start', {}]] as const) {
        const ack = await request(viewer, e, p);
        expect(ack).toEqual({ ok: false, error: `${e}: a viewer can only follow the instructor` });
      }
      // The instructor presents; the attendee and the viewer follow.
      expect((await request(teacher, 'session:open', {})).ok).toBe(true);
      expect((await request(teacher, 'demo:start', {})).ok).toBe(true);
      expect((await request(viewer, 'follow:start', {})).ok).toBe(true);
      expect((await request(attendee, 'follow:start', {})).ok).toBe(true);
      // Malformed payloads from a viewer are refused too (before parsing even reaches the handler).
      expect((await request(viewer, 'topology:apply', 'rm -rf /')).ok).toBe(false);
    } finally { await g.close(); }
  });

  it('roster: the instructor lists every connected session with its lab step, sends everyone to a step, resets one lab', async () => {
    const tokens = { accessToken: 'a'.repeat(32), instructorToken: 'i'.repeat(32) };
    const progress = (sessionId: string, current: number) => ({
      sessionId, lab: '03-bridge', current,
      steps: [0, 1, 2].map((i) => ({ ran: i < current, passed: i < current, checks: [], ...(i < current ? { checkedAt: 1000 + i } : {}) })),
    });
    const resets: string[] = [];
    const labs = {
      async load() { throw new Error('not used'); },
      async progress(id: string) { return progress(id, 1); },
      async check() { throw new Error('not used'); },
      async reset(id: string) { resets.push(id); return progress(id, 0); },
    } as never;
    const g = await startServer({ engine: createFakeEngine(), graceMs: 200, pollMs: 100, labs, ...tokens });
    try {
      const teacher = await g.client({ token: tokens.instructorToken });
      const student = await g.client({ token: tokens.accessToken });
      await request(teacher, 'session:open', {});
      const own = await request<{ state: { info: { id: string } } }>(student, 'session:open', { lab: '03-bridge' });
      if (!own.ok) throw new Error(own.error);
      const sid = own.data.state.info.id;
      // Attendees have no roster.
      expect(await request(student, 'roster:list', {})).toEqual({ ok: false, error: 'roster:list: only the instructor can do this' });
      expect((await request(student, 'roster:reset', { sessionId: sid })).ok).toBe(false);
      const rows = await request<{ sessionId: string; lab?: string; step?: number; steps?: number; passed?: number }[]>(teacher, 'roster:list', {});
      if (!rows.ok) throw new Error(rows.error);
      expect(rows.data.find((r) => r.sessionId === sid)).toMatchObject({ lab: '03-bridge', step: 2, steps: 3, passed: 1 });
      // "Go to step 3" reaches the attendee's page.
      const gotos: number[] = [];
      student.on('lab:goto', (p) => gotos.push(p.step));
      expect((await request(teacher, 'roster:goto', { step: 2 })).ok).toBe(true);
      await waitFor(() => gotos.length > 0);
      expect(gotos).toEqual([2]);
      // Reset the attendee's lab: their page hears the new progress.
      const heard: number[] = [];
      student.on('lab:progress', (p) => heard.push(p.current));
      const reset = await request(teacher, 'roster:reset', { sessionId: sid });
      expect(reset).toMatchObject({ ok: true });
      expect(resets).toEqual([sid]);
      await waitFor(() => heard.includes(0));
    } finally { await g.close(); }
  });
});
