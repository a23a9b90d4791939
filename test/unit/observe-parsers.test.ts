// Parsers fed with output captured from a real kernel (test/fixtures/kernel/capture.sh).
import { describe, expect, it } from 'vitest';
import {
  parseIpAddrJson, parseIpNeighJson, parseIpRouteJson, parseIpRuleJson, parseNetnsIds,
} from '../../server/observe/parse-ip.ts';
import { parseIptablesSave, tokenizeShell } from '../../server/observe/parse-iptables.ts';
import { parseListeningPorts } from '../../server/observe/parse-ss.ts';
import { canonicalSpec, ruleSpec } from '../../server/plan/iptables.ts';
import { IptablesRuleSchema } from '../../server/topology/schema.ts';
import { readFixture } from '../fixtures/kernel/runner.ts';

describe('parseIpAddrJson', () => {
  it('reads the host side: bridge, bridge ports, uplink veth, a same-namespace veth pair', () => {
    expect(parseIpAddrJson(readFixture('applied/host.addr.json'))).toEqual([
      { ifname: 'lo', ifindex: 1, kind: 'loopback', up: false, operUp: false, mac: '00:00:00:00:00:00', mtu: 65536, addresses: [] },
      { ifname: 'br0', ifindex: 2, kind: 'bridge', up: true, operUp: true, mac: '1a:5b:1e:89:c5:af', mtu: 1500, addresses: ['10.0.0.1/24'] },
      { ifname: 'veth0', ifindex: 3, kind: 'veth', up: true, operUp: true, mac: '82:de:8b:6b:15:2b', mtu: 1500, master: 'br0',
        peerIfindex: 2, linkNetnsid: 0, addresses: [] },
      // A bridge takes the lowest MAC of its ports: br0 and veth2 share one.
      { ifname: 'veth2', ifindex: 4, kind: 'veth', up: true, operUp: true, mac: '1a:5b:1e:89:c5:af', mtu: 1500, master: 'br0',
        peerIfindex: 2, linkNetnsid: 1, addresses: [] },
      { ifname: 'enp0s3', ifindex: 5, kind: 'veth', up: true, operUp: true, mac: 'de:63:f6:bb:69:65', mtu: 1500,
        peerIfindex: 2, linkNetnsid: 2, addresses: ['172.16.0.2/24'] },
      // Both ends in one namespace: ip names the peer ("link": "stray0") instead of giving link_index.
      { ifname: 'stray1', ifindex: 6, kind: 'veth', up: false, operUp: false, mac: '86:93:95:3a:6e:65', mtu: 1500, peerIfindex: 7, addresses: [] },
      { ifname: 'stray0', ifindex: 7, kind: 'veth', up: false, operUp: false, mac: '06:68:b8:ae:85:69', mtu: 1500, peerIfindex: 6, addresses: [] },
    ]);
  });

  it('reads a namespace side: loopback up with 127.0.0.1, the peer pointing back at the host ifindex', () => {
    expect(parseIpAddrJson(readFixture('applied/netns2.addr.json'))).toEqual([
      { ifname: 'lo', ifindex: 1, kind: 'loopback', up: true, operUp: true, mac: '00:00:00:00:00:00', mtu: 65536, addresses: ['127.0.0.1/8'] },
      { ifname: 'ceth0', ifindex: 2, kind: 'veth', up: true, operUp: true, mac: 'fe:3d:b2:da:b4:f2', mtu: 1400,
        peerIfindex: 4, linkNetnsid: 0, addresses: ['10.0.0.102/24'] },
    ]);
    const internet = parseIpAddrJson(readFixture('applied/internet.addr.json'));
    expect(internet.find((l) => l.ifname === 'lo')?.addresses).toEqual(['127.0.0.1/8', '1.1.1.1/32']);
  });

  it('sees a bridge without ports: admin up, no carrier, MAC zeroed', () => {
    const br0 = parseIpAddrJson(readFixture('drifted/host.addr.json')).find((l) => l.ifname === 'br0');
    expect(br0).toMatchObject({ up: true, operUp: false, mac: '00:00:00:00:00:00' });
  });
});

describe('parseIpRouteJson', () => {
  it('keeps IPv4 routes of every table, main by default, unicast by default', () => {
    expect(parseIpRouteJson(readFixture('applied/host.route.json'))).toEqual([
      { table: 'main', dst: 'default', type: 'unicast', gateway: '172.16.0.1', dev: 'enp0s3' },
      { table: 'main', dst: '10.0.0.0/24', type: 'unicast', dev: 'br0', scope: 'link', prefsrc: '10.0.0.1', protocol: 'kernel' },
      { table: 'main', dst: '11.0.0.99', type: 'unicast', dev: 'br0', scope: 'link' },
      { table: 'main', dst: '172.16.0.0/24', type: 'unicast', dev: 'enp0s3', scope: 'link', prefsrc: '172.16.0.2', protocol: 'kernel' },
      { table: 'local', dst: '10.0.0.1', type: 'local', dev: 'br0', scope: 'host', prefsrc: '10.0.0.1', protocol: 'kernel' },
      { table: 'local', dst: '10.0.0.255', type: 'broadcast', dev: 'br0', scope: 'link', prefsrc: '10.0.0.1', protocol: 'kernel' },
      { table: 'local', dst: '172.16.0.2', type: 'local', dev: 'enp0s3', scope: 'host', prefsrc: '172.16.0.2', protocol: 'kernel' },
      { table: 'local', dst: '172.16.0.255', type: 'broadcast', dev: 'enp0s3', scope: 'link', prefsrc: '172.16.0.2', protocol: 'kernel' },
    ]);
  });

  it('drops IPv6, including an IPv6 default route', () => {
    const v6 = JSON.stringify([
      { dst: 'default', gateway: 'fe80::1', dev: 'eth0', protocol: 'ra', metric: 1024, flags: [], pref: 'medium' },
      { dst: 'fe80::/64', dev: 'eth0', protocol: 'kernel', metric: 256, flags: [], pref: 'medium' },
      { type: 'local', dst: '::1', dev: 'lo', table: 'local', protocol: 'kernel', metric: 0, flags: [], pref: 'medium' },
      { dst: '192.168.1.0/24', dev: 'eth0', table: '100', metric: 5, flags: [] },
    ]);
    expect(parseIpRouteJson(v6)).toEqual([{ table: '100', dst: '192.168.1.0/24', type: 'unicast', dev: 'eth0', metric: 5 }]);
  });
});

describe('parseIpRuleJson, parseIpNeighJson, parseNetnsIds', () => {
  it('reads ip rules; a /32 selector is printed without its length', () => {
    expect(parseIpRuleJson(readFixture('applied/host.rule.json'))).toEqual([
      { priority: 0, from: 'all', table: 'local' },
      { priority: 512, from: 'all', to: '10.0.0.5', table: 'main' },
      { priority: 32766, from: 'all', table: 'main' },
      { priority: 32767, from: 'all', table: 'default' },
    ]);
    expect(parseIpRuleJson('[{"priority":100,"src":"10.0.0.0","srclen":24,"table":"7"},{"priority":9,"src":"all","action":"unreachable"}]'))
      .toEqual([{ priority: 100, from: '10.0.0.0/24', table: '7' }, { priority: 9, from: 'all', table: 'unreachable' }]);
  });

  it('reads static and learned neighbours with their NUD state', () => {
    expect(parseIpNeighJson(readFixture('applied/host.neigh.json')))
      .toEqual([{ dev: 'br0', address: '10.0.0.50', lladdr: '02:00:00:00:00:50', state: ['PERMANENT'] }]);
    expect(parseIpNeighJson(readFixture('applied/netns1.neigh.json')))
      .toEqual([{ dev: 'veth1', address: '10.0.0.102', lladdr: 'fe:3d:b2:da:b4:f2', state: ['REACHABLE'] }]);
    expect(parseIpNeighJson('[{"dst":"fe80::1","dev":"eth0","lladdr":"02:00:00:00:00:01","state":["STALE"]},{"dst":"10.0.0.9","dev":"eth0","state":["FAILED"]}]'))
      .toEqual([{ dev: 'eth0', address: '10.0.0.9', state: ['FAILED'] }]);
  });

  it('maps nsids to names only where ip can name them', () => {
    expect(parseNetnsIds(readFixture('applied/host.netns-ids.json'))).toEqual({ 0: 'netns1', 1: 'netns2', 2: 'internet' });
    // Seen from netns1 the host namespace has id 0 but no file under /run/netns.
    expect(parseNetnsIds(readFixture('applied/netns1.netns-ids.json'))).toEqual({});
    expect(parseNetnsIds(readFixture('drifted/host.netns-ids.json'))).toEqual({ 0: 'netns1', 2: 'internet' });
  });
});

describe('parseIptablesSave', () => {
  it('reads policies, user chains and rules per table', () => {
    const ipt = parseIptablesSave(readFixture('applied/host.iptables-save.txt'));
    expect(ipt.chains).toEqual({
      filter: { INPUT: 'ACCEPT', FORWARD: 'DROP', OUTPUT: 'ACCEPT' },
      nat: { PREROUTING: 'ACCEPT', INPUT: 'ACCEPT', OUTPUT: 'ACCEPT', POSTROUTING: 'ACCEPT', 'NSPLAY-LB': '-' },
    });
    expect(ipt.rules.filter).toEqual([
      { chain: 'INPUT', spec: '-p tcp -m tcp --dport 9 -m comment --comment name: "devops" id: "6bce" -j DROP' },
      { chain: 'FORWARD', spec: '-i br0 -m comment --comment nsplay:fx01 -j ACCEPT' },
      { chain: 'FORWARD', spec: '-o br0 -m comment --comment nsplay:fx01 -j ACCEPT' },
    ]);
    expect(ipt.rules.nat).toEqual([
      { chain: 'PREROUTING', spec: '-p tcp -m tcp --dport 8080 -m addrtype --dst-type LOCAL -m comment --comment nsplay:fx01 -j DNAT --to-destination 10.0.0.101:8080' },
      { chain: 'PREROUTING', spec: '-d 10.0.0.5/32 -p tcp -m tcp --dport 80 -m comment --comment nsplay:fx01 -j NSPLAY-LB' },
      { chain: 'POSTROUTING', spec: '-s 10.0.0.0/24 -o enp0s3 -m comment --comment nsplay:fx01 -j MASQUERADE' },
      { chain: 'NSPLAY-LB', spec: '-p tcp -m statistic --mode random --probability 0.33332999982 -m comment --comment nsplay:fx01 -j DNAT --to-destination 10.0.0.101:8080' },
      { chain: 'NSPLAY-LB', spec: '-p tcp -m statistic --mode nth --every 2 --packet 0 -m comment --comment nsplay:fx01 -j DNAT --to-destination 10.0.0.102:8080' },
      { chain: 'NSPLAY-LB', spec: '-p tcp -m comment --comment nsplay:fx01 -j DNAT --to-destination 10.0.0.101:8080' },
    ]);
  });

  it('gives the kernel rule the spec ruleSpec generated for it (after canonicalSpec)', () => {
    const rule = IptablesRuleSchema.parse({ table: 'nat', chain: 'NSPLAY-LB', protocol: 'tcp', statistic: { mode: 'random', probability: 0.33333 },
      jump: 'DNAT', toDestination: '10.0.0.101:8080' });
    const kernel = parseIptablesSave(readFixture('applied/host.iptables-save.txt')).rules.nat[3].spec;
    expect(canonicalSpec(kernel.split(' '))).toBe(canonicalSpec(ruleSpec(rule, 'nsplay:fx01')));
  });

  it('keeps the chains of a flushed table and drops its rules', () => {
    const ipt = parseIptablesSave(readFixture('drifted/host.iptables-save.txt'));
    expect(ipt.rules.nat).toEqual([]);
    expect(ipt.chains.nat['NSPLAY-LB']).toBe('-');
    expect(ipt.rules.filter).toHaveLength(3);
  });

  it('reads nothing from a namespace where iptables never ran', () => {
    expect(parseIptablesSave(readFixture('applied/netns1.iptables-save.txt'))).toEqual({ chains: {}, rules: {} });
  });

  it('tokenises like a shell', () => {
    expect(tokenizeShell('-A X -m comment --comment "name: \\"devops\\" id: \\"6bce\\"" -j DROP'))
      .toEqual(['-A', 'X', '-m', 'comment', '--comment', 'name: "devops" id: "6bce"', '-j', 'DROP']);
    expect(tokenizeShell(`  a  'b c'  "d\\\\e" f"g h"i ""`)).toEqual(['a', 'b c', 'd\\e', 'fg hi', '']);
    expect(tokenizeShell('x "unterminated')).toEqual(['x', 'unterminated']);
  });
});

describe('parseListeningPorts', () => {
  it('reads the port of busybox httpd listening in netns1', () => {
    expect(parseListeningPorts(readFixture('applied/netns1.ss.txt'))).toEqual([8080]);
    expect(parseListeningPorts(readFixture('applied/host.ss.txt'))).toEqual([]);
  });

  it('reads IPv4, IPv6 and scoped addresses, each port once, ascending', () => {
    const text = [
      'LISTEN 0      4096   127.0.0.53%lo:53        0.0.0.0:*',
      'LISTEN 0      511          0.0.0.0:80        0.0.0.0:*',
      'LISTEN 0      511             [::]:80           [::]:*',
      'LISTEN 0      128        10.0.0.1:22        0.0.0.0:*',
    ].join('\n');
    expect(parseListeningPorts(text)).toEqual([22, 53, 80]);
  });
});

describe('garbage in, empty out', () => {
  const garbage = ['', 'Cannot open network namespace "x": No such file or directory', '{"not":"an array"}', '[1, null, "x", {"ifname": 3}]', '[{"dst":', '\u0000\uffff'];
  it.each(garbage)('%j', (text) => {
    expect(parseIpAddrJson(text)).toEqual([]);
    expect(parseIpRouteJson(text)).toEqual([]);
    expect(parseIpRuleJson(text)).toEqual([]);
    expect(parseIpNeighJson(text)).toEqual([]);
    expect(parseNetnsIds(text)).toEqual({});
    expect(parseIptablesSave(text)).toEqual({ chains: {}, rules: {} });
    expect(parseListeningPorts(text)).toEqual([]);
  });

  it('skips iptables lines outside a table and rules without a chain', () => {
    expect(parseIptablesSave('-A INPUT -j DROP\n*filter\n:INPUT\n-A\nCOMMIT\n-A FORWARD -j DROP'))
      .toEqual({ chains: { filter: {} }, rules: { filter: [] } });
  });
});
