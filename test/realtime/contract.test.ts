// Every handler parses its payload first: malformed events get an error ack and change nothing.
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createFakeEngine, type FakeEngine } from './fake-engine.ts';
import { request, startServer, waitFor, type Harness } from './harness.ts';
import type { OpenedSession } from '../../server/realtime/contract.ts';
import type { SessionStatus } from '../../server/session/types.ts';

let engine: FakeEngine;
let h: Harness;

beforeEach(async () => {
  engine = createFakeEngine();
  h = await startServer({ engine, graceMs: 200, pollMs: 100 });
});
afterEach(async () => { await h.close(); });

const MALFORMED: [string, unknown][] = [
  ['session:open', { lab: '../etc' }],
  ['session:open', { token: 'not-a-token' }],
  ['session:open', { lab: 3 }],
  ['session:open', { surprise: true }],
  ['session:open', 'a string'],
  ['topology:apply', {}],
  ['topology:apply', { topology: 'rm -rf /' }],
  ['topology:preview', { topology: [] }],
  ['term:open', { node: 'host', cols: 0, rows: 24 }],
  ['term:open', { node: 'host', cols: 80, rows: 501 }],
  ['term:open', { node: 'host', cols: 80.5, rows: 24 }],
  ['term:open', { node: '../../x', cols: 80, rows: 24 }],
  ['term:open', { node: 'host; rm -rf /', cols: 80, rows: 24 }],
  ['term:resize', { id: 1, cols: -1, rows: 24 }],
  ['term:resize', { id: 'one', cols: 80, rows: 24 }],
  ['term:close', { id: null }],
  ['file:load', { path: 5 }],
  ['labs:list', { extra: 1 }],
  ['probe:run', { from: 'netns1' }],
  ['probe:run', { from: '-c', to: '1.1.1.1' }],
  ['probe:run', { from: 'netns1', to: '1.1.1.1 && reboot' }],
  ['probe:run', { from: 'netns1', to: 'x'.repeat(200) }],
  ['probe:matrix', { nodes: ['a', '../b'] }],
  ['probe:matrix', { nodes: 'all' }],
  ['probe:matrix', { detail: 21 }],
  ['probe:matrix', { detail: -1 }],
  ['capture:start', { node: 'host', iface: 'br0', filter: 5 }],
  ['capture:start', { node: 'host', iface: 'a-very-long-interface-name' }],
  ['capture:start', { node: 'host;id', iface: 'br0' }],
  ['capture:stop', { captureId: '../../etc/passwd' }],
  ['capture:list', { all: true }],
];

describe('malformed payloads', () => {
  it.each(MALFORMED)('%s %j → error ack, nothing created', async (event, payload) => {
    const c = await h.client();
    const ack = await request(c, event, payload);
    expect(ack.ok).toBe(false);
    expect((ack as { error: string }).error).toMatch(new RegExp(`^${event}: `));
    expect(engine.sessions.size).toBe(0);
    expect(h.app.ptyPids()).toEqual([]);
  });

  it('an unknown event gets an error ack', async () => {
    const c = await h.client();
    const ack = await request(c, 'session:explode', {});
    expect(ack).toEqual({ ok: false, error: "unknown event 'session:explode'" });
  });

  it('an invalid topology is refused with field errors and nothing is applied', async () => {
    const c = await h.client();
    await request(c, 'session:open', {});
    const bad = { nodes: [{ name: 'netns1', kind: 'netns' }], links: [{ a: { node: 'netns1', ifname: 'veth-to-the-bridge0' }, b: { node: 'host', ifname: 'veth0' } }] };
    const ack = await request(c, 'topology:apply', { topology: bad });
    expect(ack.ok).toBe(false);
    expect((ack as { fields: { path: string; message: string }[] }).fields).toContainEqual({
      path: 'links[0].a.ifname', message: "interface name 'veth-to-the-bridge0' is 19 bytes; Linux allows 15",
    });
    const [s] = [...engine.sessions.values()];
    expect(s.desired.nodes).toEqual([]);
  });

  it('file:load refuses paths outside labs/', async () => {
    const c = await h.client();
    for (const path of ['../package.json', 'labs/../package.json', '/etc/passwd', 'labs/../../etc/x.yaml', 'labs/x.sh']) {
      const ack = await request(c, 'file:load', { path });
      expect(ack.ok, path).toBe(false);
    }
  });

  it('work before session:open is refused', async () => {
    const c = await h.client();
    const ack = await request(c, 'term:open', { node: 'host', cols: 80, rows: 24 });
    expect(ack).toMatchObject({ ok: false, error: expect.stringMatching(/no session/) });
  });
});

describe('sessions', () => {
  it('open gives a token and a snapshot; apply streams plan:step', async () => {
    const c = await h.client();
    const states: SessionStatus[] = [];
    c.on('topology:state', (s) => states.push(s));
    const ack = await request<OpenedSession>(c, 'session:open', {});
    expect(ack.ok).toBe(true);
    const opened = (ack as { data: OpenedSession }).data;
    expect(opened.token).toMatch(/^[a-f0-9]{32}$/);
    await waitFor(() => states.length > 0);
    const steps: string[] = [];
    c.on('plan:step', (e) => steps.push(`${e.index}:${e.status}`));
    const applied = await request(c, 'topology:apply', { topology: { nodes: [{ name: 'netns1', kind: 'netns' }] } });
    expect(applied.ok).toBe(true);
    expect(steps).toEqual(['0:running', '0:ok', '1:running', '1:ok']);
  });

  it('a reload reattaches with its token within the grace period and gets a snapshot first', async () => {
    const a = await h.client();
    const opened = (await request<OpenedSession>(a, 'session:open', {}) as { data: OpenedSession }).data;
    a.disconnect();
    const b = await h.client();
    let first: SessionStatus | undefined;
    b.on('topology:state', (s) => { first ??= s; });
    const again = (await request<OpenedSession>(b, 'session:open', { token: opened.token }) as { data: OpenedSession }).data;
    expect(again.reattached).toBe(true);
    expect(again.state.info.id).toBe(opened.state.info.id);
    await waitFor(() => first);
    expect(first!.info.id).toBe(opened.state.info.id);
    expect(engine.destroyed).toEqual([]);
  });

  it('the session is destroyed a grace period after its last page left', async () => {
    const c = await h.client();
    const opened = (await request<OpenedSession>(c, 'session:open', {}) as { data: OpenedSession }).data;
    c.disconnect();
    await waitFor(() => engine.destroyed.includes(opened.state.info.id), 3000);
  });

  it('a change in the kernel is pushed within the poll interval', async () => {
    const c = await h.client();
    const opened = (await request<OpenedSession>(c, 'session:open', {}) as { data: OpenedSession }).data;
    let seen = false;
    c.on('topology:state', (s) => { if (s.observed.namespaces.foo) seen = true; });
    engine.addObservedNamespace(opened.state.info.id, 'foo');
    await waitFor(() => seen, 2000);
  });

  it('a socket acts only on its own session', async () => {
    const a = await h.client();
    const b = await h.client();
    const oa = (await request<OpenedSession>(a, 'session:open', {}) as { data: OpenedSession }).data;
    const ob = (await request<OpenedSession>(b, 'session:open', {}) as { data: OpenedSession }).data;
    expect(oa.state.info.id).not.toBe(ob.state.info.id);
    await request(b, 'session:destroy', {});
    expect(engine.sessions.has(oa.state.info.id)).toBe(true);
    expect(engine.sessions.has(ob.state.info.id)).toBe(false);
  });
});

describe('access token (listening beyond loopback)', () => {
  it('refuses sockets without the token or from another origin', async () => {
    const guarded = await startServer({ engine: createFakeEngine(), accessToken: 'a'.repeat(32) });
    try {
      await expect(guarded.client()).rejects.toThrow(/access token/);
      await expect(guarded.client({ token: 'b'.repeat(32) })).rejects.toThrow(/access token/);
      const ok = await guarded.client({ token: 'a'.repeat(32) });
      expect(ok.connected).toBe(true);
      const { io: connect } = await import('socket.io-client');
      const foreign = connect(guarded.url, { transports: ['websocket'], forceNew: true, reconnection: false, auth: { token: 'a'.repeat(32) }, extraHeaders: { Origin: 'http://evil.example' } });
      await expect(new Promise<void>((ok2, fail) => { foreign.once('connect', () => ok2()); foreign.once('connect_error', fail); })).rejects.toThrow(/origin/);
      foreign.disconnect();
    } finally {
      await guarded.close();
    }
  });
});
