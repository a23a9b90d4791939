// renderScript is what a learner copies to a VM: every word must reach the command exactly as planned.
import { spawnSync } from 'node:child_process';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { compilePlan } from '../../server/plan/compile.ts';
import { cleanupSteps, commandLine, renderScript, shellLine, shellQuote } from '../../server/plan/script.ts';
import type { Step } from '../../server/plan/step.ts';
import { validateTopology } from '../../server/topology/load.ts';

/** What bash makes of each quoted word: printf each one NUL-terminated and split. */
function throughBash(words: string[]): string[] {
  const script = words.map((w) => `printf '%s\\0' ${shellQuote(w)}`).join('\n');
  const r = spawnSync('bash', ['--noprofile', '--norc', '-c', script], { encoding: 'utf8' });
  expect(r.stderr).toBe('');
  return r.stdout.split('\0').slice(0, -1);
}

const QUOTING: [string, string][] = [
  ['veth0', 'veth0'],
  ['10.0.0.1/24', '10.0.0.1/24'],
  ['nsplay:s1a2b3', 'nsplay:s1a2b3'],
  ['--to-destination', '--to-destination'],
  ['net.ipv4.ip_forward=1', 'net.ipv4.ip_forward=1'],
  ['%s', '%s'],
  ['', "''"],
  ['two words', "'two words'"],
  ['0 2147483647', "'0 2147483647'"],
  ["it's", `'it'\\''s'`],
  ['"double"', `'"double"'`],
  ['$HOME', "'$HOME'"],
  ['$(reboot)', "'$(reboot)'"],
  ['`id`', "'`id`'"],
  ['a\nb', "'a\nb'"],
  ['tab\there', "'tab\there'"],
  ['*', "'*'"],
  ['~root', "'~root'"],
  ['a;b', "'a;b'"],
  ['a|b&c', "'a|b&c'"],
  ['{a,b}', "'{a,b}'"],
  ['!event', "'!event'"],
  ['back\\slash', "'back\\slash'"],
  ["''", `''\\'''\\'''`],
  ['ééé', "'ééé'"],
  ['{{.State.Pid}}', "'{{.State.Pid}}'"],
];

describe('shellQuote', () => {
  it.each(QUOTING)('%j → %s', (word, quoted) => {
    expect(shellQuote(word)).toBe(quoted);
  });

  it('every word in the table reaches bash unchanged', () => {
    const words = QUOTING.map(([w]) => w);
    expect(throughBash(words)).toEqual(words);
  });

  it('any string without NUL reaches bash unchanged (property, one bash run per batch)', () => {
    const word = fc.string({ unit: fc.constantFrom(...'ab -_\'"$`\\!*?[]{}()<>|&;#~=%:,./\n\t é'.split('')), maxLength: 12 });
    fc.assert(fc.property(fc.array(word, { minLength: 1, maxLength: 50 }), (words) => {
      expect(throughBash(words)).toEqual(words);
    }), { numRuns: 20 });
  });

  it('shellLine joins quoted words with single spaces', () => {
    expect(shellLine(['ip', 'netns', 'exec', 'netns1', 'echo', 'a b'])).toBe("ip netns exec netns1 echo 'a b'");
  });
});

// Steps written by hand so these tests pin renderScript, not compilePlan.
const step = (s: Partial<Step> & Pick<Step, 'id' | 'node' | 'argv'>): Step => ({
  tool: 'ip', undo: null, why: `why ${s.id}`, fact: { kind: 'up', node: s.node, ifname: 'x' }, ...s,
});

const PLAN: Step[] = [
  step({ id: 'netns:n1', node: 'host', argv: ['ip', 'netns', 'add', 'n1'], undo: ['ip', 'netns', 'del', 'n1'], fact: { kind: 'netns', name: 'n1' } }),
  step({ id: 'veth:host/v0', node: 'host', argv: ['ip', 'link', 'add', 'v0', 'type', 'veth', 'peer', 'name', 'v1', 'netns', 'n1'], undo: ['ip', 'link', 'del', 'v0'], fact: { kind: 'link', node: 'host', ifname: 'v0' } }),
  step({ id: 'bridge:host/br0', node: 'host', argv: ['ip', 'link', 'add', 'name', 'br0', 'type', 'bridge'], undo: ['ip', 'link', 'del', 'br0'], fact: { kind: 'link', node: 'host', ifname: 'br0' } }),
  step({ id: 'addr:n1/v1/10.0.0.1/24', node: 'n1', argv: ['ip', 'addr', 'add', '10.0.0.1/24', 'dev', 'v1'], undo: ['ip', 'addr', 'del', '10.0.0.1/24', 'dev', 'v1'], fact: { kind: 'addr', node: 'n1', ifname: 'v1', cidr: '10.0.0.1/24' } }),
  step({ id: 'sysctl:host/x', node: 'host', tool: 'sysctl', argv: ['sysctl', '-w', 'net.ipv4.ping_group_range=0 2147483647'], fact: { kind: 'sysctl', node: 'host', key: 'net.ipv4.ping_group_range', value: '0 2147483647' } }),
  step({
    id: 'ipt:host/nat/POSTROUTING/x', node: 'host', tool: 'iptables',
    argv: ['iptables', '-t', 'nat', '-A', 'POSTROUTING', '-s', '10.0.0.0/24', '-m', 'comment', '--comment', 'nsplay:t', '-j', 'MASQUERADE'],
    undo: ['iptables', '-t', 'nat', '-D', 'POSTROUTING', '-s', '10.0.0.0/24', '-m', 'comment', '--comment', 'nsplay:t', '-j', 'MASQUERADE'],
    fact: { kind: 'ipt', node: 'host', table: 'nat', chain: 'POSTROUTING', spec: 'x' },
  }),
  step({ id: 'service:n1/8080', node: 'n1', tool: 'service', argv: ['busybox', 'httpd', '-f', '-p', '8080', '-h', '/srv/nsplay/n1-8080'], input: "it's n1\n", fact: { kind: 'service', node: 'n1', port: 8080 } }),
  step({ id: 'container:web', node: 'host', tool: 'runtime', argv: ['docker', 'run', '-d', '--network', 'none', '--name', 'web', 'nginx:alpine'], undo: ['docker', 'rm', '-f', 'web'], fact: { kind: 'container', name: 'web' } }),
];

describe('renderScript', () => {
  const script = renderScript(PLAN, 'test plan');
  const lines = script.split('\n');
  const body = (fn: string) => script.split(`${fn}() {\n`)[1].split('\n}\n')[0].split('\n');

  it('is a bash script with setup and cleanup and a dispatcher', () => {
    expect(lines[0]).toBe('#!/usr/bin/env bash');
    expect(lines[1]).toContain('test plan');
    expect(lines).toContain('set -euo pipefail');
    expect(lines).toContain('setup() {');
    expect(lines).toContain('cleanup() {');
    expect(script).toContain('case "${1:-setup}" in');
    expect(script.endsWith('\n')).toBe(true);
    const r = spawnSync('bash', ['-n'], { input: script, encoding: 'utf8' });
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
  });

  it('setup has each why as a comment above its command, in plan order', () => {
    const setup = body('setup');
    expect(setup[0]).toBe('  # why netns:n1');
    expect(setup[1]).toBe('  ip netns add n1');
    expect(setup).toContain('  ip link add v0 type veth peer name v1 netns n1');
    const order = PLAN.map((s) => setup.indexOf(`  # ${s.why}`));
    expect(order.every((i) => i >= 0)).toBe(true);
    expect([...order].sort((a, b) => a - b)).toEqual(order);
  });

  it('runs commands of other nodes through ip netns exec, and quotes words with spaces', () => {
    const setup = body('setup');
    expect(setup).toContain('  ip netns exec n1 ip addr add 10.0.0.1/24 dev v1');
    expect(setup).toContain("  sysctl -w 'net.ipv4.ping_group_range=0 2147483647'");
  });

  it('writes a service page and starts busybox httpd in the background', () => {
    const setup = body('setup');
    // The page ends with a newline, so its quoted word spans two lines.
    expect(script).toContain(`  mkdir -p /srv/nsplay/n1-8080 && printf '%s' 'it'\\''s n1\n' > /srv/nsplay/n1-8080/index.html\n`);
    expect(setup).toContain('  ip netns exec n1 busybox httpd -p 8080 -h /srv/nsplay/n1-8080');
    expect(setup.some((l) => l.includes('httpd -f'))).toBe(false);
  });

  it('links a container\'s namespace under /var/run/netns so ip netns exec reaches it', () => {
    const setup = body('setup');
    expect(setup).toContain('  docker run -d --network none --name web nginx:alpine');
    expect(setup).toContain("  pid=$(docker inspect -f '{{.State.Pid}}' web)");
    expect(setup).toContain('  mkdir -p /var/run/netns && ln -sfT "/proc/$pid/ns/net" /var/run/netns/web');
  });

  it('cleanup undoes in reverse, tolerates what is gone, and skips what deleting a namespace removes', () => {
    expect(body('cleanup')).toEqual([
      '  docker rm -f web || true',
      '  iptables -t nat -D POSTROUTING -s 10.0.0.0/24 -m comment --comment nsplay:t -j MASQUERADE || true',
      '  ip link del br0 || true',
      '  ip netns del n1 || true',
    ]);
    expect(cleanupSteps(PLAN).map((s) => s.id)).toEqual(['container:web', 'ipt:host/nat/POSTROUTING/x', 'bridge:host/br0', 'netns:n1']);
  });

  it('an empty plan is still a valid script with a no-op cleanup', () => {
    const empty = renderScript([]);
    expect(empty.split('cleanup() {\n')[1].startsWith('  :\n}')).toBe(true);
    expect(spawnSync('bash', ['-n'], { input: empty }).status).toBe(0);
  });

  it('commandLine shows a host step as typed and a namespace step behind ip netns exec', () => {
    expect(commandLine(PLAN[0])).toBe('ip netns add n1');
    expect(commandLine(PLAN[3])).toBe('ip netns exec n1 ip addr add 10.0.0.1/24 dev v1');
    expect(commandLine(PLAN[3], PLAN[3].undo!)).toBe('ip netns exec n1 ip addr del 10.0.0.1/24 dev v1');
  });

  it('a compiled plan with a service body full of shell syntax stays one quoted word', () => {
    const r = validateTopology({ nodes: [{ name: 'n1', kind: 'netns', services: [{ port: 80, body: "$(reboot) `id` 'quoted' \"dq\" ; rm -rf /" }] }] });
    expect(r.ok).toBe(true);
    if (!r.ok) return;
    const text = renderScript(compilePlan(r.value));
    const start = text.indexOf("printf '%s' ") + "printf '%s' ".length;
    const word = text.slice(start, text.indexOf(' > /srv/nsplay/n1-80/index.html', start));
    const echoed = spawnSync('bash', ['--noprofile', '--norc', '-c', `printf '%s' ${word}`], { encoding: 'utf8' });
    expect(echoed.stderr).toBe('');
    expect(echoed.stdout).toBe("$(reboot) `id` 'quoted' \"dq\" ; rm -rf /\n");
  });
});
