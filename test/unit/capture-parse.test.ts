// tcpdump lines captured on lab 3 (test/fixtures/probe/tcpdump-*.txt): ARP, ICMP, TCP with HTTP, UDP
// and an ICMP error, on one interface with -e and on "any" with and without -e.
import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { formatSummary, parseTcpdumpLine } from '../../server/capture/parse-tcpdump.ts';

const lines = (name: string) => fs.readFileSync(path.join(__dirname, '../fixtures/probe', name), 'utf8').split('\n').filter(Boolean);

describe('parseTcpdumpLine', () => {
  it('reads every line of a real capture (no "?" protocols)', () => {
    for (const f of ['tcpdump-e.txt', 'tcpdump-any.txt', 'tcpdump-any-e.txt']) {
      const parsed = lines(f).map((l) => parseTcpdumpLine(l, 'br0'));
      expect(parsed.every((p) => p !== null), f).toBe(true);
      expect(parsed.filter((p) => p!.proto === '?').map((p) => p!.info), f).toEqual([]);
    }
  });

  it('reads ARP request and reply with -e', () => {
    const [req, rep] = lines('tcpdump-e.txt').map((l) => parseTcpdumpLine(l, 'br0')!);
    expect(req).toEqual({
      t: 1795829933.75104, iface: 'br0', src: '10.0.0.101', dst: '10.0.0.102', proto: 'ARP', info: 'Request who-has 10.0.0.102 tell 10.0.0.101',
      srcMac: '7a:21:84:44:7a:6d', dstMac: 'ff:ff:ff:ff:ff:ff', length: 42,
    });
    expect(rep).toMatchObject({ src: '10.0.0.102', proto: 'ARP', info: 'Reply 10.0.0.102 is-at 5e:d3:5a:79:c4:69' });
  });

  it('reads ICMP, TCP (ports joined with ":", options dropped) and UDP', () => {
    const all = lines('tcpdump-e.txt').map((l) => parseTcpdumpLine(l, 'br0')!);
    expect(all[2]).toMatchObject({ src: '10.0.0.101', dst: '10.0.0.102', proto: 'ICMP', info: 'echo request, id 3352, seq 1, length 64' });
    const syn = all.find((p) => p.proto === 'TCP')!;
    expect(syn).toMatchObject({ src: '10.0.0.101:47606', dst: '1.1.1.1:80', info: 'Flags [S], seq 3876882813, win 64240, length 0' });
    expect(all.find((p) => p.info.includes('HTTP: GET'))).toMatchObject({ proto: 'TCP' });
    expect(all.find((p) => p.dst === '10.0.0.102:53')).toMatchObject({ proto: 'UDP' });
    expect(all.find((p) => p.info.includes('unreachable'))).toMatchObject({ proto: 'ICMP', src: '10.0.0.102' });
  });

  it('takes the interface and direction from an "any" capture', () => {
    const [first, second] = lines('tcpdump-any.txt').map((l) => parseTcpdumpLine(l, 'any')!);
    expect(first).toMatchObject({ iface: 'veth0', dir: 'B', proto: 'ARP' });
    expect(second).toMatchObject({ iface: 'veth2', dir: 'Out' });
    const withE = lines('tcpdump-any-e.txt').map((l) => parseTcpdumpLine(l, 'any')!);
    expect(withE[6]).toMatchObject({ iface: 'veth0', dir: 'P', src: '10.0.0.101', dst: '10.0.0.102', proto: 'ICMP', srcMac: '7a:21:84:44:7a:6d', length: 104 });
  });

  it('never throws on strange input', () => {
    expect(parseTcpdumpLine('tcpdump: listening on br0', 'br0')).toBeNull();
    expect(parseTcpdumpLine('1795829933.751040 LLDP, length 40', 'br0')).toMatchObject({ proto: '?', info: 'LLDP, length 40' });
    expect(parseTcpdumpLine('1795829933.751040 IP6 fe80::1 > ff02::2: ICMP6, router solicitation, length 16', 'br0')).toMatchObject({ proto: 'ICMPv6', src: 'fe80::1' });
  });

  it('formats a summary as one line', () => {
    const p = parseTcpdumpLine(lines('tcpdump-e.txt')[2], 'br0')!;
    expect(formatSummary(p)).toMatch(/^\d\d:\d\d:\d\d\.751118 br0 ICMP 10\.0\.0\.101 > 10\.0\.0\.102: echo request, id 3352, seq 1, length 64$/);
  });
});
