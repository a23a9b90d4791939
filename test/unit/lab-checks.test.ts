// Checks evaluated against output captured from a real session (lab 8 after its MASQUERADE step, and
// ping / connect results), through a context that answers from those files instead of the kernel.
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import type { CheckContext } from '../../server/labs/checks/context.ts';
import { NodeMissing } from '../../server/labs/checks/context.ts';
import { describeCheck } from '../../server/labs/checks/describe.ts';
import { evaluateCheck } from '../../server/labs/checks/evaluate.ts';
import { queryJson } from '../../server/labs/checks/json-query.ts';
import { parseConntrack } from '../../server/labs/checks/netfilter.ts';
import { CheckSchema, type Check } from '../../server/labs/checks/schema.ts';
import { classifyConnect, classifyPing, parseHttpLoop } from '../../server/labs/checks/traffic.ts';

const fixture = (name: string) => readFileSync(new URL(`../fixtures/labs/${name}`, import.meta.url), 'utf8');
const captured = (name: string) => ({ code: Number(fixture(`${name}.code`)), stdout: fixture(`${name}.stdout`), stderr: fixture(`${name}.stderr`) });

const CONNTRACK = [
  'tcp      6 117 TIME_WAIT src=10.0.1.2 dst=10.96.0.10 sport=57936 dport=80 src=10.0.0.12 dst=10.0.1.2 sport=80 dport=57936 [ASSURED] mark=0 use=1',
  'tcp      6 118 TIME_WAIT src=10.0.1.2 dst=10.96.0.10 sport=57940 dport=80 src=10.0.0.11 dst=10.0.1.2 sport=80 dport=57940 [ASSURED] mark=0 use=1',
  'tcp      6 119 SYN_SENT src=10.0.1.2 dst=10.96.0.10 sport=57950 dport=80 [UNREPLIED] src=10.96.0.10 dst=10.0.1.2 sport=80 dport=57950 mark=0 use=1',
].join('\n');

/** node → argv[0..] prefix → captured output; anything else: a node that does not exist. */
function fakeContext(files: Record<string, string> = {}): CheckContext & { ran: string[][] } {
  const ran: string[][] = [];
  const out = (stdout: string, code = 0, stderr = '') => ({ argv: [], code, stdout, stderr, ms: 0 });
  const table: Record<string, Record<string, () => ReturnType<typeof out>>> = {
    host: {
      'ip -j -d addr show': () => out(fixture('lab08-host.addr.json')),
      'ip -4 -j route show table all': () => out(fixture('lab08-host.route.json')),
      'ip -j rule show': () => out(fixture('lab08-host.rule.json')),
      'iptables -t nat -S': () => out(fixture('lab08-host.nat.txt')),
      'conntrack -L -d 10.96.0.10': () => out(CONNTRACK),
      'ping -c 1 -W 1 -n 10.0.0.5': () => ({ argv: [], ms: 0, ...captured('ping-ok') }),
      'ping -c 1 -W 1 -n 10.0.0.99': () => ({ argv: [], ms: 0, ...captured('ping-no-reply') }),
    },
    alpine1: {
      'ip -j -d addr show': () => out(fixture('lab08-alpine1.addr.json')),
      'ip -4 -j route show table all': () => out(fixture('lab08-alpine1.route.json')),
      'ip -4 -j neigh show': () => out(fixture('lab08-alpine1.neigh.json')),
    },
  };
  const memo = new Map<string, Promise<unknown>>();
  return {
    ran,
    async runIn(node, argv) {
      ran.push([node, ...argv]);
      const byNode = table[node];
      if (!byNode) throw new NodeMissing(`there is no node '${node}'`);
      const hit = byNode[argv.join(' ')];
      return hit ? hit() : out('', 1, `not captured: ${argv.join(' ')}`);
    },
    async readFile(file) { return files[file] ?? null; },
    cached(key, read) {
      if (!memo.has(key)) memo.set(key, read());
      return memo.get(key) as never;
    },
  };
}

const check = (c: unknown): Check => CheckSchema.parse(c);
const run = async (c: unknown, ctx = fakeContext()) => evaluateCheck(ctx, check(c), 0);

describe('kernel checks on lab 8\'s captured state', () => {
  it.each([
    [{ address: { node: 'alpine1', dev: 'veth1', address: '10.0.0.5/32' } }, true],
    [{ address: { node: 'alpine1', dev: 'veth1', address: '10.0.0.5/24' } }, false],
    [{ address: { node: 'alpine1', address: '10.0.0.5/32', expect: 'absent' } }, false],
    [{ link: { node: 'host', name: 'veth0', up: true } }, true],
    [{ link: { node: 'host', name: 'veth0', mac: '06:96:1e:62:50:e7' } }, false],
    [{ link: { node: 'host', name: 'veth9' } }, false],
    [{ link: { node: 'host', name: 'veth9', expect: 'absent' } }, true],
    [{ route: { node: 'alpine1', dst: 'default', via: '169.254.1.1', dev: 'veth1' } }, true],
    [{ route: { node: 'alpine1', dst: '169.254.1.1/32', dev: 'veth1', scope: 'link' } }, true],
    [{ route: { node: 'alpine1', dst: 'default', via: '10.0.0.1' } }, false],
    [{ route: { node: 'host', dst: '10.0.0.5/32', dev: 'veth0', scope: 'link' } }, true],
    [{ route: { node: 'host', dst: '10.0.0.5', expect: 'absent' } }, false],
    [{ neighbor: { node: 'alpine1', address: '169.254.1.1', dev: 'veth1', lladdrOf: { node: 'host', link: 'veth0' }, permanent: true } }, true],
    [{ neighbor: { node: 'alpine1', address: '169.254.1.1', lladdr: '06:96:1e:62:50:e7' } }, false],
    [{ neighbor: { node: 'alpine1', address: '10.0.0.18', permanent: true } }, false],
    [{ rule: { node: 'host', from: 'all', to: '10.0.0.5/32', table: 'main', priority: 512 } }, true],
    [{ rule: { node: 'host', to: '10.0.0.5/32', priority: 512, expect: 'absent' } }, false],
    [{ rule: { node: 'host', to: '10.0.0.6', priority: 512 } }, false],
    [{ iptables: { node: 'host', table: 'nat', rule: '-A POSTROUTING -s 10.0.0.5/32 ! -d 10.0.0.0/16 -o ens3 -j MASQUERADE' } }, true],
    [{ iptables: { node: 'host', table: 'nat', rule: '-A POSTROUTING   -s 10.0.0.5/32 ! -d 10.0.0.0/16 -o ens3 -j MASQUERADE' } }, true],
    [{ iptables: { node: 'host', table: 'nat', rule: '-A POSTROUTING -s 10.0.0.5/32 -o ens3 -j MASQUERADE' } }, false],
    [{ iptables: { node: 'host', table: 'nat', match: '-j MASQUERADE$' } }, true],
    [{ iptables: { node: 'host', table: 'nat', match: '-j CNI-', expect: 'absent' } }, true],
    [{ iptables: { node: 'host', table: 'nat', policy: { chain: 'POSTROUTING', is: 'DROP' } } }, false],
    [{ iptables: { node: 'host', table: 'nat', chain: 'LB-WEB' } }, false],
    [{ conntrack: { node: 'host', dst: '10.96.0.10', natTo: ['10.0.0.11', '10.0.0.12'] } }, true],
    [{ conntrack: { node: 'host', dst: '10.96.0.10', natTo: ['10.0.0.11', '10.0.0.12', '10.0.0.13'] } }, false],
    [{ reach: { from: 'host', to: '10.0.0.5', expect: 'ok' } }, true],
    [{ reach: { from: 'host', to: '10.0.0.99', expect: 'fail', reason: 'no-reply' } }, true],
    [{ reach: { from: 'host', to: '10.0.0.99', expect: 'fail', reason: 'no-route' } }, false],
    [{ reach: { from: 'host', to: '10.0.0.5', expect: 'fail' } }, false],
  ])('%j → %s', async (c, ok) => {
    const r = await run(c);
    expect(r.ok, r.detail).toBe(ok);
    if (!ok) expect(r.detail.length).toBeGreaterThan(5);
  });

  it('a rule drawn on the canvas (with nsplay\'s ownership comment) is the rule the step types', async () => {
    const ctx = fakeContext();
    const drawn = '-A POSTROUTING -s 10.0.0.0/24 -o enp0s3 -m comment --comment "nsplay:s1a2b3c" -j MASQUERADE\n-A POSTROUTING -s 10.0.1.0/24 -m comment --comment "someone else" -j MASQUERADE\n';
    ctx.cached = (<T>(key: string, read: () => Promise<T>) => (key.startsWith('iptables') ? Promise.resolve({ argv: [], code: 0, stdout: drawn, stderr: '', ms: 0 }) : read())) as CheckContext['cached'];
    expect((await run({ iptables: { node: 'host', table: 'nat', rule: '-A POSTROUTING -s 10.0.0.0/24 -o enp0s3 -j MASQUERADE' } }, ctx)).ok).toBe(true);
    expect((await run({ iptables: { node: 'host', table: 'nat', rule: '-A POSTROUTING -s 10.0.1.0/24 -j MASQUERADE' } }, ctx)).ok).toBe(false);
  });

  it('a check on a node that does not exist fails and says so', async () => {
    const r = await run({ address: { node: 'netns1', address: '10.0.0.101/24' } });
    expect(r).toMatchObject({ ok: false, detail: "there is no node 'netns1'" });
  });

  it('reads each node\'s state once per pass, however many checks ask', async () => {
    const ctx = fakeContext();
    await Promise.all([
      evaluateCheck(ctx, check({ address: { node: 'alpine1', address: '10.0.0.5/32' } }), 0),
      evaluateCheck(ctx, check({ link: { node: 'alpine1', name: 'veth1' } }), 1),
      evaluateCheck(ctx, check({ link: { node: 'alpine1', name: 'lo' } }), 2),
    ]);
    expect(ctx.ran.filter((a) => a.join(' ') === 'alpine1 ip -j -d addr show')).toHaveLength(1);
  });

  it('json and file checks read what a step wrote', async () => {
    const result = fixtureCniResult();
    const ctx = fakeContext({ 'add-result.json': result, 'cni-ipam/devops/10.0.0.2': 'id\neth10' });
    expect((await run({ json: { path: 'add-result.json', query: 'ips[0].address', equals: '10.0.0.2/24' } }, ctx)).ok).toBe(true);
    expect((await run({ json: { path: 'add-result.json', query: 'ips[0].address', equals: '10.0.0.3/24' } }, ctx)).detail).toBe('ips[0].address is "10.0.0.2/24", not "10.0.0.3/24"');
    expect((await run({ json: { path: 'add-result.json', query: 'interfaces[2].sandbox', matches: '^/proc/[0-9]+/ns/net$' } }, ctx)).ok).toBe(true);
    expect((await run({ json: { path: 'missing.json', query: 'a' } }, ctx)).detail).toBe('missing.json does not exist');
    expect((await run({ file: { path: 'cni-ipam/devops/10.0.0.2', contains: 'eth10' } }, ctx)).ok).toBe(true);
    expect((await run({ file: { path: 'cni-ipam/devops/10.0.0.2', expect: 'absent' } }, ctx)).ok).toBe(false);
  });
});

function fixtureCniResult(): string {
  return JSON.stringify({
    cniVersion: '1.0.0',
    interfaces: [{ name: 'devops0', mac: '5a:4e:aa:41:27:78' }, { name: 'veth568773e8', mac: 'b2:7f:9c:ad:76:10' }, { name: 'eth10', mac: '4a:82:ea:14:6d:54', sandbox: '/proc/2286/ns/net' }],
    ips: [{ interface: 2, address: '10.0.0.2/24', gateway: '10.0.0.1' }],
    routes: [{ dst: '0.0.0.0/0' }],
    dns: { nameservers: ['1.1.1.1'] },
  });
}

describe('what a probe\'s output means', () => {
  it.each([
    ['ping-ok', 'ok'], ['ping-no-reply', 'no-reply'], ['ping-no-route', 'no-route'], ['ping-unreachable', 'unreachable'],
  ])('ping: %s → %s', (name, want) => {
    const c = captured(name);
    expect(classifyPing(c.code, c.stdout, c.stderr)).toBe(want);
  });

  it.each([['connect-refused', 'refused'], ['connect-no-reply', 'no-reply']])('connect: %s → %s', (name, want) => {
    const c = captured(name);
    expect(classifyConnect(c.code, c.stderr)).toBe(want);
  });

  it('splits the HTTP loop into answers, bodies and failures', () => {
    const text = 'web1\n\n@@nsplay 200\n@@nsplay-rc 0\nweb2\n\n@@nsplay 200\n@@nsplay-rc 0\n\n@@nsplay 000\n@@nsplay-rc 28\nnope\n@@nsplay 404\n@@nsplay-rc 0\n';
    expect(parseHttpLoop(text)).toEqual([
      { ok: true, body: 'web1', error: '' },
      { ok: true, body: 'web2', error: '' },
      { ok: false, body: '', error: 'curl exit 28' },
      { ok: false, body: 'nope', error: 'HTTP 404' },
    ]);
  });

  it('reads conntrack: original destination and who answered', () => {
    expect(parseConntrack(CONNTRACK)).toEqual([
      { dst: '10.96.0.10', replySrc: '10.0.0.12' },
      { dst: '10.96.0.10', replySrc: '10.0.0.11' },
      { dst: '10.96.0.10', replySrc: '10.96.0.10' },
    ]);
  });

  it('queries JSON like ips[0].address, and gives undefined for what is not there', () => {
    const doc = JSON.parse(fixtureCniResult());
    expect(queryJson(doc, 'ips[0].address')).toBe('10.0.0.2/24');
    expect(queryJson(doc, 'dns.nameservers[0]')).toBe('1.1.1.1');
    expect(queryJson(doc, 'interfaces[7].name')).toBeUndefined();
    expect(queryJson(doc, 'ips.address')).toBeUndefined();
    expect(queryJson(null, 'a')).toBeUndefined();
  });
});

describe('the check schema', () => {
  it.each([
    [{ ping: { from: 'host', to: '1.1.1.1' } }, 'a check is one of'],
    [{ reach: { from: 'host', to: '1.1.1.1', expect: 'ok', reason: 'no-route' } }, 'a reason only goes with expect: fail'],
    [{ reach: { from: 'host', to: '1.1.1.300', expect: 'ok' } }, "'1.1.1.300'"],
    [{ reach: { from: 'host', to: '1.1.1.1:70000', expect: 'ok' } }, 'ports run from 1 to 65535'],
    [{ reach: { from: 'a/b', to: '1.1.1.1', expect: 'ok' } }, ''],
    [{ http: { from: 'host', url: 'http://example.com/', expect: 'ok' } }, 'http://IPV4'],
    [{ http: { from: 'host', url: 'http://1.1.1.1/;rm -rf', expect: 'ok' } }, 'http://IPV4'],
    [{ http: { from: 'host', url: 'http://1.1.1.1/', expect: 'ok', repeat: 3, distinct: 4 } }, 'distinct cannot exceed repeat'],
    [{ iptables: { node: 'host', rule: '-A X -j ACCEPT', match: 'x' } }, 'exactly one of rule, match, policy or chain'],
    [{ iptables: { node: 'host', match: '(' } }, 'not a regular expression'],
    [{ file: { path: '../../etc/shadow' } }, "may not contain '..'"],
    [{ file: { path: 'a b' } }, 'letters, digits'],
    [{ json: { path: 'r.json', query: 'ips[0].address; ls' } }, 'ips[0].address'],
    [{ netns: { name: 'a', container: 'b' } }, 'exactly one of name or container'],
    [{ link: { node: 'host', name: 'veth-to-the-bridge0' } }, '15'],
  ])('rejects %j', (c, message) => {
    const r = CheckSchema.safeParse(c);
    expect(r.success).toBe(false);
    expect(JSON.stringify(r.error?.issues)).toContain(message);
  });

  it('says each check in a sentence', () => {
    expect(describeCheck(check({ reach: { from: 'netns1', to: '10.0.1.101', expect: 'fail', reason: 'no-route' } })))
      .toBe('netns1 cannot reach 10.0.1.101 (Network is unreachable: no route)');
    expect(describeCheck(check({ http: { from: 'client', url: 'http://10.96.0.10/', expect: 'ok', repeat: 30, distinct: 3 } })))
      .toBe('client gets an answer from http://10.96.0.10/ 30×, from at least 3 different servers');
    expect(describeCheck(check({ iptables: { node: 'host', policy: { chain: 'FORWARD', is: 'ACCEPT' } } }))).toBe('host: filter FORWARD policy is ACCEPT');
    expect(describeCheck(check({ json: { path: 'add-result.json', query: 'ips[0].address', equals: '10.0.0.2/24' } }))).toBe('add-result.json: ips[0].address is "10.0.0.2/24"');
    expect(describeCheck(check({ link: { node: 'host', name: 'br0', label: 'the bridge exists' } }))).toBe('the bridge exists');
  });
});
