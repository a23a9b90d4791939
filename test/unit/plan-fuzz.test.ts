// Gate 1 of the reliability issue, the pure half: invalid input never becomes a command.
//  (a) junk and mutated documents full of hazards either validate or are rejected with a field path
//      on every error — never an exception;
//  (b) valid random documents compile deterministically, and every argv token fits its slot.
// More than 10,000 cases per run; the last test counts them.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { compilePlan } from '../../server/plan/compile.ts';
import type { Step } from '../../server/plan/step.ts';
import { loadTopology, validateTopology, type Loaded } from '../../server/topology/load.ts';
import type { Topology } from '../../server/topology/schema.ts';

const TAG = 'nsplay:fuzz';
let cases = 0;

// ---- slot patterns --------------------------------------------------------------------------

const IFNAME = /^[A-Za-z0-9_.-]{1,15}$/;
const NODE = /^[A-Za-z0-9_][A-Za-z0-9_.-]{0,63}$/;
const ADDR = /^\d+\.\d+\.\d+\.\d+(\/\d+)?$/;
const IPV4 = /^\d+\.\d+\.\d+\.\d+$/;
const CIDR = /^\d+\.\d+\.\d+\.\d+\/\d+$/;
const MAC = /^[0-9a-f]{2}(:[0-9a-f]{2}){5}$/;
const UINT = /^(0|[1-9]\d*)$/;
const PORT = /^[1-9]\d{0,4}$/;
const CHAIN = /^[A-Za-z][A-Za-z0-9_-]{0,27}$/;

type Slot = RegExp | null; // null: a flag without a value

/** `ip` keywords and what the next token must look like. */
const IP_KEYWORDS: Record<string, Slot> = {
  dev: IFNAME, name: IFNAME, master: IFNAME, netns: NODE, type: /^(veth|bridge)$/, peer: null,
  via: IPV4, src: IPV4, address: MAC, lladdr: MAC, mtu: UINT, metric: UINT, prio: UINT,
  table: /^(main|local|[1-9]\d*)$/, from: /^(all|\d+\.\d+\.\d+\.\d+(\/\d+)?)$/, to: ADDR,
  proto: /^(kernel|static|boot)$/, scope: /^(link|host|global)$/, nud: /^permanent$/,
  up: null, down: null, nomaster: null,
};
/** The positional argument after `ip OBJECT VERB`, where there is one. */
const IP_POSITIONAL: Record<string, RegExp> = {
  netns: NODE, addr: CIDR, neigh: IPV4, route: /^(default|\d+\.\d+\.\d+\.\d+(\/\d+)?)$/, link: IFNAME,
};

/** iptables options (every token starting with '-' must be one) and their values. */
const IPT_OPTIONS: Record<string, Slot> = {
  '-t': /^(filter|nat|raw|mangle)$/, '-A': CHAIN, '-D': CHAIN, '-N': CHAIN, '-X': CHAIN, '-P': CHAIN,
  '-s': ADDR, '-d': ADDR, '-i': IFNAME, '-o': IFNAME, '-p': /^(tcp|udp|icmp)$/,
  '-m': /^(tcp|udp|addrtype|statistic|comment)$/, '--sport': PORT, '--dport': PORT,
  '--dst-type': /^(LOCAL|UNICAST|BROADCAST)$/, '--mode': /^(random|nth)$/, '--probability': /^0\.\d+$|^[1-9]e-\d+$|^\d\.\d+e-\d+$/,
  '--every': UINT, '--packet': UINT, '--comment': /^nsplay:[A-Za-z0-9_.-]+$/,
  '-j': CHAIN, '--reject-with': /^icmp-port-unreachable$/, '--to-destination': /^\d+\.\d+\.\d+\.\d+(:[1-9]\d{0,4})?$/, '--to-source': /^\d+\.\d+\.\d+\.\d+(:[1-9]\d{0,4})?$/,
};

function checkIp(argv: string[]): string[] {
  const bad: string[] = [];
  const [, object, verb] = argv;
  if (!(object in IP_POSITIONAL) && object !== 'rule') return [`ip object '${object}'`];
  if (!['add', 'del', 'set', 'replace'].includes(verb)) return [`ip verb '${verb}'`];
  let i = 3;
  const positional = IP_POSITIONAL[object];
  if (positional && object !== 'link') {
    if (!positional.test(argv[i] ?? '')) bad.push(`positional ${JSON.stringify(argv[i])}`);
    i++;
  }
  for (; i < argv.length; i++) {
    const t = argv[i];
    if (t in IP_KEYWORDS) {
      const slot = IP_KEYWORDS[t];
      if (slot && !slot.test(argv[++i] ?? '')) bad.push(`${t} ${JSON.stringify(argv[i])}`);
    } else if (object === 'link' && i === 3 && IFNAME.test(t) && !t.startsWith('-')) {
      // `ip link set veth0 up`: the device without `dev`
    } else bad.push(`unexpected ${JSON.stringify(t)}`);
  }
  if (object === 'netns' && argv.length !== 4) bad.push('ip netns takes one name');
  return bad;
}

function checkIptables(argv: string[]): string[] {
  const bad: string[] = [];
  for (let i = 1; i < argv.length; i++) {
    const t = argv[i];
    if (t === '!') {
      if (argv[i + 1] !== '-s' && argv[i + 1] !== '-d') bad.push(`'!' before ${JSON.stringify(argv[i + 1])}`);
      continue;
    }
    if (!(t in IPT_OPTIONS)) { bad.push(`unknown option ${JSON.stringify(t)}`); continue; }
    const slot = IPT_OPTIONS[t];
    if (slot && !slot.test(argv[++i] ?? '')) bad.push(`${t} ${JSON.stringify(argv[i])}`);
    if (t === '-P' && !/^(ACCEPT|DROP)$/.test(argv[++i] ?? '')) bad.push(`policy ${JSON.stringify(argv[i])}`);
  }
  return bad;
}

/** Where iptables' grammar puts an option: the first token, and the token after each option's value. */
function optionPositions(argv: string[]): number[] {
  const at: number[] = [];
  for (let i = 1; i < argv.length; i++) {
    if (argv[i] === '!') continue;
    at.push(i);
    if (IPT_OPTIONS[argv[i]]) i++;
    if (argv[i - (IPT_OPTIONS[argv[i - 1]] ? 1 : 0)] === '-P') i++;
  }
  return at;
}

/** Problems with one command line; [] when every token fits its slot. */
function checkArgv(argv: string[]): string[] {
  const bad = argv.filter((t) => t === '' || /[\n\r\u0000]/.test(t)).map((t) => `token ${JSON.stringify(t)}`);
  // A value that looks like an option: only iptables has options here, and only where the grammar expects one.
  const optionAt = new Set(argv[0] === 'iptables' ? optionPositions(argv) : []);
  argv.forEach((t, i) => { if (t.startsWith('-') && !optionAt.has(i) && argv[0] !== 'sysctl' && argv[0] !== 'busybox' && argv[0] !== 'docker') bad.push(`option-like value ${JSON.stringify(t)}`); });
  switch (argv[0]) {
    case 'ip': return [...bad, ...checkIp(argv)];
    case 'iptables': return [...bad, ...checkIptables(argv)];
    case 'sysctl':
      // The one token that may hold spaces: a multi-number value such as "0 2147483647".
      if (argv.length !== 3 || argv[1] !== '-w' || !/^net\.[A-Za-z0-9_.-]+=\d+( \d+){0,3}$/.test(argv[2])) bad.push(`sysctl ${JSON.stringify(argv)}`);
      return bad;
    case 'busybox':
      if (argv.length !== 7 || argv.slice(1, 4).join(' ') !== 'httpd -f -p' || !PORT.test(argv[4]) || argv[5] !== '-h'
        || !/^\/[A-Za-z0-9_./-]+\/[A-Za-z0-9_][A-Za-z0-9_.-]*-\d+$/.test(argv[6]) || argv[6].includes('/../')) bad.push(`busybox ${JSON.stringify(argv)}`);
      return bad;
    case 'docker':
      if (argv[1] === 'rm') {
        if (argv.length !== 4 || argv[2] !== '-f' || !NODE.test(argv[3])) bad.push(`docker ${JSON.stringify(argv)}`);
      } else if (argv.length !== 8 || argv.slice(1, 6).join(' ') !== 'run -d --network none --name' || !NODE.test(argv[6]) || !/^[a-z0-9][a-z0-9._/:-]*$/.test(argv[7])) {
        bad.push(`docker ${JSON.stringify(argv)}`);
      }
      return bad;
    default: return [...bad, `unknown tool ${JSON.stringify(argv[0])}`];
  }
}

/** Problems with a plan: duplicate ids, tokens outside their slot, undo by another tool. Plain code, no
 *  expect() per token: this runs for every step of thousands of plans. */
function planProblems(plan: Step[]): string[] {
  const bad: string[] = [];
  const ids = new Set<string>();
  for (const s of plan) {
    if (ids.has(s.id)) bad.push(`duplicate step id ${s.id}`);
    ids.add(s.id);
    if (!NODE.test(s.node)) bad.push(`step node ${JSON.stringify(s.node)}`);
    for (const p of [...checkArgv(s.argv), ...(s.undo ? checkArgv(s.undo) : [])]) bad.push(`${s.id}: ${JSON.stringify(s.argv)} → ${p}`);
    if (s.undo && s.undo[0] !== s.argv[0]) bad.push(`${s.id}: undo runs ${s.undo[0]}, not ${s.argv[0]}`);
    if (/[\n\u0000]/.test(s.why)) bad.push(`${s.id}: why has a control character`);
  }
  return bad;
}

/** Either valid (and then its plan is well-formed), or rejected with a path and a message on every error. */
function outcomeProblems(r: Loaded<Topology>): string[] {
  if (r.ok) return planProblems(compilePlan(r.value, { tag: TAG }));
  if (r.errors.length === 0) return ['rejected without an error'];
  return r.errors.flatMap((e) => {
    const bad: string[] = [];
    if (typeof e.path !== 'string' || e.path.length === 0) bad.push(`error without a path: ${JSON.stringify(e).slice(0, 200)}`);
    if (typeof e.message !== 'string' || e.message.length === 0) bad.push(`error without a message at ${e.path}`);
    else if (e.message.length > 1000) bad.push(`message of ${e.message.length} characters at ${e.path}: ${e.message.slice(0, 100)}…`);
    if (e.path.length > 300) bad.push(`path of ${e.path.length} characters: ${e.path.slice(0, 100)}…`);
    return bad;
  });
}

function expectNoProblems(problems: string[]): void {
  if (problems.length > 0) expect.fail(problems.slice(0, 5).join('\n'));
}

/** fast-check prints the counterexample; a 2 MB hazard would bury the report, so long runs are shortened. */
function check<T>(property: fc.IProperty<T>, numRuns: number): void {
  try {
    fc.assert(property, { numRuns });
  } catch (e) {
    const message = String((e as Error).message).replace(/(.)\1{100,}/g, (run, c: string) => `${c}…(×${run.length})`);
    throw new Error(message.length > 6000 ? `${message.slice(0, 3000)}\n…\n${message.slice(-3000)}` : message);
  }
}

// ---- valid documents ------------------------------------------------------------------------

const RESERVED = new Set(['.', '..', 'all', 'default', 'help', 'host', 'lo']);
const IP_WORDS = new Set(['dev', 'name', 'type', 'peer', 'netns', 'master', 'nomaster', 'up', 'down', 'link', 'address', 'mtu', 'index']);
const BUILTIN: Record<string, string[]> = {
  filter: ['INPUT', 'FORWARD', 'OUTPUT'],
  nat: ['PREROUTING', 'INPUT', 'OUTPUT', 'POSTROUTING'],
  raw: ['PREROUTING', 'OUTPUT'],
  mangle: ['PREROUTING', 'INPUT', 'FORWARD', 'OUTPUT', 'POSTROUTING'],
};
const BUILTIN_NAMES = new Set(Object.values(BUILTIN).flat());

const nodeNameArb = fc.stringMatching(/^[A-Za-z0-9_][A-Za-z0-9_.-]{0,9}$/).filter((n) => !RESERVED.has(n));
const ifnameArb = fc.stringMatching(/^[A-Za-z0-9_.][A-Za-z0-9_.-]{0,14}$/).filter((n) => !RESERVED.has(n) && !IP_WORDS.has(n));
const octet = fc.integer({ min: 0, max: 255 });
const ipv4Arb = fc.tuple(octet, octet, octet, octet).map((o) => o.join('.'));
const cidrArb = fc.tuple(ipv4Arb, fc.integer({ min: 0, max: 32 })).map(([a, p]) => `${a}/${p}`);
const addrOrCidrArb = fc.oneof(ipv4Arb, cidrArb);
const portArb = fc.integer({ min: 1, max: 65535 });
const macArb = fc.array(fc.integer({ min: 0, max: 255 }), { minLength: 6, maxLength: 6 })
  .map((b) => b.map((x) => x.toString(16).padStart(2, '0')).join(':'));
const chainNameArb = fc.stringMatching(/^[A-Za-z][A-Za-z0-9_-]{0,12}$/).filter((n) => !BUILTIN_NAMES.has(n));
const tableIdArb = fc.oneof(fc.constantFrom('main', 'local'), fc.integer({ min: 1, max: 4294967295 }));
const maybe = <T>(arb: fc.Arbitrary<T>) => fc.option(arb, { nil: undefined });

/** Raw choices for one rule; the builder turns them into a rule that is valid for its table and chain. */
const ruleChoiceArb = fc.record({
  kind: fc.constantFrom('filter', 'filter', 'masquerade', 'dnat', 'snat', 'raw', 'mangle', 'user'),
  chain: fc.nat(), jump: fc.nat(),
  source: maybe(fc.tuple(fc.constantFrom('', '!', '! '), addrOrCidrArb).map(([n, a]) => n + a)),
  destination: maybe(addrOrCidrArb),
  inIface: maybe(ifnameArb), outIface: maybe(ifnameArb),
  protocol: maybe(fc.constantFrom('tcp', 'udp', 'icmp')),
  sport: maybe(portArb), dport: maybe(portArb),
  dstType: maybe(fc.constantFrom('LOCAL', 'UNICAST', 'BROADCAST')),
  statistic: maybe(fc.oneof(
    fc.double({ min: 0.0001, max: 0.9999, noNaN: true }).map((p) => ({ mode: 'random' as const, probability: p })),
    fc.tuple(fc.integer({ min: 2, max: 1000 }), fc.nat()).map(([every, p]) => ({ mode: 'nth' as const, every, packet: p % every })),
  )),
  to: fc.tuple(ipv4Arb, maybe(portArb)).map(([a, p]) => (p === undefined ? a : `${a}:${p}`)),
});

const routeArb = fc.record({
  dst: fc.oneof(fc.constant('default'), addrOrCidrArb),
  via: maybe(ipv4Arb), dev: maybe(ifnameArb),
  scope: maybe(fc.constantFrom('link', 'host', 'global')), src: maybe(ipv4Arb),
  proto: maybe(fc.constantFrom('kernel', 'static', 'boot')), metric: maybe(fc.integer({ min: 0, max: 4294967295 })),
  table: maybe(tableIdArb),
}).map((r) => (r.via === undefined && r.dev === undefined ? { ...r, dev: 'eth0' } : r));

const SYSCTL_KEYS = ['net.ipv4.ip_forward', 'net.ipv4.conf.all.proxy_arp', 'net.ipv4.conf.default.rp_filter', 'net.ipv4.ping_group_range', 'net.core.somaxconn', 'net.ipv6.conf.all.disable_ipv6'];

/** Per-node settings for a namespace-like node (host, netns, container, …). */
const nodeExtraArb = fc.record({
  addresses: maybe(fc.array(fc.record({ dev: ifnameArb, address: cidrArb }), { maxLength: 2 })),
  routes: maybe(fc.array(routeArb, { maxLength: 3 })),
  rules: maybe(fc.array(fc.record({
    from: maybe(fc.oneof(fc.constant('all'), addrOrCidrArb)), to: maybe(addrOrCidrArb),
    table: tableIdArb, priority: fc.integer({ min: 1, max: 32765 }),
  }), { maxLength: 2 })),
  neighbors: maybe(fc.array(fc.record({ dev: ifnameArb, address: ipv4Arb, lladdr: macArb }), { maxLength: 2 })),
  sysctls: maybe(fc.dictionary(fc.constantFrom(...SYSCTL_KEYS), fc.oneof(fc.integer({ min: 0, max: 2147483647 }), fc.constantFrom('0', '1', '0 2147483647')), { maxKeys: 3 })),
  chains: fc.uniqueArray(fc.record({ table: fc.constantFrom('filter', 'nat', 'raw', 'mangle'), name: chainNameArb }), { maxLength: 2, selector: (c) => `${c.table}/${c.name}` }),
  policies: maybe(fc.array(fc.record({ table: fc.constantFrom('filter', 'nat'), chain: fc.nat(), policy: fc.constantFrom('ACCEPT', 'DROP') }), { maxLength: 2 })),
  rules4: fc.array(ruleChoiceArb, { maxLength: 3 }),
  services: maybe(fc.uniqueArray(fc.record({ port: portArb, body: maybe(fc.string({ maxLength: 30 }).filter((s) => !/[\u0000-\u001f]/.test(s))) }), { maxLength: 2, selector: (s) => s.port })),
  image: maybe(fc.constantFrom('nginx:alpine', 'nsplay/busybox:local', 'busybox')),
});

const endArb = fc.record({
  addresses: maybe(fc.uniqueArray(cidrArb, { maxLength: 2 })), mac: maybe(macArb),
  mtu: maybe(fc.integer({ min: 68, max: 65535 })), up: maybe(fc.boolean()), master: fc.boolean(),
});

const topologyArb = fc.record({
  names: fc.uniqueArray(nodeNameArb, { maxLength: 5 }),
  kinds: fc.array(fc.constantFrom('netns', 'netns', 'netns', 'container', 'internet', 'external', 'router'), { minLength: 5, maxLength: 5 }),
  ifnames: fc.uniqueArray(ifnameArb, { minLength: 13, maxLength: 13 }),
  bridges: fc.array(fc.record({ home: fc.nat(), addresses: maybe(fc.array(cidrArb, { maxLength: 2 })) }), { maxLength: 3 }),
  links: fc.array(fc.record({ a: fc.nat(), b: fc.nat(), endA: endArb, endB: endArb }), { maxLength: 5 }),
  extras: fc.array(nodeExtraArb, { minLength: 6, maxLength: 6 }),
  declareHost: fc.boolean(),
  layout: fc.boolean(),
}).map(buildTopology);

type Raw = Record<string, any>;

function buildRule(c: Raw, chains: { table: string; name: string }[]): Raw {
  const user = (table: string) => chains.filter((x) => x.table === table).map((x) => x.name);
  const pick = <T>(list: T[], i: number) => list[i % list.length];
  let table: string; let chain: string; let jump: string;
  switch (c.kind) {
    case 'masquerade': table = 'nat'; chain = 'POSTROUTING'; jump = 'MASQUERADE'; break;
    case 'dnat': table = 'nat'; chain = pick(['PREROUTING', 'OUTPUT', ...user('nat')], c.chain); jump = 'DNAT'; break;
    case 'snat': table = 'nat'; chain = pick(['POSTROUTING', 'INPUT', ...user('nat')], c.chain); jump = 'SNAT'; break;
    case 'user': {
      const t = chains[c.chain % Math.max(chains.length, 1)];
      table = t?.table ?? 'filter';
      chain = pick([...BUILTIN[table], ...user(table)], c.chain);
      jump = t ? t.name : 'RETURN';
      break;
    }
    default:
      table = c.kind === 'raw' || c.kind === 'mangle' ? c.kind : 'filter';
      chain = pick([...BUILTIN[table], ...user(table)], c.chain);
      jump = pick([...(table === 'filter' ? ['REJECT'] : []), 'ACCEPT', 'DROP', 'RETURN', 'LOG', ...user(table)], c.jump);
  }
  // What the kernel refuses, the schema refuses too: keep generated rules on the valid side.
  const protocol = jump === 'DNAT' && String(c.to).includes(':') && c.protocol !== 'tcp' && c.protocol !== 'udp' ? 'tcp' : c.protocol;
  const ports = protocol === 'tcp' || protocol === 'udp';
  const noOut = chain === 'PREROUTING' || chain === 'INPUT';
  const noIn = chain === 'POSTROUTING' || chain === 'OUTPUT';
  return {
    table, chain, jump,
    ...(c.source !== undefined && { source: c.source }),
    ...(c.destination !== undefined && { destination: c.destination }),
    ...(c.inIface !== undefined && !noIn && { inIface: c.inIface }),
    ...(c.outIface !== undefined && !noOut && { outIface: c.outIface }),
    ...(protocol !== undefined && { protocol }),
    ...(ports && c.sport !== undefined && { sport: c.sport }),
    ...(ports && c.dport !== undefined && { dport: c.dport }),
    ...(c.dstType !== undefined && { dstType: c.dstType }),
    ...(c.statistic !== undefined && { statistic: c.statistic }),
    ...(jump === 'DNAT' && { toDestination: c.to }),
    ...(jump === 'SNAT' && { toSource: c.to.split(':')[0] }),
  };
}

function buildTopology(g: Raw): Raw {
  const nodes: Raw[] = [];
  const extras = [...g.extras];
  const settings = (kind: string): Raw => {
    const e = extras.pop();
    const out: Raw = {};
    for (const f of ['addresses', 'routes', 'rules', 'neighbors', 'sysctls', 'services'] as const) if (e[f] !== undefined) out[f] = e[f];
    if (kind === 'container' && e.image !== undefined) out.image = e.image;
    const policies = (e.policies ?? []).map((p: Raw) => ({ table: p.table, chain: BUILTIN[p.table][p.chain % BUILTIN[p.table].length], policy: p.policy }));
    const rules = e.rules4.map((r: Raw) => buildRule(r, e.chains));
    if (e.chains.length || policies.length || rules.length) out.iptables = { chains: e.chains, policies, rules };
    return out;
  };
  if (g.declareHost) nodes.push({ name: 'host', kind: 'host', ...settings('host') });
  const members = g.names.map((name: string, i: number) => ({ name, kind: g.kinds[i] }));
  for (const m of members) nodes.push({ ...m, ...settings(m.kind) });
  const homes = ['host', ...members.filter((m: Raw) => m.kind !== 'container').map((m: Raw) => m.name)];
  const pool: string[] = [...g.ifnames];
  const bridges: Raw[] = [];
  for (const b of g.bridges) {
    const name = pool.shift()!;
    if (g.names.includes(name) || name.startsWith('.')) continue; // a bridge's name is a node name too
    const bridge: Raw = { name, kind: 'bridge', in: homes[b.home % homes.length] };
    if (b.addresses) bridge.addresses = b.addresses;
    bridges.push(bridge);
    nodes.push(bridge);
  }
  const ends = ['host', ...members.map((m: Raw) => m.name), ...bridges.map((b) => b.name)];
  const links: Raw[] = [];
  for (const l of g.links) {
    const a = ends[l.a % ends.length];
    const b = ends[l.b % ends.length];
    if (a === b) continue;
    const end = (node: string, e: Raw): Raw => {
      const out: Raw = { node, ifname: pool.shift()! };
      for (const f of ['addresses', 'mac', 'mtu', 'up'] as const) if (e[f] !== undefined) out[f] = e[f];
      const home = bridges.find((br) => br.in === node);
      if (e.master && home && !bridges.some((br) => br.name === node)) out.master = home.name;
      return out;
    };
    links.push({ a: end(a, l.endA), b: end(b, l.endB) });
  }
  const doc: Raw = { version: 1, nodes, links };
  if (g.layout) doc.layout = Object.fromEntries(ends.map((n, i) => [n, { x: i * 120, y: (i % 3) * 90 }]));
  return doc;
}

// ---- hazards and mutations ------------------------------------------------------------------

const TWO_MB = 'x'.repeat(2 * 1024 * 1024);
const HAZARDS: unknown[] = [
  '../x', 'a/b', '/', '#', 'ns#1', 'veth\n0', 'x\ny', 'veth\u00000', '\u0000', '%d', 'veth%d', 'veth+', 'abcdefghijklmnop',
  'ééééééééé', 'ネットワーク', '\u202eevil', 'all', 'default', 'help', 'lo', 'host', 'up', 'dev', 'netns', '.', '..', '',
  ' ', '-x', '--help', '-rf', '-w /etc/passwd', '-i any', 'not port 22', '010.0.0.1', '10.1', '::ffff:10.0.0.1', '10.0.0.1/33',
  '256.0.0.1', '10.0.0.1/24/8', '10.0.0.1:0', '10.0.0.1:65536', '$(reboot)', '`id`', "'; rm -rf / #", 'a'.repeat(300),
  0, 65536, -1, 1.5, 1e21, Number.NaN, Number.POSITIVE_INFINITY, null, true, [], {}, '80', 'ghost',
];
// Shared and frozen: validation never writes to its input, and this mutation is always applied last.
const TEN_THOUSAND_NODES = Object.freeze(Array.from({ length: 10_000 }, (_, i) => Object.freeze({ name: `n${i}`, kind: 'netns' })));
const KEYS = ['__proto__', 'constructor', 'prototype', 'toString', 'unknownField', 'hasOwnProperty'];

type Path = (string | number)[];

function paths(value: unknown, at: Path = [], out: Path[] = []): Path[] {
  out.push(at);
  if (Array.isArray(value)) value.forEach((v, i) => paths(v, [...at, i], out));
  else if (value && typeof value === 'object') for (const k of Object.keys(value)) paths((value as Raw)[k], [...at, k], out);
  return out;
}

function getAt(root: unknown, p: Path): any {
  return p.reduce((v: any, k) => (v == null ? undefined : v[k]), root);
}

function setAt(root: unknown, p: Path, value: unknown): unknown {
  if (p.length === 0) return value;
  const parent = getAt(root, p.slice(0, -1));
  if (parent && typeof parent === 'object') Object.defineProperty(parent, p[p.length - 1], { value, enumerable: true, writable: true, configurable: true });
  return root;
}

const mutationArb = fc.record({
  op: fc.constantFrom('replace', 'replace', 'replace', 'addKey', 'delete', 'duplicate', 'selfLoop', 'dangling', 'manyNodes'),
  where: fc.nat(), hazard: fc.nat(), key: fc.nat(),
});

function mutate(doc: any, m: { op: string; where: number; hazard: number; key: number }): unknown {
  const all = paths(doc);
  const p = all[m.where % all.length];
  const hazard = HAZARDS[m.hazard % HAZARDS.length];
  const hazardCopy = () => (Array.isArray(hazard) ? [] : hazard && typeof hazard === 'object' ? {} : hazard);
  switch (m.op) {
    case 'replace': return setAt(doc, p, hazardCopy());
    case 'addKey': {
      const objects = all.filter((q) => { const v = getAt(doc, q); return v && typeof v === 'object' && !Array.isArray(v); });
      if (objects.length === 0) return doc;
      return setAt(doc, [...objects[m.where % objects.length], KEYS[m.key % KEYS.length]], hazardCopy());
    }
    case 'delete': {
      const parent = getAt(doc, p.slice(0, -1));
      if (p.length > 0 && parent && !Array.isArray(parent)) delete parent[p[p.length - 1]];
      return doc;
    }
    case 'duplicate': {
      const arrays = all.filter((q) => Array.isArray(getAt(doc, q)) && getAt(doc, q).length > 0);
      if (arrays.length === 0) return doc;
      const arr = getAt(doc, arrays[m.where % arrays.length]);
      arr.push(structuredClone(arr[m.key % arr.length]));
      return doc;
    }
    case 'selfLoop': case 'dangling': {
      if (!Array.isArray(doc?.links) || doc.links.length === 0) return doc;
      const l = doc.links[m.where % doc.links.length];
      if (l?.a && l?.b && typeof l.b === 'object') l.b.node = m.op === 'selfLoop' ? l.a.node : 'ghost';
      return doc;
    }
    case 'manyNodes':
      if (!doc || typeof doc !== 'object') return doc;
      doc.nodes = TEN_THOUSAND_NODES;
      return doc;
    default: return doc;
  }
}

// ---- properties -----------------------------------------------------------------------------

describe('(a) junk and hazards are rejected with a path, never thrown', () => {
  it('arbitrary JSON values', () => {
    check(fc.property(fc.jsonValue(), (v) => { cases++; expectNoProblems(outcomeProblems(validateTopology(v))); }), 4000);
  });

  it('arbitrary text as YAML or JSON', () => {
    const text = fc.oneof(fc.string({ maxLength: 200 }), fc.string({ unit: 'binary', maxLength: 200 }), fc.jsonValue().map((v) => JSON.stringify(v)),
      fc.constantFrom('nodes: [\n', '{', 'a: &a [*a]', '!!js/function "x"', '---\n---\n', 'nodes: *x', '<<: {}', '\u0000'));
    check(fc.property(text, (t) => { cases++; expectNoProblems(outcomeProblems(loadTopology(t))); }), 1500);
  });

  it('documents shaped like topologies, filled with hazards', () => {
    const field = fc.oneof(fc.constantFrom(...HAZARDS), fc.jsonValue({ maxDepth: 2 }), nodeNameArb, ifnameArb, cidrArb);
    const fields = (keys: string[]) => fc.dictionary(fc.constantFrom(...keys, ...KEYS), field, { maxKeys: 5 });
    const nodeArb = fc.oneof(fields(['name', 'kind', 'in', 'image', 'addresses', 'routes', 'sysctls', 'iptables', 'services']),
      fc.record({ name: fc.oneof(nodeNameArb, fc.constantFrom(...HAZARDS)), kind: fc.constantFrom('host', 'netns', 'bridge', 'container', 'vm', '') }));
    const endArbJunk = fc.record({ node: fc.oneof(nodeNameArb, fc.constantFrom(...HAZARDS)), ifname: fc.oneof(ifnameArb, fc.constantFrom(...HAZARDS)) });
    const doc = fc.record({
      version: fc.constantFrom(1, 2, '1', undefined),
      nodes: fc.array(nodeArb, { maxLength: 5 }),
      links: fc.array(fc.record({ a: endArbJunk, b: endArbJunk }), { maxLength: 4 }),
    }, { requiredKeys: [] });
    check(fc.property(doc, (d) => { cases++; expectNoProblems(outcomeProblems(validateTopology(d))); }), 1400);
  });

  it('valid documents with 1–3 hazardous mutations (hazard strings, __proto__ keys, self-loops, dangling links, 10,000 nodes)', () => {
    check(fc.property(topologyArb, fc.array(mutationArb, { minLength: 1, maxLength: 3 }), (doc, ms) => {
      cases++;
      let d: unknown = structuredClone(doc);
      // 10,000 nodes last, so no other mutation walks them.
      for (const m of [...ms].sort((x, y) => Number(x.op === 'manyNodes') - Number(y.op === 'manyNodes'))) d = mutate(d, m);
      expectNoProblems(outcomeProblems(validateTopology(d)));
    }), 2700);
  }, 30_000);

  it('a 2 MB string in any string field of a valid document', () => {
    check(fc.property(topologyArb, fc.nat(), (doc, where) => {
      cases++;
      const d = structuredClone(doc);
      const strings = paths(d).filter((p) => typeof getAt(d, p) === 'string');
      if (strings.length > 0) setAt(d, strings[where % strings.length], TWO_MB);
      const problems = outcomeProblems(validateTopology(d));
      expectNoProblems(problems);
    }), 40);
  }, 30_000);

  it('a mutation that breaks a name or address is caught at that path', () => {
    const d = structuredClone(fc.sample(topologyArb.filter((t) => t.links.length > 0), { numRuns: 1, seed: 7 })[0]);
    for (const hazard of ['a/b', '-x', 'veth\n0', 'abcdefghijklmnop', 'all', '../x']) {
      cases++;
      const broken = structuredClone(d);
      broken.links[0].a.ifname = hazard;
      const r = validateTopology(broken);
      expect(r.ok).toBe(false);
      if (!r.ok) expect(r.errors.map((e) => e.path)).toContain('links[0].a.ifname');
    }
  });
});

describe('(b) valid random documents compile to well-formed, deterministic plans', () => {
  it('the generator only makes valid documents; their plans are byte-identical across runs and input order; every token fits its slot', () => {
    check(fc.property(topologyArb, (doc) => {
      cases++;
      const r = validateTopology(doc);
      if (!r.ok) expect.fail(`generated document rejected:\n${r.errors.map((e) => `${e.path}: ${e.message}`).join('\n')}\n${JSON.stringify(doc)}`);
      const first = compilePlan(r.value, { tag: TAG });
      const second = compilePlan(structuredClone(r.value), { tag: TAG });
      expect(second).toEqual(first);
      expect(JSON.stringify(second)).toBe(JSON.stringify(first));
      const reordered = { ...r.value, nodes: [...r.value.nodes].reverse(), links: [...r.value.links].reverse() };
      expect(JSON.stringify(compilePlan(reordered, { tag: TAG }))).toBe(JSON.stringify(first));
      expectNoProblems(planProblems(first));
    }), 1800);
  }, 30_000);

  it('the slot checker itself rejects what it must', () => {
    expect(checkArgv(['ip', 'link', 'set', 'dev', '-veth', 'up'])).not.toEqual([]);
    expect(checkArgv(['ip', 'link', 'set', 'dev', 'veth-to-the-bridge0', 'up'])).not.toEqual([]);
    expect(checkArgv(['ip', 'addr', 'add', '10.0.0.1', 'dev', 'veth0'])).not.toEqual([]);
    expect(checkArgv(['ip', 'netns', 'add', 'a/b'])).not.toEqual([]);
    expect(checkArgv(['iptables', '-A', 'INPUT', '--flush', '-j', 'ACCEPT'])).not.toEqual([]);
    expect(checkArgv(['iptables', '-A', 'INPUT', '-s', '10.0.0.1\n', '-j', 'ACCEPT'])).not.toEqual([]);
    expect(checkArgv(['sysctl', '-w', 'kernel.panic=1'])).not.toEqual([]);
    expect(checkArgv(['ip', 'link', 'add', 'name', 'veth0', 'type', 'veth', 'peer', 'name', 'veth1', 'netns', 'netns1'])).toEqual([]);
    expect(checkArgv(['iptables', '-t', 'nat', '-A', 'POSTROUTING', '!', '-s', '10.0.0.0/24', '-o', 'enp0s3', '-m', 'comment', '--comment', TAG, '-j', 'MASQUERADE'])).toEqual([]);
  });

  it(`ran at least 10,000 cases`, () => {
    expect(cases).toBeGreaterThanOrEqual(10_000);
  });
});
