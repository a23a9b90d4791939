// xtables-monitor --trace output captured in three namespaces of lab 3 (test/fixtures/probe/
// xtables-trace-*.txt): netns1 pings 1.1.1.1 (MASQUERADEd, answered) and 8.8.8.8 (dropped by a host
// FORWARD rule). The request is followed by its IP ID across namespaces, the reply likewise.
import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { followFlow } from '../../server/probe/trace-flow.ts';
import { parseXtablesTrace, verdictOf } from '../../server/probe/trace-parse.ts';
import { staleTraceRules, traceRules, traceTag } from '../../server/probe/trace.ts';

const fixture = (node: string) => fs.readFileSync(path.join(__dirname, '../fixtures/probe', `xtables-trace-${node}.txt`), 'utf8');
const traces = Object.fromEntries(['netns1', 'host', 'internet'].map((n) => [n, parseXtablesTrace(fixture(n))]));

describe('parseXtablesTrace', () => {
  it('reads packets with their hooks, addresses and verdicts', () => {
    const host = traces.host;
    expect(host[0]).toMatchObject({ in: 'br0', src: '10.0.0.101', dst: '1.1.1.1', ipId: 43294 });
    expect(verdictOf(host[0])).toEqual({ hook: 'PREROUTING', dropped: false });
    const drop = host.find((p) => verdictOf(p).dropped)!;
    expect(verdictOf(drop)).toMatchObject({ hook: 'FORWARD', by: { table: 'filter', chain: 'FORWARD', kind: 'rule', verdict: 'DROP', rule: '-A FORWARD -d 8.8.8.8/32 -j DROP' } });
  });

  it('reads policies, jumps and REJECT (reported by nf_tables as DROP)', () => {
    const text = [
      'PACKET: 2 df7b3bca IN=br0 OUT=enp0s3 MACSRC=7a:21:84:44:7a:6d SRC=10.0.0.101 DST=1.1.1.1 LEN=60 TOS=0x0 TTL=63 ID=23208 DF SPORT=53540 DPORT=80 SYN ',
      ' TRACE: 2 df7b3bca filter:FORWARD:rule:0x7:JUMP:MYCH  -4 -t filter -A FORWARD -j MYCH',
      ' TRACE: 2 df7b3bca filter:MYCH:rule:0x6:DROP  -4 -t filter -A MYCH -d 8.8.8.8/32 -j REJECT --reject-with icmp-port-unreachable',
      'PACKET: 2 495bfc6a IN=br0 OUT=br0 SRC=10.0.0.101 DST=10.0.0.102 LEN=84 TOS=0x0 TTL=64 ID=10449 DF ',
      ' TRACE: 2 495bfc6a filter:FORWARD:policy:DROP ',
    ].join('\n');
    const [tcp, bridged] = parseXtablesTrace(text);
    expect(tcp).toMatchObject({ sport: 53540, dport: 80, flags: ['SYN'] });
    expect(tcp.steps[0]).toMatchObject({ verdict: 'JUMP', rule: '-A FORWARD -j MYCH' });
    expect(verdictOf(tcp)).toMatchObject({ hook: 'FORWARD', dropped: true, by: { chain: 'MYCH', verdict: 'REJECT' } });
    expect(verdictOf(bridged)).toMatchObject({ hook: 'FORWARD', dropped: true, by: { kind: 'policy', verdict: 'DROP' } });
  });

  it('ignores what is not a trace', () => {
    expect(parseXtablesTrace(' EVENT: -4 -t raw -A PREROUTING -j TRACE\nNEWGEN: GENID=15 PID=1 NAME=iptables\n')).toEqual([]);
  });
});

describe('followFlow', () => {
  it('follows a MASQUERADEd ping out and its reply back, by IP ID', () => {
    const ft = followFlow(traces, { from: 'netns1', dst: '1.1.1.1', proto: 'icmp' });
    expect(ft.request.ipId).toBe(43294);
    expect([...new Set(ft.request.seen.map((s) => s.node))].sort()).toEqual(['host', 'internet', 'netns1']);
    expect(ft.request.dropped).toBeUndefined();
    expect(ft.reply.ipId).toBe(62239);
    expect(ft.reply.seen.some((s) => s.node === 'host' && s.packet.dst === '10.0.0.101')).toBe(true);
  });

  it('finds where the dropped ping died', () => {
    const ft = followFlow(traces, { from: 'netns1', dst: '8.8.8.8', proto: 'icmp' });
    expect(ft.request.dropped).toMatchObject({ node: 'host', hook: 'FORWARD', step: { rule: '-A FORWARD -d 8.8.8.8/32 -j DROP' } });
    expect(ft.reply.seen).toEqual([]);
  });
});

describe('TRACE rules', () => {
  it('are tagged with the owning PID and the probe id, and removed by the same spec', () => {
    const tag = traceTag('ab12cd34', 4242);
    expect(tag).toBe('nsplay-probe:4242.ab12cd34');
    expect(traceRules(tag, 'icmp', '-I')).toBe(
      '*raw\n-I PREROUTING 1 -p icmp -m comment --comment nsplay-probe:4242.ab12cd34 -j TRACE\n-I OUTPUT 1 -p icmp -m comment --comment nsplay-probe:4242.ab12cd34 -j TRACE\nCOMMIT\n');
    expect(traceRules(tag, 'tcp', '-D')).toContain('-D OUTPUT -p tcp -m comment');
  });

  it('left by a dead process are found for removal; live ones and the user\'s own rules are not', () => {
    const raw = {
      host: [
        { chain: 'PREROUTING', spec: '-p icmp -m comment --comment nsplay-probe:111.aa -j TRACE' },
        { chain: 'OUTPUT', spec: '-p icmp -m comment --comment nsplay-probe:222.bb -j TRACE' },
        { chain: 'PREROUTING', spec: '-p icmp -j TRACE' },
      ],
    };
    expect(staleTraceRules(raw, (pid) => pid === 222)).toEqual([{ node: 'host', chain: 'PREROUTING', spec: '-p icmp -m comment --comment nsplay-probe:111.aa -j TRACE' }]);
  });
});
