// The route walk alone, over the kernel state nsplay observed for every catalogue topology
// (test/fixtures/probe/states, made by capture-states.ts): it must name the same reason and hop as the
// kernel-confirmed probe, and walk every fixed topology there and back.
import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { NetView } from '../../server/probe/netview.ts';
import { resolveFlow } from '../../server/probe/probe.ts';
import { parseIpBatch } from '../../server/probe/snapshot.ts';
import { parseSource, parseTarget, type Endpoint } from '../../server/probe/target.ts';
import { walkFlow } from '../../server/probe/walk.ts';
import { loadCases, type ProbeCase } from '../fixtures/probe/harness.ts';

const STATES = path.join(__dirname, '../fixtures/probe/states');

function viewOf(name: string, which: 'broken' | 'fixed'): NetView {
  const s = JSON.parse(fs.readFileSync(path.join(STATES, `${name}.${which}.json`), 'utf8'));
  return new NetView(s.observed, s.bridges);
}

const ep = (r: ReturnType<typeof parseTarget>): Endpoint => { if (!r.ok) throw new Error(r.error); return r.value; };

function walk(c: ProbeCase, which: 'broken' | 'fixed') {
  const view = viewOf(c.case, which);
  const f = resolveFlow(view, ep(parseSource(c.probe.from)), ep(parseTarget(c.probe.to)));
  return walkFlow(view, { from: f.from, src: f.src, dst: f.dst, proto: f.proto, dport: f.port });
}

describe.each(loadCases())('$case', (c) => {
  it(`broken: ${c.expect.reason} at ${c.expect.hop.node} ${c.expect.hop.interface ?? ''}`, () => {
    const w = walk(c, 'broken');
    expect({ ok: w.ok, reason: w.reason, hop: { ...w.hop, ...(w.hop?.interface === undefined ? { interface: undefined } : {}) } })
      .toEqual({ ok: false, reason: c.expect.reason, hop: { interface: undefined, ...c.expect.hop } });
    expect(w.detail).toBeTruthy();
    if (c.expect.drop) {
      const { rule, ...exact } = c.expect.drop;
      expect(w.drop).toMatchObject(exact);
      if (rule) expect(w.drop?.rule).toContain(rule);
    }
    expect(w.path.length).toBeGreaterThan(0);
  });

  it('fixed: there and back', () => {
    const w = walk(c, 'fixed');
    expect(w.reason, w.detail).toBeUndefined();
    expect(w.ok).toBe(true);
    expect(w.path[0]).toMatchObject({ node: c.probe.from, leg: 'request' });
    expect(w.path.at(-1)).toMatchObject({ node: c.probe.from, leg: 'reply', dir: 'local' });
  });
});

describe('paths', () => {
  const cases = new Map(loadCases().map((c) => [c.case, c]));

  it('lab 3: over the bridge, MASQUERADE out, conntrack undoes it on the way back', () => {
    const w = walk(cases.get('seed-lab3-no-masquerade')!, 'fixed');
    const text = w.path.map((h) => `${h.leg[0]} ${h.node}:${h.interface} ${h.dir}${h.bridge ? ` [${h.bridge}]` : ''}${h.nat ? ` (${h.nat})` : ''}`);
    expect(text).toEqual([
      'r netns1:veth1 out',
      'r host:veth0 in [br0]',
      'r host:br0 in [br0]',
      'r host:enp0s3 out (MASQUERADE 10.0.0.101 → 10.0.2.15)',
      'r internet:eth0 local',
      'r internet:eth0 out',
      'r host:enp0s3 in (conntrack 1.1.1.1 → 10.0.2.15 becomes 1.1.1.1 → 10.0.0.101)',
      'r host:br0 out [br0]',
      'r host:veth0 out [br0]',
      'r netns1:veth1 local',
    ]);
  });

  it('lab 4: the host\'s own curl is DNATed in nat OUTPUT to netns1:8080', () => {
    const w = walk(cases.get('seed-lab4-output-dnat')!, 'fixed');
    expect(w.path.find((h) => h.nat?.startsWith('DNAT'))).toMatchObject({ node: 'host', nat: 'DNAT 192.168.56.12:80 → 10.0.0.101:8080' });
    expect(w.delivered).toEqual({ node: 'netns1', interface: 'veth1' });
  });

  it('a bridge frame passes the host FORWARD chain (br_netfilter) and its policy', () => {
    const w = walk(cases.get('bridge-forward-policy')!, 'broken');
    expect(w.detail).toMatch(/while bridging through br0/);
    expect(w.drop).toMatchObject({ node: 'host', chain: 'FORWARD', policy: 'DROP' });
  });

  it('suggests a return route or MASQUERADE when the far side cannot answer', () => {
    expect(walk(cases.get('seed-lab3-no-masquerade')!, 'broken').detail)
      .toMatch(/either internet gets a route back to 10\.0\.0\.101 via 10\.0\.2\.15, or host MASQUERADEs what leaves by enp0s3/);
  });

  it('resolves a node to its address on a subnet the source shares', () => {
    const view = viewOf('forward-drop-rule', 'fixed');
    expect(view.primaryAddress('host', 'netns2')).toBe('10.0.1.201');
    expect(view.primaryAddress('host', 'netns1')).toBe('10.0.0.201');
    expect(view.primaryAddress('netns2', 'netns1')).toBe('10.0.1.101');
    expect(() => resolveFlow(view, { kind: 'node', node: 'nosuch' }, { kind: 'address', address: '1.1.1.1' })).toThrow(/no node 'nosuch'/);
  });

  it('pairs veth ends across namespaces, the host included', () => {
    const view = viewOf('forward-drop-rule', 'fixed');
    expect(view.peerOf('netns1', 'veth1')).toEqual({ node: 'host', ifname: 'veth0' });
    expect(view.peerOf('host', 'veth2')).toEqual({ node: 'netns2', ifname: 'veth3' });
    expect(view.peerOf('host', 'enp0s3')).toEqual({ node: 'internet', ifname: 'eth0' });
  });
});

describe('parseIpBatch', () => {
  it('reads the five arrays of one `ip -j -d -b -` run in the lab 3 host', () => {
    const s = parseIpBatch(fs.readFileSync(path.join(__dirname, '../fixtures/probe/ip-batch-host.txt'), 'utf8'));
    expect(s.links.map((l) => `${l.ifname}:${l.kind}${l.master ? `@${l.master}` : ''}`)).toEqual(
      ['lo:loopback', 'enp0s3:veth', 'enp0s8:veth', 'br0:bridge', 'veth0:veth@br0', 'veth2:veth@br0']);
    expect(s.routes.find((r) => r.dst === 'default')).toMatchObject({ gateway: '10.0.2.2', dev: 'enp0s3', table: 'main' });
    expect(s.routes.some((r) => r.table === 'local' && r.type === 'local' && r.dst === '10.0.0.1')).toBe(true);
    expect(s.rules.map((r) => r.table)).toEqual(['local', 'main', 'default']);
    expect(Object.values(s.netnsIds).sort()).toEqual(['external', 'internet', 'netns1', 'netns2']);
  });
});
