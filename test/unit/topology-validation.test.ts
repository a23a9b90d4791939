// Validation table: every bad document is rejected before any command exists, with the field path
// of the culprit and a sentence a learner can act on. And a table of good ones that must pass.
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { loadTopology, validateTopology, type FieldError } from '../../server/topology/load.ts';

import { INVALID, RULE, TWO_MB, base, withBase, withBridge, withIptables, withNetns1, type BadCase, type Doc } from '../fixtures/invalid-topologies.ts';

/** A message a person can read: a sentence, not a code or a dump. */
function expectSentence(e: FieldError) {
  expect(e.message.length, e.message).toBeGreaterThanOrEqual(10);
  expect(e.message.length, 'a message stays short even for a 2 MB input').toBeLessThan(400);
  expect(e.message).toMatch(/ /);
  expect(e.message).not.toMatch(/\[object |undefined|NaN|^Invalid input$/);
  expect(e.message).not.toMatch(/[\u0000\n]/);
}

function run(c: BadCase) {
  return c.yaml !== undefined ? loadTopology(c.yaml) : validateTopology(c.doc);
}

describe('invalid topologies are rejected with the field path and a sentence', () => {
  it('has at least 45 cases', () => expect(INVALID.length).toBeGreaterThanOrEqual(45));

  it.each(INVALID)('$name → $path', (c) => {
    const r = run(c);
    expect(r.ok).toBe(false);
    if (r.ok) return;
    const paths = r.errors.map((e) => e.path);
    expect(paths, JSON.stringify(r.errors)).toContain(c.path);
    for (const e of r.errors) expectSentence(e);
    if (c.says) {
      const at = r.errors.filter((e) => e.path === c.path).map((e) => e.message).join(' | ');
      expect(at).toMatch(c.says);
    }
  });

  it('rejects 10,000 nodes fast, at the list, without reporting each node', () => {
    const doc = { nodes: Array.from({ length: 10_000 }, (_, i) => ({ name: `ns${i}`, kind: 'netns' })) };
    const t0 = performance.now();
    const r = validateTopology(doc);
    const ms = performance.now() - t0;
    expect(r.ok).toBe(false);
    if (r.ok) return;
    expect(r.errors.map((e) => e.path)).toContain('nodes');
    expect(r.errors.length).toBeLessThan(10);
    expect(ms).toBeLessThan(500);
  });

  it('rejects 10,000 links fast', () => {
    const links = Array.from({ length: 10_000 }, (_, i) => ({ a: { node: 'host', ifname: `a${i}` }, b: { node: 'netns1', ifname: `b${i}` } }));
    const t0 = performance.now();
    const r = validateTopology({ nodes: [{ name: 'netns1', kind: 'netns' }], links });
    expect(performance.now() - t0).toBeLessThan(500);
    expect(r.ok).toBe(false);
    if (!r.ok) expect(r.errors.map((e) => e.path)).toContain('links');
  });

  it('a document over 4 MB is refused before parsing', () => {
    const r = loadTopology(`name: ${'x'.repeat(5 * 1024 * 1024)}\n`);
    expect(r.ok).toBe(false);
    if (!r.ok) expect(r.errors[0]).toMatchObject({ path: '(document)' });
  });

  it('reports every problem of a document, not only the first', () => {
    const r = validateTopology(withBase((d) => { d.links[0].a.ifname = 'a/b'; d.links[0].b.addresses = ['10.1/24']; d.nodes[1].kind = 'vm'; }));
    expect(r.ok).toBe(false);
    if (!r.ok) expect(r.errors.map((e) => e.path).sort()).toEqual(['links[0].a.ifname', 'links[0].b.addresses[0]', 'nodes[1].kind']);
  });

  it('a __proto__ key in a map (sysctls, layout) is dropped, never set as a prototype', () => {
    const doc = JSON.parse('{"nodes":[{"name":"netns1","kind":"netns","sysctls":{"__proto__":{"polluted":1}}}],"layout":{"__proto__":{"x":1,"y":2}}}');
    const r = validateTopology(doc);
    expect(r.ok).toBe(true);
    if (!r.ok) return;
    expect(Object.keys(r.value.nodes[0].sysctls ?? {})).toEqual([]);
    expect(Object.keys(r.value.layout ?? {})).toEqual([]);
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
    expect((r.value.layout as Record<string, unknown>).x).toBeUndefined();
  });
});

// ---------------------------------------------------------------------------------------------

const LABS = ['01-rootns-netns', '02-rootns-netns-netns', '03-bridge', '04-expose-service'];
const labText = (lab: string) => readFileSync(new URL(`../../labs/${lab}/final.yaml`, import.meta.url), 'utf8');

interface GoodCase { name: string; doc?: unknown; yaml?: string }

const VALID: GoodCase[] = [
  ...LABS.map((lab) => ({ name: `lab ${lab} end state`, yaml: labText(lab) })),
  { name: 'an empty document', doc: {} },
  { name: 'an empty YAML file', yaml: '' },
  { name: 'lab 1 as JSON text', yaml: JSON.stringify(base()) },
  { name: 'lab 1 with the host left implicit', doc: withBase((d) => { d.nodes.shift(); }) },
  { name: 'interface names at the edges: 15 bytes, dots, underscores, a leading dot', doc: withBase((d) => { d.links[0].a.ifname = 'abcdefghijklmno'; d.links[0].b.ifname = '.v_1-x.'; }) },
  {
    name: 'a bridge inside a namespace, with a port by node and a port by master',
    doc: {
      nodes: [
        { name: 'router', kind: 'netns', sysctls: { 'net.ipv4.ip_forward': 1, 'net.ipv4.conf.all.proxy_arp': '1' } },
        { name: 'br1', kind: 'bridge', in: 'router', addresses: ['192.168.1.1/24'] },
        { name: 'a', kind: 'netns', routes: [{ dst: 'default', via: '192.168.1.1' }] },
        { name: 'b', kind: 'netns', routes: [{ dst: '0.0.0.0/0', via: '192.168.1.1', dev: 'eth0', metric: 10 }] },
      ],
      links: [
        { a: { node: 'br1', ifname: 'p-a' }, b: { node: 'a', ifname: 'eth0', addresses: ['192.168.1.10/24'], mac: '02:00:00:00:00:0a', mtu: 1400 } },
        { a: { node: 'router', ifname: 'p-b', master: 'br1' }, b: { node: 'b', ifname: 'eth0', addresses: ['192.168.1.11/24'] } },
      ],
    },
  },
  {
    name: 'a veth with both ends in the host namespace (host to its own bridge)',
    doc: {
      nodes: [{ name: 'br9', kind: 'bridge' }],
      links: [{ a: { node: 'host', ifname: 'v-a', addresses: ['10.9.0.1/30'] }, b: { node: 'br9', ifname: 'v-b', up: false } }],
    },
  },
  {
    name: 'a load balancer: statistic DNAT over three backends (lab 5)',
    doc: withIptables({
      chains: [{ table: 'nat', name: 'NSPLAY-LB' }],
      rules: [
        { table: 'nat', chain: 'PREROUTING', destination: '10.96.0.10', protocol: 'tcp', dport: 80, jump: 'NSPLAY-LB' },
        { table: 'nat', chain: 'NSPLAY-LB', statistic: { mode: 'random', probability: 0.33333 }, protocol: 'tcp', jump: 'DNAT', toDestination: '10.0.0.101:8080' },
        { table: 'nat', chain: 'NSPLAY-LB', statistic: { mode: 'nth', every: 2, packet: 0 }, protocol: 'tcp', jump: 'DNAT', toDestination: '10.0.0.102:8080' },
        { table: 'nat', chain: 'NSPLAY-LB', jump: 'DNAT', toDestination: '10.0.0.103' },
        { table: 'nat', chain: 'POSTROUTING', source: '! 10.0.0.0/24', destination: '10.0.0.0/24', jump: 'SNAT', toSource: '10.0.0.201' },
        { table: 'filter', chain: 'FORWARD', inIface: 'veth0', protocol: 'icmp', dstType: 'LOCAL', jump: 'LOG' },
        { table: 'raw', chain: 'PREROUTING', protocol: 'udp', sport: 53, jump: 'ACCEPT' },
      ],
      policies: [{ chain: 'FORWARD', policy: 'DROP' }, { table: 'nat', chain: 'OUTPUT', policy: 'ACCEPT' }],
    }),
  },
  {
    name: 'policy routing, static neighbours and network sysctls',
    doc: withNetns1({
      addresses: [{ dev: 'lo', address: '10.255.0.1/32' }],
      routes: [{ dst: '10.1.0.0/16', dev: 'veth1', scope: 'link', src: '10.0.0.101', table: 100, proto: 'static' }],
      rules: [{ from: '10.0.0.0/24', to: '10.1.0.0/16', table: 100, priority: 1000 }, { from: 'all', table: 'main', priority: 32000 }],
      neighbors: [{ dev: 'veth1', address: '10.0.0.201', lladdr: '06:96:1e:62:50:e7' }],
      sysctls: { 'net.ipv4.ping_group_range': '0 2147483647', 'net.ipv4.conf.veth1.rp_filter': 0 },
    }),
  },
  {
    name: 'a container on a bridge with services (lab 6 style)',
    doc: {
      nodes: [
        { name: 'devops', kind: 'bridge', addresses: ['10.0.0.1/24'] },
        { name: 'web', kind: 'container', image: 'nsplay/busybox:local', services: [{ port: 80, body: 'hello from web' }, { kind: 'http', port: 8080 }] },
        { name: 'internet', kind: 'internet' },
        { name: 'lan', kind: 'external' },
      ],
      links: [{ a: { node: 'devops', ifname: 'veth-web' }, b: { node: 'web', ifname: 'eth0', addresses: ['10.0.0.2/24'] } }],
      layout: { devops: { x: 0, y: 0 }, web: { x: -120.5, y: 240 } },
    },
  },
  { name: 'YAML with comments, anchors and flow maps', yaml: '# two namespaces\nnodes:\n  - &ns {name: a, kind: netns}\n  - {name: b, kind: netns}\nlinks:\n  - a: {node: a, ifname: v0}\n    b: {node: b, ifname: v1}\n' },
];

describe('valid topologies pass', () => {
  it('has at least 10 cases', () => expect(VALID.length).toBeGreaterThanOrEqual(10));

  it.each(VALID)('$name', (c) => {
    const r = c.yaml !== undefined ? loadTopology(c.yaml) : validateTopology(c.doc);
    if (!r.ok) expect.fail(r.errors.map((e) => `${e.path}: ${e.message}`).join('\n'));
  });

  it('fills in defaults: version 1, empty nodes and links, filter table', () => {
    const r = validateTopology({ nodes: [{ name: 'host', kind: 'host', iptables: { rules: [{ chain: 'INPUT', jump: 'ACCEPT' }] } }] });
    expect(r.ok).toBe(true);
    if (!r.ok) return;
    expect(r.value.version).toBe(1);
    expect(r.value.links).toEqual([]);
    expect(r.value.nodes[0].iptables?.rules?.[0].table).toBe('filter');
  });
});
