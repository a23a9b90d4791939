// What the kernel said to ping, curl and fping, read from their real output (iputils 20221126,
// curl 7.88, fping 5.1 on Debian 12).
import { describe, expect, it } from 'vitest';
import { fpingArgv, parseFping } from '../../server/probe/fping-parse.ts';
import { parseCurl, parsePing } from '../../server/probe/tool-parse.ts';

const out = (code: number, stdout: string, stderr = '') => ({ code, stdout, stderr });

describe('parsePing', () => {
  it('reads a reply and its round trip', () => {
    expect(parsePing(out(0, 'PING 10.0.0.102 (10.0.0.102) 56(84) bytes of data.\n64 bytes from 10.0.0.102: icmp_seq=1 ttl=64 time=0.285 ms\n\n--- 10.0.0.102 ping statistics ---\n1 packets transmitted, 1 received, 0% packet loss, time 0ms\n')))
      .toEqual({ kind: 'ok', rtt_ms: 0.285 });
  });

  it('reads "Network is unreachable" (no route at the source)', () => {
    expect(parsePing(out(2, '', 'ping: connect: Network is unreachable\n'))).toEqual({ kind: 'unreachable', message: 'ping: connect: Network is unreachable' });
  });

  it('reads an OUTPUT drop in the source itself', () => {
    expect(parsePing(out(1, 'PING 10.0.1.101 (10.0.1.101) 56(84) bytes of data.\n', 'ping: sendmsg: Operation not permitted\n')).kind).toBe('not-permitted');
  });

  it('reads ICMP errors from routers', () => {
    const text = (msg: string) => out(1, `PING 8.8.8.8 (8.8.8.8) 56(84) bytes of data.\nFrom 10.0.0.1 icmp_seq=1 ${msg}\n\n--- 8.8.8.8 ping statistics ---\n1 packets transmitted, 0 received, +1 errors, 100% packet loss, time 0ms\n`);
    expect(parsePing(text('Destination Port Unreachable'))).toMatchObject({ kind: 'icmp-error', from: '10.0.0.1', error: 'port-unreachable' });
    expect(parsePing(text('Destination Net Unreachable'))).toMatchObject({ error: 'net-unreachable' });
    expect(parsePing(text('Destination Host Unreachable'))).toMatchObject({ error: 'host-unreachable' });
    expect(parsePing(text('Packet filtered'))).toMatchObject({ error: 'filtered' });
  });

  it('reads a timeout', () => {
    expect(parsePing(out(1, 'PING 1.1.1.1 (1.1.1.1) 56(84) bytes of data.\n\n--- 1.1.1.1 ping statistics ---\n1 packets transmitted, 0 received, 100% packet loss, time 0ms\n')).kind).toBe('timeout');
  });
});

describe('parseCurl', () => {
  it('reads an HTTP answer with the connect time', () => {
    expect(parseCurl(out(0, '\n@@nsplay 200 0.000412 24\n', '* Connected to 8.8.8.8'))).toEqual({ kind: 'ok', rtt_ms: 0.412, http: { status: 200, bytes: 24 } });
  });

  it('counts a TCP connect without HTTP as reachable', () => {
    expect(parseCurl(out(52, '\n@@nsplay 000 0.000300 0\n', 'curl: (52) Empty reply from server'))).toEqual({ kind: 'ok', rtt_ms: 0.3 });
  });

  it('tells refused, unreachable and timed out apart', () => {
    expect(parseCurl(out(7, '\n@@nsplay 000 0.000000 0\n', '* connect to 10.0.0.1 port 81 failed: Connection refused\n* Failed to connect to 10.0.0.1 port 81 after 5 ms: Couldn\'t connect to server\n')).kind).toBe('refused');
    expect(parseCurl(out(7, '\n@@nsplay 000 0.000000 0\n', '* Immediate connect fail for 10.9.9.9: Network is unreachable\n')).kind).toBe('unreachable');
    expect(parseCurl(out(28, '\n@@nsplay 000 0.000000 0\n', '* ipv4 connect timeout after 500ms, move on!\n* Failed to connect to 10.0.0.77 port 80 after 513 ms: Timeout was reached\n')).kind).toBe('timeout');
  });
});

describe('fping', () => {
  it('reads the per-target summary of -C 1 -q', () => {
    const r = parseFping('10.0.0.1   : 0.082\n10.0.0.102 : 0.036\n1.1.1.1    : -\n');
    expect([...r.values()]).toEqual([
      { address: '10.0.0.1', ok: true, rtt_ms: 0.082 },
      { address: '10.0.0.102', ok: true, rtt_ms: 0.036 },
      { address: '1.1.1.1', ok: false },
    ]);
  });

  it('puts the addresses after --', () => {
    expect(fpingArgv(['10.0.0.1'], 150)).toEqual(['fping', '-C', '1', '-q', '-t', '150', '-i', '1', '-r', '0', '-B', '1', '--', '10.0.0.1']);
  });
});
