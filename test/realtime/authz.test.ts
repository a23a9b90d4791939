// Authorization table (issue 6): every client event × {no session yet, a socket of session A sending
// session B's ids, malformed/oversized payloads, no/wrong access token at connect} is refused (an
// error ack, a refused connection, or — for the fire-and-forget terminal events — dropped), and the
// victim session B is left exactly as it was: no apply/preview/destroy/terminal/capture/probe on B,
// its pty alive and deaf to others, its capture running, nothing of A's broadcast to B's page.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { randomBytes } from 'node:crypto';
import WebSocket from 'ws';
import { createFakeEngine, type FakeEngine } from './fake-engine.ts';
import { createFakeCaptures, createFakeProbes, spyEngine, type Call, type FakeCaptures } from './fakes.ts';
import { request, startServer, type Client, type Harness } from './harness.ts';
import { CLIENT_EVENTS, type Ack, type ClientEvent, type OpenedSession } from '../../server/realtime/contract.ts';

const MUTATING = new Set(['apply', 'preview', 'destroy', 'enterArgv', 'start', 'stop', 'removeSession', 'run', 'matrix']);
const MARKER = `PWNED${randomBytes(3).toString('hex')}`;

interface World {
  h: Harness;
  engine: FakeEngine;
  engineCalls: Call[];
  probes: ReturnType<typeof createFakeProbes>;
  captures: FakeCaptures;
  B: Client;
  bToken: string;
  bId: string;
  bTerm: number;
  bCapture: string;
  bOutput: string;
  /** Events of other sessions that reached B's page (must stay empty). */
  bForeign: string[];
  bDesired: string;
  ptysBefore: number[];
  mark: { engine: number; probes: number; captures: number };
}

async function open(c: Client, p: Record<string, unknown> = {}): Promise<OpenedSession> {
  const ack = await request<OpenedSession>(c, 'session:open', p);
  if (!ack.ok) throw new Error(ack.error);
  return ack.data;
}

/** Session B, the victim: a topology, a real pty, a capture. */
async function victim(deps: { accessToken?: string } = {}): Promise<World> {
  const engine = createFakeEngine();
  const { calls: engineCalls } = spyEngine(engine);
  const probes = createFakeProbes();
  const captures = createFakeCaptures();
  const h = await startServer({ engine, probes, captures, graceMs: 200, pollMs: 200, ...deps });
  const B = await h.client(deps.accessToken ? { token: deps.accessToken } : undefined);
  const s = await open(B);
  const w = { h, engine, engineCalls, probes, captures, B, bToken: s.token, bId: s.state.info.id, bOutput: '', bForeign: [] as string[] } as World;
  const applied = await request(B, 'topology:apply', { topology: { version: 1, nodes: [{ name: 'ns1', kind: 'netns' }], links: [] } });
  expect(applied.ok).toBe(true);
  const t = await request<{ id: number }>(B, 'term:open', { node: 'host', cols: 80, rows: 24 });
  if (!t.ok) throw new Error(t.error);
  w.bTerm = t.data.id;
  const cap = await request<{ captureId: string }>(B, 'capture:start', { node: 'host', iface: 'any' });
  if (!cap.ok) throw new Error(cap.error);
  w.bCapture = cap.data.captureId;
  B.on('term:data', (p) => { w.bOutput += p.data; });
  for (const e of ['plan:step', 'probe:result', 'capture:packets', 'capture:end', 'lab:progress', 'session:closed'] as const) {
    B.on(e, () => { w.bForeign.push(e); });
  }
  w.bDesired = JSON.stringify(engine.sessions.get(w.bId)!.desired);
  w.ptysBefore = h.app.ptyPids();
  w.mark = { engine: engineCalls.length, probes: probes.calls.length, captures: captures.calls.length };
  return w;
}

/** B as it was: same drawing, nothing mutating called with its id, its pty and capture alive. */
async function expectBUntouched(w: World) {
  await new Promise((r) => setTimeout(r, 30));
  const onB = (calls: Call[], from: number) => calls.slice(from).filter((c) => c.sessionId === w.bId && MUTATING.has(c.method));
  expect(onB(w.engineCalls, w.mark.engine)).toEqual([]);
  expect(onB(w.probes.calls, w.mark.probes)).toEqual([]);
  expect(onB(w.captures.calls, w.mark.captures)).toEqual([]);
  expect(w.engine.sessions.has(w.bId)).toBe(true);
  expect(w.engine.destroyed).not.toContain(w.bId);
  expect(JSON.stringify(w.engine.sessions.get(w.bId)!.desired)).toBe(w.bDesired);
  expect(w.captures.get(w.bCapture)?.stats().running).toBe(true);
  expect(w.h.app.ptyPids()).toEqual(expect.arrayContaining(w.ptysBefore));
  expect(w.h.app.sessions().find((b) => b.id === w.bId)?.sockets.size).toBe(1);
  expect(w.bOutput).not.toContain(MARKER);
  expect(w.bForeign).toEqual([]);
}

/** A well-formed payload of each event, aimed at B wherever the payload carries an id. */
const aimedAtB = (w: World): Record<ClientEvent, unknown> => ({
  'labs:list': {},
  'session:open': { token: randomBytes(16).toString('hex') }, // a guessed token
  'session:destroy': {},
  'file:load': { path: 'does-not-exist.yaml' },
  'topology:preview': { topology: { version: 1, nodes: [{ name: 'evil', kind: 'netns' }], links: [] } },
  'topology:apply': { topology: { version: 1, nodes: [{ name: 'evil', kind: 'netns' }], links: [] } },
  'term:open': { node: 'host', cols: 80, rows: 24 },
  'term:input': { id: w.bTerm, data: `echo ${MARKER}\r` },
  'term:resize': { id: w.bTerm, cols: 10, rows: 10 },
  'term:ack': { id: w.bTerm, bytes: 1_000_000 },
  'term:close': { id: w.bTerm },
  'lab:load': {},
  'lab:progress': {},
  'lab:check': { step: 0 },
  'lab:reset': {},
  'lab:runto': { step: 1 },
  'probe:run': { from: 'ns1', to: '10.0.0.1' },
  'probe:matrix': { nodes: ['ns1'] },
  'capture:start': { node: 'host', iface: 'any' },
  'capture:stop': { captureId: w.bCapture },
  'capture:list': {},
  'demo:start': {},
  'demo:stop': {},
  'demo:doc': { topology: { version: 1, nodes: [{ name: 'evil', kind: 'netns' }], links: [] } },
  'demo:status': {},
  'follow:start': {},
  'follow:stop': {},
  'roster:list': {},
  'roster:goto': { step: 0 },
  'roster:reset': { sessionId: w.bId },
});

// What each event does for a socket without a session: 'error' (refused), 'noop' (fire-and-forget
// terminal events for ids the socket does not own: acked and dropped), 'public' (needs no session:
// the lab catalogue, a lab file under labs/), 'own' (session:open makes the socket's own session),
// 'refused' (an error ack of its own: not presenting, nobody presenting).
const NO_SESSION: Record<ClientEvent, 'error' | 'noop' | 'public' | 'own' | 'refused'> = {
  'labs:list': 'public', 'file:load': 'public', 'session:open': 'own',
  'session:destroy': 'noop', 'term:input': 'noop', 'term:ack': 'noop',
  'topology:preview': 'error', 'topology:apply': 'error', 'term:open': 'error', 'term:resize': 'error', 'term:close': 'error',
  'lab:load': 'error', 'lab:progress': 'error', 'lab:check': 'error', 'lab:reset': 'error', 'lab:runto': 'error',
  'probe:run': 'error', 'probe:matrix': 'error', 'capture:start': 'error', 'capture:stop': 'error', 'capture:list': 'error',
  'demo:start': 'error', 'demo:stop': 'refused', 'demo:doc': 'refused', 'demo:status': 'public', 'follow:start': 'refused', 'follow:stop': 'noop',
  // Without tokens everyone is the instructor: the roster lists, goto broadcasts; a reset of B needs labs (none here).
  'roster:list': 'public', 'roster:goto': 'noop', 'roster:reset': 'refused',
};

// A socket of session A with B's ids: 'error' (refused), 'noop' (dropped), 'own' (acts on A only).
const CROSS: Record<ClientEvent, 'error' | 'noop' | 'own'> = {
  'term:resize': 'error', 'term:close': 'error', 'capture:stop': 'error',
  'term:input': 'noop', 'term:ack': 'noop',
  'labs:list': 'own', 'session:open': 'own', 'session:destroy': 'own', 'file:load': 'own',
  'topology:preview': 'own', 'topology:apply': 'own', 'term:open': 'own',
  'lab:load': 'own', 'lab:progress': 'own', 'lab:check': 'own', 'lab:reset': 'own', 'lab:runto': 'own',
  'probe:run': 'own', 'probe:matrix': 'own', 'capture:start': 'own', 'capture:list': 'own',
  // A presents its own session (ended when A leaves); stop/doc of a demo A does not run are refused.
  'demo:start': 'own', 'demo:stop': 'own', 'demo:doc': 'own', 'demo:status': 'own', 'follow:start': 'own', 'follow:stop': 'own',
  'roster:list': 'own', 'roster:goto': 'own', 'roster:reset': 'own',
};

describe('authorization table', () => {
  let w: World;
  beforeAll(async () => { w = await victim(); });
  afterAll(async () => { await w.h.close(); });

  it('covers every client event', () => {
    expect(Object.keys(NO_SESSION).sort()).toEqual([...CLIENT_EVENTS].sort());
    expect(Object.keys(CROSS).sort()).toEqual([...CLIENT_EVENTS].sort());
  });

  it.each(CLIENT_EVENTS)('no session yet: %s', async (event) => {
    const c = await w.h.client();
    const ack = await request(c, event, aimedAtB(w)[event]);
    const want = NO_SESSION[event];
    if (want === 'error') expect((ack as { error?: string }).error).toMatch(/no session yet|no terminal/);
    else if (want === 'noop') expect(ack).toEqual({ ok: true, data: null });
    else if (want === 'own') expect((ack as Ack<OpenedSession>).ok && (ack as { data: OpenedSession }).data.state.info.id).not.toBe(w.bId);
    else if (want === 'refused') expect(ack.ok).toBe(false);
    else expect(ack.ok || /labs\/|no such|not found|ENOENT/i.test((ack as { error: string }).error)).toBe(true);
    c.disconnect();
    await expectBUntouched(w);
  });

  it.each(CLIENT_EVENTS)("session A sends B's ids: %s", async (event) => {
    const A = await w.h.client();
    const a = await open(A);
    const ack = await request(A, event, aimedAtB(w)[event]);
    const want = CROSS[event];
    if (want === 'error') expect((ack as { error?: string }).error).toMatch(new RegExp(`^no (terminal|capture) `));
    else if (want === 'noop') expect(ack).toEqual({ ok: true, data: null });
    else {
      // Whatever it did (or refused), it did it to A: every engine/probe/capture call names A's session.
      const touched = [...w.engineCalls.slice(w.mark.engine), ...w.probes.calls.slice(w.mark.probes), ...w.captures.calls.slice(w.mark.captures)]
        .filter((c) => MUTATING.has(c.method)).map((c) => c.sessionId);
      expect(touched.filter((id) => id === w.bId)).toEqual([]);
      if (event === 'session:open') expect((ack as { data: OpenedSession }).data.state.info.id).not.toBe(w.bId);
      if (event === 'capture:list') expect(JSON.stringify(ack)).not.toContain(w.bCapture);
    }
    if (event === 'term:input') await new Promise((r) => setTimeout(r, 300)); // B's shell would echo it by now
    A.disconnect();
    await expectBUntouched(w);
    void a;
  });

  it("B's pcap is not served to A's token (but is to B's)", async () => {
    const A = await w.h.client();
    const a = await open(A);
    const url = (token: string) => `${w.h.url}/pcap/${w.bCapture}.pcap?session=${token}`;
    expect((await fetch(url(a.token))).status).toBe(404);
    expect((await fetch(url(randomBytes(16).toString('hex')))).status).toBe(404);
    expect((await fetch(url(w.bToken))).status).toBe(200);
    A.disconnect();
    await expectBUntouched(w);
  });

  const MALFORMED: [string, (e: ClientEvent, w: World) => unknown][] = [
    ['a string', () => 'rm -rf /'],
    ['a number', () => 42],
    ['an array', () => [aimedAtB]],
    ['an unknown key', (e, w) => ({ ...(aimedAtB(w)[e] as object), sessionId: w.bId, surplus: true })],
    ['a 1 MiB field', (e, w) => ({ ...(aimedAtB(w)[e] as object), pad: 'x'.repeat(1 << 20) })],
  ];
  const rows = CLIENT_EVENTS.flatMap((e) => MALFORMED.map(([what, make]) => [e, what, make] as const));

  it.each(rows)('malformed: %s with %s → error ack', async (event, _what, make) => {
    const A = await w.h.client();
    const a = await open(A);
    const mark = w.engineCalls.length;
    const ack = await request(A, event, make(event, w));
    expect(ack.ok).toBe(false);
    expect((ack as { error: string }).error).toMatch(new RegExp(`^${event}: `));
    // Nothing ran for A either (earlier rows' sessions may be reclaimed meanwhile: not A's).
    const mine = (c: Call) => c.method === 'create' || (c.sessionId === a.state.info.id && MUTATING.has(c.method));
    expect(w.engineCalls.slice(mark).filter(mine)).toEqual([]);
    A.disconnect();
    await expectBUntouched(w);
  });

  it('an oversized frame (over 5 MiB) closes the socket and changes nothing', async () => {
    const A = await w.h.client();
    await open(A);
    const gone = new Promise<string>((r) => A.once('disconnect', (reason) => r(reason)));
    (A as unknown as { emit(e: string, p: unknown): void }).emit('topology:apply', { topology: { version: 1, nodes: [], links: [], pad: 'x'.repeat(6 * 1024 * 1024) } });
    expect(await gone).toBeTruthy();
    await expectBUntouched(w);
  });

  it("control row: B's own input does reach B's shell (so the marker check above can fail)", async () => {
    const control = `CONTROL${randomBytes(3).toString('hex')}`;
    expect((await request(w.B, 'term:input', { id: w.bTerm, data: `echo ${control}\r` })).ok).toBe(true);
    await expect.poll(() => w.bOutput.includes(control), { timeout: 5000 }).toBe(true);
  });

  // Roles (instructor / attendee / viewer, checked on every event) have their own table in follow.test.ts.
});

describe('authorization table: access token at connect', () => {
  const TOKEN = randomBytes(16).toString('hex');
  let w: World;
  beforeAll(async () => { w = await victim({ accessToken: TOKEN }); });
  afterAll(async () => { await w.h.close(); });

  it.each([
    ['no token', undefined],
    ['a wrong token', { token: randomBytes(16).toString('hex') }],
    ['a token of the wrong type', { token: 12345 }],
  ])('%s: the connection is refused', async (_what, auth) => {
    await expect(w.h.client(auth as Record<string, unknown> | undefined)).rejects.toThrow(/access token/);
    await expectBUntouched(w);
  });

  it('a raw client that ignores the refusal gets no event through (every event, with and without an ack id)', async () => {
    const sessionsBefore = w.engine.sessions.size;
    const ws = new WebSocket(`${w.h.url.replace('http', 'ws')}/socket.io/?EIO=4&transport=websocket`);
    const frames: string[] = [];
    ws.on('message', (d) => frames.push(String(d)));
    await new Promise((r, f) => { ws.once('open', r); ws.once('error', f); });
    ws.send(`40${JSON.stringify({ token: 'wrong' })}`);
    await new Promise((r) => setTimeout(r, 100));
    const aims = aimedAtB(w);
    let ackId = 1;
    for (const e of CLIENT_EVENTS) {
      if (ws.readyState !== WebSocket.OPEN) break;
      ws.send(`42${JSON.stringify([e, aims[e]])}`);
      ws.send(`42${ackId++}${JSON.stringify([e, aims[e]])}`);
    }
    await new Promise((r) => setTimeout(r, 300));
    ws.close();
    expect(frames.some((f) => f.startsWith('44') && /access token/.test(f))).toBe(true);
    expect(frames.filter((f) => f.startsWith('43') || f.startsWith('42'))).toEqual([]); // no ack, no event
    expect(w.engine.sessions.size).toBe(sessionsBefore);
    await expectBUntouched(w);
  });

  it('the right token connects (control row)', async () => {
    const c = await w.h.client({ token: TOKEN });
    expect((await request(c, 'labs:list', {})).ok).toBe(true);
    c.disconnect();
    await expectBUntouched(w);
  });
});
