// Validation table: every bad document is rejected before any command exists, with the field path
// of the culprit and a sentence a learner can act on. And a table of good ones that must pass.
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { loadTopology, validateTopology, type FieldError } from '../../server/topology/load.ts';

type Doc = Record<string, unknown>;

/** Lab 1's end state: one netns on a veth pair with the host. Each case breaks one thing in it. */
function base(): Doc {
  return {
    version: 1,
    nodes: [
      { name: 'host', kind: 'host' },
      { name: 'netns1', kind: 'netns' },
    ],
    links: [
      {
        a: { node: 'host', ifname: 'veth0', addresses: ['10.0.0.201/24'] },
        b: { node: 'netns1', ifname: 'veth1', addresses: ['10.0.0.101/24'] },
      },
    ],
  };
}

type Mutate = (d: any) => void;
const withBase = (mutate: Mutate): Doc => {
  const d = base();
  mutate(d);
  return d;
};
/** A document whose host carries these iptables settings. */
const withIptables = (iptables: object): Doc => withBase((d) => { d.nodes[0].iptables = iptables; });
const withNetns1 = (fields: object): Doc => withBase((d) => { Object.assign(d.nodes[1], fields); });
const setIfname = (name: string): Doc => withBase((d) => { d.links[0].a.ifname = name; });
const setNodeName = (name: string): Doc => withBase((d) => { d.nodes[1].name = name; d.links[0].b.node = name; });
/** A bridge br0 in the host next to lab 1's nodes. */
const withBridge = (mutate: Mutate = () => {}): Doc => withBase((d) => { d.nodes.push({ name: 'br0', kind: 'bridge', in: 'host' }); mutate(d); });

const TWO_MB = 'x'.repeat(2 * 1024 * 1024);
const RULE = 'nodes[0].iptables.rules[0]';

interface BadCase {
  name: string;
  doc?: unknown;
  yaml?: string;
  path: string;
  /** A phrase the sentence must contain, where the exact wording matters to the learner. */
  says?: RegExp;
}

const INVALID: BadCase[] = [
  // Interface names: the kernel's IFNAMSIZ and what `ip` would misread.
  { name: 'ifname of 19 bytes', doc: setIfname('veth-to-the-bridge0'), path: 'links[0].a.ifname', says: /19 bytes; Linux allows 15/ },
  { name: 'ifname of exactly 16 bytes', doc: setIfname('abcdefghijklmnop'), path: 'links[0].a.ifname', says: /16 bytes/ },
  { name: "ifname with '/'", doc: setIfname('veth/0'), path: 'links[0].a.ifname', says: /'\/'/ },
  { name: 'ifname with a space', doc: setIfname('veth 0'), path: 'links[0].a.ifname', says: /whitespace/ },
  { name: 'ifname with a tab', doc: setIfname('veth\t0'), path: 'links[0].a.ifname', says: /whitespace/ },
  { name: "ifname with '%' (a printf-style template)", doc: setIfname('veth%d'), path: 'links[0].a.ifname', says: /letters, digits/ },
  { name: "ifname with ':' (an alias label)", doc: setIfname('veth0:1'), path: 'links[0].a.ifname' },
  { name: 'ifname with a newline', doc: setIfname('veth0\nip link del eth0'), path: 'links[0].a.ifname', says: /whitespace/ },
  { name: 'ifname with NUL', doc: setIfname('veth\u00000'), path: 'links[0].a.ifname', says: /\\x00/ },
  { name: 'ifname in UTF-8 over 15 bytes', doc: setIfname('ééééééééé'), path: 'links[0].a.ifname' },
  { name: "ifname with a trailing '+'", doc: setIfname('veth+'), path: 'links[0].a.ifname' },
  { name: "ifname with '#'", doc: setIfname('veth#0'), path: 'links[0].a.ifname' },
  { name: "ifname starting with '-'", doc: setIfname('-veth0'), path: 'links[0].a.ifname', says: /option/ },
  { name: "ifname '.'", doc: setIfname('.'), path: 'links[0].a.ifname', says: /reserved/ },
  { name: "ifname '..'", doc: setIfname('..'), path: 'links[0].a.ifname', says: /reserved/ },
  { name: "ifname 'all'", doc: setIfname('all'), path: 'links[0].a.ifname', says: /reserved/ },
  { name: "ifname 'default'", doc: setIfname('default'), path: 'links[0].a.ifname', says: /reserved/ },
  { name: "ifname 'help'", doc: setIfname('help'), path: 'links[0].a.ifname', says: /reserved/ },
  { name: "ifname 'dev' (an ip keyword)", doc: setIfname('dev'), path: 'links[0].a.ifname', says: /keyword/ },
  { name: 'empty ifname', doc: setIfname(''), path: 'links[0].a.ifname', says: /empty/ },
  { name: "ifname 'lo' (every namespace has one)", doc: setIfname('lo'), path: 'links[0].a.ifname', says: /loopback/ },
  { name: 'ifname of 2 MB', doc: setIfname(TWO_MB), path: 'links[0].a.ifname', says: /longer than 256/ },
  { name: 'ifname that is a number', doc: setIfname(7 as unknown as string), path: 'links[0].a.ifname' },

  // Node (namespace) names: file names under /run/netns.
  { name: "node name with '/'", doc: setNodeName('net/ns1'), path: 'nodes[1].name', says: /path/ },
  { name: "node name '../x'", doc: setNodeName('../x'), path: 'nodes[1].name' },
  { name: "node name with '#'", doc: setNodeName('ns#1'), path: 'nodes[1].name' },
  { name: "node name starting with '.'", doc: setNodeName('.hidden'), path: 'nodes[1].name', says: /hidden/ },
  { name: "node name starting with '-'", doc: setNodeName('-n'), path: 'nodes[1].name' },
  { name: 'node name of 65 characters', doc: setNodeName('n'.repeat(65)), path: 'nodes[1].name', says: /at most 64/ },
  { name: 'node name of 2 MB', doc: setNodeName(TWO_MB), path: 'nodes[1].name' },
  { name: 'duplicate node names', doc: withBase((d) => d.nodes.push({ name: 'netns1', kind: 'netns' })), path: 'nodes[2].name', says: /used twice/ },
  { name: "a netns named 'host'", doc: withBase((d) => d.nodes.push({ name: 'host', kind: 'netns' })), path: 'nodes[2].kind' },
  { name: "the host node not named 'host'", doc: withBase((d) => { d.nodes[0].name = 'myhost'; }), path: 'nodes[0].name' },
  { name: 'unknown node kind', doc: withNetns1({ kind: 'vm' }), path: 'nodes[1].kind' },

  // Addresses: strict dotted quads; ip would read 010 as octal.
  { name: 'address with a leading zero', doc: withBase((d) => { d.links[0].a.addresses = ['010.0.0.1/24']; }), path: 'links[0].a.addresses[0]', says: /leading zero/ },
  { name: 'address with two octets', doc: withBase((d) => { d.links[0].a.addresses = ['10.1/24']; }), path: 'links[0].a.addresses[0]', says: /four numbers/ },
  { name: 'address with octet 256', doc: withBase((d) => { d.links[0].a.addresses = ['256.0.0.1/24']; }), path: 'links[0].a.addresses[0]', says: /0 to 255/ },
  { name: 'IPv4-mapped IPv6 gateway', doc: withNetns1({ routes: [{ dst: 'default', via: '::ffff:10.0.0.1' }] }), path: 'nodes[1].routes[0].via' },
  { name: 'prefix /33', doc: withBase((d) => { d.links[0].b.addresses = ['10.0.0.101/33']; }), path: 'links[0].b.addresses[0]', says: /at most \/32/ },
  { name: 'address without the prefix an interface needs', doc: withBase((d) => { d.links[0].b.addresses = ['10.0.0.101']; }), path: 'links[0].b.addresses[0]', says: /prefix length/ },
  { name: 'node address without a dev', doc: withNetns1({ addresses: ['10.0.0.9/24'] }), path: 'nodes[1].addresses[0]', says: /which interface/ },
  { name: 'double negation in an iptables match', doc: withIptables({ rules: [{ chain: 'INPUT', source: '!!10.0.0.1', jump: 'DROP' }] }), path: `${RULE}.source` },
  { name: 'uppercase MAC address', doc: withBase((d) => { d.links[0].a.mac = 'AA:BB:CC:DD:EE:FF'; }), path: 'links[0].a.mac' },
  { name: 'MTU below IPv4 minimum', doc: withBase((d) => { d.links[0].a.mtu = 67; }), path: 'links[0].a.mtu' },

  // Links and bridges.
  { name: 'the same interface twice in one namespace', doc: withBase((d) => d.links.push({ a: { node: 'host', ifname: 'veth0' }, b: { node: 'netns1', ifname: 'veth9' } })), path: 'links[1].a.ifname', says: /already exists in 'host'/ },
  { name: 'a veth named like a bridge in the same namespace', doc: withBridge((d) => { d.links[0].a.ifname = 'br0'; }), path: 'links[0].a.ifname' },
  { name: 'link to a missing node', doc: withBase((d) => { d.links[0].b.node = 'netns9'; }), path: 'links[0].b.node', says: /does not exist/ },
  { name: 'self-loop link', doc: withBase((d) => { d.links[0].a.node = 'netns1'; }), path: 'links[0].b.node', says: /two different nodes/ },
  {
    name: 'veth end with master naming a bridge in another namespace',
    doc: withBridge((d) => { d.links[0].b.master = 'br0'; }),
    path: 'links[0].b.master',
    says: /lives in 'host'.*namespace/,
  },
  { name: 'master naming a node that is no bridge', doc: withBase((d) => { d.links[0].a.master = 'netns1'; }), path: 'links[0].a.master', says: /not a bridge/ },
  { name: 'bridge in a missing node', doc: withBridge((d) => { d.nodes[2].in = 'netns9'; }), path: 'nodes[2].in' },
  { name: "'in' on a node that is no bridge", doc: withNetns1({ in: 'host' }), path: 'nodes[1].in' },
  { name: 'bridge name over 15 bytes', doc: withBase((d) => d.nodes.push({ name: 'bridge-for-the-lab', kind: 'bridge' })), path: 'nodes[2].name', says: /Linux allows 15/ },
  { name: "bridge named 'up' (an ip keyword)", doc: withBase((d) => d.nodes.push({ name: 'up', kind: 'bridge' })), path: 'nodes[2].name', says: /keyword/ },
  { name: 'routes on a bridge', doc: withBridge((d) => { d.nodes[2].routes = [{ dst: 'default', dev: 'br0' }]; }), path: 'nodes[2].routes' },
  { name: 'image on a netns', doc: withNetns1({ image: 'nginx:alpine' }), path: 'nodes[1].image' },

  // Ports.
  { name: 'service on port 0', doc: withNetns1({ services: [{ port: 0 }] }), path: 'nodes[1].services[0].port', says: /1 to 65535/ },
  { name: 'service on port 65536', doc: withNetns1({ services: [{ port: 65536 }] }), path: 'nodes[1].services[0].port', says: /1 to 65535/ },
  { name: 'service on a fractional port', doc: withNetns1({ services: [{ port: 80.5 }] }), path: 'nodes[1].services[0].port' },
  { name: 'the same port served twice', doc: withNetns1({ services: [{ port: 80 }, { port: 80 }] }), path: 'nodes[1].services[1].port' },
  { name: 'iptables --dport 0', doc: withIptables({ rules: [{ chain: 'INPUT', protocol: 'tcp', dport: 0, jump: 'ACCEPT' }] }), path: `${RULE}.dport` },
  { name: 'iptables --sport 65536', doc: withIptables({ rules: [{ chain: 'INPUT', protocol: 'udp', sport: 65536, jump: 'ACCEPT' }] }), path: `${RULE}.sport` },
  {
    name: 'DNAT to port 65536',
    doc: withIptables({ rules: [{ table: 'nat', chain: 'PREROUTING', jump: 'DNAT', toDestination: '10.0.0.101:65536' }] }),
    path: `${RULE}.toDestination`,
  },
  { name: 'a port match without tcp or udp', doc: withIptables({ rules: [{ chain: 'INPUT', dport: 80, jump: 'ACCEPT' }] }), path: `${RULE}.protocol` },

  // iptables semantics.
  { name: 'DNAT without toDestination', doc: withIptables({ rules: [{ table: 'nat', chain: 'PREROUTING', jump: 'DNAT' }] }), path: `${RULE}.toDestination`, says: /DNAT needs/ },
  { name: 'DNAT to a port without tcp or udp', doc: withIptables({ rules: [{ table: 'nat', chain: 'PREROUTING', jump: 'DNAT', toDestination: '10.0.0.101:8080' }] }), path: `${RULE}.protocol`, says: /tcp or udp/ },
  { name: 'DNAT in POSTROUTING', doc: withIptables({ rules: [{ table: 'nat', chain: 'POSTROUTING', jump: 'DNAT', toDestination: '10.0.0.101' }] }), path: `${RULE}.chain`, says: /PREROUTING or OUTPUT/ },
  { name: 'an outgoing interface in PREROUTING', doc: withIptables({ rules: [{ table: 'nat', chain: 'PREROUTING', outIface: 'eth0', jump: 'ACCEPT' }] }), path: `${RULE}.outIface` },
  { name: 'an incoming interface in POSTROUTING', doc: withIptables({ rules: [{ table: 'nat', chain: 'POSTROUTING', inIface: 'eth0', jump: 'MASQUERADE' }] }), path: `${RULE}.inIface` },
  { name: 'REJECT in the nat table', doc: withIptables({ rules: [{ table: 'nat', chain: 'PREROUTING', jump: 'REJECT' }] }), path: `${RULE}.jump`, says: /filter table/ },
  { name: 'SNAT without toSource', doc: withIptables({ rules: [{ table: 'nat', chain: 'POSTROUTING', jump: 'SNAT' }] }), path: `${RULE}.toSource` },
  { name: 'MASQUERADE in nat PREROUTING', doc: withIptables({ rules: [{ table: 'nat', chain: 'PREROUTING', jump: 'MASQUERADE' }] }), path: `${RULE}.chain`, says: /POSTROUTING/ },
  { name: 'MASQUERADE in the filter table', doc: withIptables({ rules: [{ table: 'filter', chain: 'FORWARD', jump: 'MASQUERADE' }] }), path: `${RULE}.jump`, says: /nat table/ },
  { name: 'jump to an undeclared chain', doc: withIptables({ rules: [{ chain: 'INPUT', jump: 'MYCHAIN' }] }), path: `${RULE}.jump`, says: /MYCHAIN/ },
  { name: 'rule in an undeclared chain', doc: withIptables({ rules: [{ chain: 'MYCHAIN', jump: 'DROP' }] }), path: `${RULE}.chain` },
  { name: 'jump to a chain declared in another table', doc: withIptables({ chains: [{ table: 'nat', name: 'MINE' }], rules: [{ chain: 'INPUT', jump: 'MINE' }] }), path: `${RULE}.jump` },
  {
    name: 'policy on a user chain',
    doc: withIptables({ chains: [{ name: 'MINE' }], policies: [{ chain: 'MINE', policy: 'DROP' }] }),
    path: 'nodes[0].iptables.policies[0].chain',
    says: /only built-in chains have a policy/,
  },
  { name: 'declaring a built-in chain', doc: withIptables({ chains: [{ table: 'nat', name: 'POSTROUTING' }] }), path: 'nodes[0].iptables.chains[0].name' },
  { name: 'chain name starting with a digit', doc: withIptables({ chains: [{ name: '1CHAIN' }] }), path: 'nodes[0].iptables.chains[0].name' },
  { name: 'unknown table', doc: withIptables({ rules: [{ table: 'security', chain: 'INPUT', jump: 'DROP' }] }), path: `${RULE}.table` },
  {
    name: 'statistic probability of 1.5',
    doc: withIptables({ rules: [{ table: 'nat', chain: 'PREROUTING', statistic: { mode: 'random', probability: 1.5 }, jump: 'ACCEPT' }] }),
    path: `${RULE}.statistic.probability`,
  },

  // Routes and sysctls.
  { name: 'route without via or dev', doc: withNetns1({ routes: [{ dst: 'default' }] }), path: 'nodes[1].routes[0]', says: /via.*dev/ },
  { name: 'route to a word', doc: withNetns1({ routes: [{ dst: 'everything', dev: 'veth1' }] }), path: 'nodes[1].routes[0].dst' },
  { name: 'route in table 0', doc: withNetns1({ routes: [{ dst: 'default', dev: 'veth1', table: 0 }] }), path: 'nodes[1].routes[0].table' },
  { name: 'sysctl outside net.*', doc: withNetns1({ sysctls: { 'kernel.panic': 1 } }), path: 'nodes[1].sysctls["kernel.panic"]', says: /network one/ },
  { name: 'sysctl written as a /proc path', doc: withNetns1({ sysctls: { '/proc/sys/net/ipv4/ip_forward': 1 } }), path: 'nodes[1].sysctls["/proc/sys/net/ipv4/ip_forward"]' },
  { name: 'sysctl key with a newline', doc: withNetns1({ sysctls: { 'net.ipv4.ip_forward\nkernel.panic': 1 } }), path: 'nodes[1].sysctls["net.ipv4.ip_forward\\nkernel.panic"]' },
  { name: "sysctl value 'yes'", doc: withNetns1({ sysctls: { 'net.ipv4.ip_forward': 'yes' } }), path: 'nodes[1].sysctls["net.ipv4.ip_forward"]' },

  // Shape: unknown fields are mistakes (.strict()), prototypes are not a back door.
  { name: 'unknown top-level field', doc: withBase((d) => { d.network = {}; }), path: '(document)', says: /network/ },
  { name: 'unknown node field', doc: withNetns1({ ip: '10.0.0.1' }), path: 'nodes[1]', says: /"ip"/ },
  { name: 'unknown link-end field', doc: withBase((d) => { d.links[0].a.address = '10.0.0.201/24'; }), path: 'links[0].a', says: /"address"/ },
  { name: '__proto__ at the top (JSON)', doc: JSON.parse('{"__proto__": {"nodes": []}, "nodes": []}'), path: '(document)', says: /__proto__/ },
  { name: '__proto__ in an iptables rule (JSON)', doc: JSON.parse('{"nodes":[{"name":"host","kind":"host","iptables":{"rules":[{"chain":"INPUT","jump":"DROP","__proto__":{"jump":"ACCEPT"}}]}}]}'), path: 'nodes[0].iptables.rules[0]' },
  { name: '__proto__ in a node (YAML)', yaml: 'nodes:\n  - name: netns1\n    kind: netns\n    __proto__: { kind: host }\n', path: 'nodes[0]', says: /__proto__/ },
  { name: 'version 2', doc: withBase((d) => { d.version = 2; }), path: 'version' },
  { name: 'nodes as a map', doc: { nodes: { netns1: { kind: 'netns' } } }, path: 'nodes' },
  { name: 'a list as the document', doc: [base()], path: '(document)' },
  { name: 'layout at infinity', doc: withBase((d) => { d.layout = { host: { x: Infinity, y: 0 } }; }), path: 'layout.host.x' },
  { name: 'topology name of 2 MB', doc: withBase((d) => { d.name = TWO_MB; }), path: 'name' },

  // YAML text.
  { name: 'YAML that does not parse', yaml: 'nodes: [\n', path: '(document)', says: /not valid YAML/ },
  { name: 'YAML with an alias bomb', yaml: `a: &a [x, x, x, x, x, x, x, x, x]\n${Array.from({ length: 120 }, (_, i) => `k${i}: [*a, *a, *a]`).join('\n')}\n`, path: '(document)' },
  { name: 'YAML with an address that is a number', yaml: 'nodes:\n  - name: netns1\n    kind: netns\n    routes: [{dst: default, via: 10.0}]\n', path: 'nodes[0].routes[0].via' },
];

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
