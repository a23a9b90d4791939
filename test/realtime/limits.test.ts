// Per-session limits over the socket API (nodes, links, terminals, captures, probes per minute) and
// the idle grace: every refusal names its limit and variable, and the engine never sees what was refused.
import { afterEach, describe, expect, it } from 'vitest';
import { createFakeEngine } from './fake-engine.ts';
import { createFakeCaptures, createFakeProbes, spyEngine } from './fakes.ts';
import { request, startServer, waitFor, type Client, type Harness } from './harness.ts';
import type { AppDeps } from '../../server/realtime/app.ts';
import type { OpenedSession } from '../../server/realtime/contract.ts';

let h: Harness | undefined;
afterEach(async () => { await h?.close(); h = undefined; });

async function start(deps: Partial<AppDeps> = {}) {
  const engine = createFakeEngine();
  const spy = spyEngine(engine);
  h = await startServer({ engine, graceMs: 30_000, pollMs: 100, ...deps });
  return { engine, spy, h };
}

async function open(c: Client, p: Record<string, unknown> = {}): Promise<OpenedSession> {
  const ack = await request<OpenedSession>(c, 'session:open', p);
  if (!ack.ok) throw new Error(ack.error);
  return ack.data;
}

const topo = (nodes: number, links = 0) => ({
  version: 1,
  nodes: Array.from({ length: nodes }, (_, i) => ({ name: `ns${i + 1}`, kind: 'netns' })),
  links: Array.from({ length: links }, (_, i) => ({ a: { node: 'ns1', ifname: `a${i}` }, b: { node: 'ns2', ifname: `b${i}` } })),
});

const errorOf = (ack: { ok: boolean; error?: string }) => (ack.ok ? '(ok)' : ack.error!);

describe('topology size per session', () => {
  it.each(['topology:preview', 'topology:apply'])('%s: nodes and links past the limit are refused before the engine runs', async (event) => {
    const { spy, h } = await start({ limits: { maxNodes: 3, maxLinks: 1 } });
    const c = await h.client();
    await open(c);
    const tooMany = await request(c, event, { topology: topo(4) });
    expect(errorOf(tooMany)).toBe('this topology has 4 nodes; a session may have at most 3 (limit NSPLAY_MAX_NODES=3; to change it, start the server with NSPLAY_MAX_NODES=N)');
    const links = await request(c, event, { topology: topo(2, 2) });
    expect(errorOf(links)).toMatch(/2 links; a session may have at most 1 \(limit NSPLAY_MAX_LINKS=1;/);
    expect(spy.calls.filter((x) => x.method === 'apply' || x.method === 'preview')).toEqual([]);
    expect((await request(c, event, { topology: topo(3, 1) })).ok).toBe(true);
  });

  it('the default is 60 nodes', async () => {
    const { h } = await start();
    const c = await h.client();
    await open(c);
    expect(errorOf(await request(c, 'topology:preview', { topology: topo(61) }))).toMatch(/61 nodes.*NSPLAY_MAX_NODES=60/);
    expect((await request(c, 'topology:preview', { topology: topo(60) })).ok).toBe(true);
  });
});

describe('terminals per session', () => {
  it('counts every page of the session; closing one makes room', async () => {
    const { h } = await start({ limits: { maxTerminals: 2 } });
    const c1 = await h.client();
    const s = await open(c1);
    const c2 = await h.client();
    expect((await open(c2, { token: s.token })).reattached).toBe(true);
    const t1 = await request<{ id: number }>(c1, 'term:open', { node: 'host', cols: 80, rows: 24 });
    expect(t1.ok).toBe(true);
    expect((await request(c2, 'term:open', { node: 'host', cols: 80, rows: 24 })).ok).toBe(true);
    const third = await request(c1, 'term:open', { node: 'host', cols: 80, rows: 24 });
    expect(errorOf(third)).toMatch(/^2 terminals are open in this session, the most it may have; close one first \(limit NSPLAY_MAX_TERMINALS=2;/);
    expect(h.app.ptyPids()).toHaveLength(2);
    // Another session has its own count.
    const other = await h.client();
    await open(other);
    expect((await request(other, 'term:open', { node: 'host', cols: 80, rows: 24 })).ok).toBe(true);
    expect((await request(c1, 'term:close', { id: (t1 as { data: { id: number } }).data.id })).ok).toBe(true);
    expect((await request(c1, 'term:open', { node: 'host', cols: 80, rows: 24 })).ok).toBe(true);
  });
});

describe('captures per session', () => {
  it('concurrent starts cannot pass the limit; stopping one makes room', async () => {
    const captures = createFakeCaptures({ startMs: 50 });
    const { h } = await start({ captures, limits: { maxCaptures: 2 } });
    const c = await h.client();
    await open(c);
    const acks = await Promise.all([1, 2, 3].map(() => request<{ captureId: string }>(c, 'capture:start', { node: 'host', iface: 'any' })));
    const ok = acks.filter((a) => a.ok) as { ok: true; data: { captureId: string } }[];
    expect(ok).toHaveLength(2);
    expect(errorOf(acks.find((a) => !a.ok)!)).toMatch(/captures are running in this session, the most it may have; stop one first \(limit NSPLAY_MAX_CAPTURES=2;/);
    expect(captures.calls.filter((x) => x.method === 'start')).toHaveLength(2);
    expect((await request(c, 'capture:stop', { captureId: ok[0].data.captureId })).ok).toBe(true);
    expect((await request(c, 'capture:start', { node: 'host', iface: 'any' })).ok).toBe(true);
  });
});

describe('probes per minute per session', () => {
  it('a probe costs 1, a matrix its node count; each session has its own budget', async () => {
    const probes = createFakeProbes({ allNodes: ['a', 'b', 'c'] });
    const { h } = await start({ probes, limits: { probesPerMinute: 4 } });
    const c = await h.client();
    const s = await open(c);
    for (let i = 0; i < 3; i++) expect((await request(c, 'probe:run', { from: 'host', to: '10.0.0.1' })).ok).toBe(true);
    const matrix = await request(c, 'probe:matrix', { nodes: ['a', 'b'] });
    expect(errorOf(matrix)).toMatch(/at most 4 probes per minute \(a matrix costs one per node\); 3 used, try again in \d+ s \(limit NSPLAY_PROBES_PER_MINUTE=4;/);
    expect((await request(c, 'probe:matrix', { nodes: ['a'] })).ok).toBe(true);
    expect(errorOf(await request(c, 'probe:run', { from: 'host', to: '10.0.0.1' }))).toMatch(/NSPLAY_PROBES_PER_MINUTE=4/);
    expect(probes.calls.filter((x) => x.sessionId === s.state.info.id)).toHaveLength(4);

    // A matrix over every node: one up front, the rest once its size is known.
    const d = await h.client();
    await open(d);
    expect((await request(d, 'probe:matrix', {})).ok).toBe(true); // 3 nodes
    expect((await request(d, 'probe:run', { from: 'host', to: '10.0.0.1' })).ok).toBe(true);
    expect((await request(d, 'probe:run', { from: 'host', to: '10.0.0.1' })).ok).toBe(false);
    expect(errorOf(await request(d, 'probe:matrix', { nodes: ['a', 'b', 'c', 'd', 'e'] }))).toMatch(/asks for 5 probes at once/);
  });
});

describe('idle sessions', () => {
  it('a page back within the grace gets its session; after it the session is gone and a new one is made', async () => {
    const { engine, h } = await start({ graceMs: 400 });
    const c1 = await h.client();
    const s = await open(c1, { lab: '01-netns' });
    const id = s.state.info.id;
    c1.disconnect();
    await new Promise((r) => setTimeout(r, 100));
    const c2 = await h.client();
    const back = await open(c2, { token: s.token });
    expect(back).toMatchObject({ reattached: true, token: s.token });
    expect(back.state.info.id).toBe(id);
    c2.disconnect();
    await waitFor(() => engine.destroyed.includes(id), 3000);
    expect(h.app.sessions()).toHaveLength(0);
    const c3 = await h.client();
    const fresh = await open(c3, { token: s.token });
    expect(fresh.reattached).toBe(false);
    expect(fresh.state.info.id).not.toBe(id);
  });

  it('a session destroyed elsewhere while its page was away is replaced (same lab), not an error', async () => {
    const { engine, h } = await start({ graceMs: 5000 });
    const c1 = await h.client();
    const s = await open(c1, { lab: '01-netns' });
    c1.disconnect();
    await waitFor(() => h.app.sessions()[0]?.sockets.size === 0);
    await engine.destroy(s.state.info.id); // e.g. `nsplay session destroy`
    const c2 = await h.client();
    const again = await open(c2, { token: s.token });
    expect(again.reattached).toBe(false);
    expect(again.state.info.id).not.toBe(s.state.info.id);
    expect(again.state.info.lab).toBe('01-netns');
    expect(h.app.sessions().map((b) => b.id)).toEqual([again.state.info.id]);
  });
});
