// Probe and matrix results as a terminal shows them.
import { describe, expect, it } from 'vitest';
import { formatMatrix, formatProbe } from '../../server/probe/format.ts';
import type { ProbeResult } from '../../server/probe/types.ts';

const base: ProbeResult = {
  ok: false, reason: 'no-return-path', hop: { node: 'internet', interface: 'eth0' }, evidence: 'kernel', ms: 900, proto: 'icmp',
  from: { node: 'netns1', address: '10.0.0.101' }, to: { input: '1.1.1.1', address: '1.1.1.1', node: 'internet' },
  detail: 'the request reached internet, but the reply to 10.0.0.101 cannot come back',
  path: [
    { node: 'netns1', interface: 'veth1', dir: 'out', leg: 'request' },
    { node: 'host', interface: 'enp0s3', dir: 'out', leg: 'request' },
    { node: 'internet', interface: 'eth0', dir: 'local', leg: 'request' },
  ],
};

describe('formatProbe', () => {
  it('says where and why, then the path it took', () => {
    expect(formatProbe(base)).toBe([
      '✗ netns1 (10.0.0.101) → 1.1.1.1: no-return-path at internet eth0',
      '  the request reached internet, but the reply to 10.0.0.101 cannot come back',
      '  request: netns1:veth1 → host:enp0s3 → internet:eth0 ✗',
      '',
    ].join('\n'));
  });

  it('shows rtt and HTTP for a reachable service', () => {
    const ok: ProbeResult = { ...base, ok: true, reason: undefined, hop: undefined, detail: undefined, rtt_ms: 0.4, proto: 'tcp',
      to: { input: 'netns2:8080', address: '10.0.1.101', port: 8080, node: 'netns2' }, http: { status: 200, bytes: 12 }, path: [] };
    expect(formatProbe(ok)).toBe('✓ netns1 (10.0.0.101) → netns2:8080 (10.0.1.101:8080): reachable, 0.4 ms, HTTP 200 (12 bytes)\n');
  });
});

describe('formatMatrix', () => {
  it('draws the table and lists the failing pairs with their reasons', () => {
    const text = formatMatrix({
      nodes: ['a', 'b'],
      cells: [
        { from: 'a', to: 'b', address: '10.0.0.2', ok: true, rtt_ms: 0.1 },
        { from: 'b', to: 'a', address: '10.0.0.1', ok: false, reason: 'no-route', hop: { node: 'b' }, detail: 'b has no route', evidence: 'walk' },
      ],
      ms: { total: 300, ping: 120, detail: 0 },
    });
    expect(text.split('\n').slice(0, 3).map((l) => l.split(/\s+/))).toEqual([['from', '\\', 'to', 'a', 'b'], ['a', '·', 'ok'], ['b', 'no-route', '·']]);
    expect(text).toContain('1/2 pairs reachable (300 ms; fping 120 ms)');
    expect(text).toContain('✗ b → a (10.0.0.1): no-route at b [route walk] — b has no route');
  });
});
