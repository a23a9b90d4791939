// observeNamespace with a fake runner that answers from output captured on a real kernel.
import { describe, expect, it } from 'vitest';
import { OBSERVE_COMMANDS, observeNamespace, parseSysctlOutput, type RunIn } from '../../server/observe/observe.ts';
import { fixtureRunner } from '../fixtures/kernel/runner.ts';

describe('observeNamespace', () => {
  it('runs every read-only command once in the node, sysctls in one call, and parses them', async () => {
    const calls: string[][] = [];
    const ns = await observeNamespace(fixtureRunner('applied', calls), 'netns1', { sysctlKeys: ['net.ipv4.ip_forward', 'net.ipv4.conf.all.rp_filter'], inode: 4026532315 });
    expect(calls.map((c) => c.join(' ')).sort()).toEqual([
      'netns1 ip -4 -j neigh show',
      'netns1 ip -4 -j route show table all',
      'netns1 ip -j -d addr show',
      'netns1 ip -j netns list-id',
      'netns1 ip -j rule show',
      'netns1 iptables-save',
      'netns1 ss -Hltn',
      'netns1 sysctl net.ipv4.ip_forward net.ipv4.conf.all.rp_filter',
    ]);
    expect(ns.node).toBe('netns1');
    expect(ns.inode).toBe(4026532315);
    expect(ns.links.map((l) => `${l.ifname}:${l.kind}:${l.addresses.join(',')}`)).toEqual(['lo:loopback:127.0.0.1/8', 'veth1:veth:10.0.0.101/24']);
    expect(ns.routes.filter((r) => r.table === 'main')).toEqual([
      { table: 'main', dst: 'default', type: 'unicast', gateway: '10.0.0.1', dev: 'veth1' },
      { table: 'main', dst: '10.0.0.0/24', type: 'unicast', dev: 'veth1', scope: 'link', prefsrc: '10.0.0.101', protocol: 'kernel' },
    ]);
    expect(ns.rules).toHaveLength(3);
    expect(ns.neighbors).toEqual([{ dev: 'veth1', address: '10.0.0.102', lladdr: 'fe:3d:b2:da:b4:f2', state: ['REACHABLE'] }]);
    expect(ns.sysctls).toEqual({ 'net.ipv4.ip_forward': '0', 'net.ipv4.conf.all.rp_filter': '0' });
    expect(ns.iptables).toEqual({ chains: {}, rules: {} });
    expect(ns.listening).toEqual([8080]);
    expect(ns.netnsIds).toEqual({});
  });

  it('starts all commands before any finishes', async () => {
    let started = 0;
    const release: (() => void)[] = [];
    const run: RunIn = (_node, _argv) => {
      started++;
      return new Promise((resolve) => release.push(() => resolve({ code: 0, stdout: '', stderr: '' })));
    };
    const pending = observeNamespace(run, 'host', { sysctlKeys: ['net.ipv4.ip_forward'] });
    await Promise.resolve();
    expect(started).toBe(Object.keys(OBSERVE_COMMANDS).length + 1);
    release.forEach((r) => r());
    await pending;
  });

  it('skips the sysctl call when no keys are asked for', async () => {
    const calls: string[][] = [];
    const ns = await observeNamespace(fixtureRunner('applied', calls), 'host');
    expect(calls.some((c) => c[1] === 'sysctl')).toBe(false);
    expect(ns.sysctls).toEqual({});
    expect(ns.iptables.chains.filter.FORWARD).toBe('DROP');
  });

  it('turns failing, throwing and garbage-printing commands into empty parts', async () => {
    const run: RunIn = async (_node, argv) => {
      if (argv[0] === 'iptables-save') throw new Error('spawn iptables-save ENOENT');
      if (argv[0] === 'ss') return { code: 0, stdout: 'Segmentation fault', stderr: '' };
      if (argv[0] === 'sysctl') return { code: 255, stdout: 'net.ipv4.ip_forward = 1\n', stderr: 'sysctl: cannot stat /proc/sys/net/nope' };
      return { code: 1, stdout: '[{"ifname":"half', stderr: 'Cannot open network namespace "gone"' };
    };
    await expect(observeNamespace(run, 'gone', { sysctlKeys: ['net.ipv4.ip_forward', 'net.nope'] })).resolves.toEqual({
      node: 'gone', links: [], routes: [], rules: [], neighbors: [],
      // sysctl exits non-zero when one key is unknown; the keys it could read still count.
      sysctls: { 'net.ipv4.ip_forward': '1' },
      iptables: { chains: {}, rules: {} }, listening: [], netnsIds: {},
    });
  });
});

describe('parseSysctlOutput', () => {
  it('pairs keys with values and folds whitespace', () => {
    expect(parseSysctlOutput('net.ipv4.ip_forward = 1\nnet.ipv4.ip_local_port_range = 32768\t60999\ngarbage\n = x\n'))
      .toEqual({ 'net.ipv4.ip_forward': '1', 'net.ipv4.ip_local_port_range': '32768 60999' });
  });
});
