// How the kernel's answer and the route walk combine into a probe result: the kernel decides whether
// it worked and, when it can tell, where it died; the walk explains. States from the catalogue.
import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { NetView } from '../../server/probe/netview.ts';
import { parseXtablesTrace } from '../../server/probe/trace-parse.ts';
import type { Hop } from '../../server/probe/types.ts';
import { decide, truncatePath, type DecideInput } from '../../server/probe/verdict.ts';
import { walkFlow } from '../../server/probe/walk.ts';

function viewOf(name: string, which: 'broken' | 'fixed'): NetView {
  const s = JSON.parse(fs.readFileSync(path.join(__dirname, '../fixtures/probe/states', `${name}.${which}.json`), 'utf8'));
  return new NetView(s.observed, s.bridges);
}

function input(view: NetView, dst: string, kernel: DecideInput['kernel']): DecideInput {
  const walk = walkFlow(view, { from: 'netns1', dst, proto: 'icmp' });
  return { view, walk, from: 'netns1', src: walk.src, dst, proto: 'icmp', kernel };
}

const fixed = viewOf('forward-drop-rule', 'fixed');
const broken = viewOf('forward-drop-rule', 'broken');

describe('decide', () => {
  it('ok when the kernel got an answer, with its rtt and the walked path', () => {
    const d = decide(input(fixed, '10.0.1.101', { outcome: { kind: 'ok', rtt_ms: 0.1 } }));
    expect(d).toMatchObject({ ok: true, rtt_ms: 0.1, evidence: 'kernel' });
    expect(d.reason).toBeUndefined();
    expect(d.path.at(-1)).toMatchObject({ node: 'netns1', dir: 'local', leg: 'reply' });
  });

  it('trusts the kernel over the walk, and says they disagree', () => {
    const d = decide(input(broken, '10.0.1.101', { outcome: { kind: 'ok', rtt_ms: 0.2 } }));
    expect(d.ok).toBe(true);
    expect(d.detail).toMatch(/predicted forward-drop/);
  });

  it('takes the drop from the TRACE verdict, the rule as the kernel printed it', () => {
    const trace = parseXtablesTrace([
      'PACKET: 2 aa IN=veth0 OUT=veth2 SRC=10.0.0.101 DST=10.0.1.101 LEN=84 TOS=0x0 TTL=63 ID=7 DF ',
      ' TRACE: 2 aa filter:FORWARD:rule:0x3:DROP  -4 -t filter -A FORWARD -d 10.0.1.101/32 -j DROP',
    ].join('\n'));
    const out = parseXtablesTrace([
      'PACKET: 2 bb OUT=veth1 SRC=10.0.0.101 DST=10.0.1.101 LEN=84 TOS=0x0 TTL=64 ID=7 DF ',
      ' TRACE: 2 bb raw:OUTPUT:rule:0x2:CONTINUE  -4 -t raw -A OUTPUT -p icmp -m comment --comment "nsplay-probe:x" -j TRACE',
    ].join('\n'));
    const d = decide(input(broken, '10.0.1.101', { outcome: { kind: 'timeout', message: '' }, traces: { netns1: out, host: trace } }));
    expect(d).toMatchObject({ ok: false, reason: 'forward-drop', hop: { node: 'host', interface: 'veth0' }, evidence: 'kernel',
      drop: { node: 'host', table: 'filter', chain: 'FORWARD', rule: '-A FORWARD -d 10.0.1.101/32 -j DROP', verdict: 'DROP', leg: 'request' } });
    expect(d.path.map((h) => h.node)).toEqual(['netns1', 'host']);
  });

  it('follows the kernel when it got further than the walk predicted: the reply was lost', () => {
    const t = (lines: string[]) => parseXtablesTrace(lines.join('\n'));
    const traces = {
      netns1: t(['PACKET: 2 a1 OUT=veth1 SRC=10.0.0.101 DST=10.0.1.101 LEN=84 TOS=0x0 TTL=64 ID=9 DF ', ' TRACE: 2 a1 raw:OUTPUT:policy:ACCEPT ']),
      host: t(['PACKET: 2 b1 IN=veth0 SRC=10.0.0.101 DST=10.0.1.101 LEN=84 TOS=0x0 TTL=64 ID=9 DF ', ' TRACE: 2 b1 raw:PREROUTING:policy:ACCEPT ']),
      netns2: t([
        'PACKET: 2 c1 IN=veth3 SRC=10.0.0.101 DST=10.0.1.101 LEN=84 TOS=0x0 TTL=63 ID=9 DF ', ' TRACE: 2 c1 raw:PREROUTING:policy:ACCEPT ',
        'PACKET: 2 c2 OUT=veth3 SRC=10.0.1.101 DST=10.0.0.101 LEN=84 TOS=0x0 TTL=64 ID=44 ', ' TRACE: 2 c2 raw:OUTPUT:policy:ACCEPT ',
      ]),
    };
    const d = decide(input(broken, '10.0.1.101', { outcome: { kind: 'timeout', message: '' }, traces }));
    expect(d).toMatchObject({ ok: false, reason: 'no-return-path', hop: { node: 'netns2', interface: 'veth3' }, evidence: 'kernel' });
  });

  it('"Network is unreachable" at the source is no-route there', () => {
    const d = decide(input(fixed, '172.16.9.9', { outcome: { kind: 'unreachable', message: 'ping: connect: Network is unreachable' } }));
    expect(d).toMatchObject({ ok: false, reason: 'no-route', hop: { node: 'netns1' } });
  });

  it('an ICMP "net unreachable" names the router that sent it', () => {
    const d = decide(input(fixed, '172.16.9.9', { outcome: { kind: 'icmp-error', from: '10.0.0.201', error: 'net-unreachable', message: 'From 10.0.0.201 icmp_seq=1 Destination Net Unreachable' } }));
    expect(d).toMatchObject({ reason: 'no-route', hop: { node: 'host' } });
  });

  it('unanswered ARP on a tap is arp-failed there', () => {
    const d = decide(input(fixed, '10.0.0.77', {
      outcome: { kind: 'timeout', message: '' },
      taps: [{ node: 'netns1', ifname: 'veth1', packets: [{ t: 1, iface: 'veth1', src: '10.0.0.101', dst: '10.0.0.77', proto: 'ARP', info: 'Request who-has 10.0.0.77 tell 10.0.0.101' }] }],
    }));
    expect(d).toMatchObject({ reason: 'arp-failed', hop: { node: 'netns1', interface: 'veth1' }, evidence: 'kernel' });
  });

  it('falls back to the walk, and says so, when the kernel only timed out', () => {
    const d = decide(input(broken, '10.0.1.101', { outcome: { kind: 'timeout', message: '' } }));
    expect(d).toMatchObject({ reason: 'forward-drop', evidence: 'walk' });
    const unknown = decide(input(fixed, '10.0.1.101', { outcome: { kind: 'timeout', message: '' } }));
    expect(unknown).toMatchObject({ reason: 'timeout', evidence: 'walk' });
  });
});

describe('truncatePath', () => {
  const p = (node: string, leg: 'request' | 'reply'): Hop => ({ node, dir: 'in', leg });
  it('cuts the path after the last hop at the node it died at, on its leg', () => {
    const path = [p('a', 'request'), p('b', 'request'), p('c', 'request'), p('c', 'reply'), p('b', 'reply')];
    expect(truncatePath(path, { node: 'b' }, 'request')).toEqual(path.slice(0, 2));
    expect(truncatePath(path, { node: 'c' }, 'reply')).toEqual(path.slice(0, 4));
  });
});
