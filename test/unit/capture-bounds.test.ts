// A busy capture stays readable and bounded: the sampler shows at most `rate` packets a second (1 in
// N when busier), the queue holds at most its byte budget, the pcap splitter cuts on record
// boundaries, and filters are validated.
import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { checkCaptureIface, checkFilter } from '../../server/capture/filter.ts';
import { PcapSplitter } from '../../server/capture/pcap-stream.ts';
import { BoundedQueue, Sampler } from '../../server/capture/sampler.ts';

describe('Sampler', () => {
  it('shows everything while under the rate', () => {
    const s = new Sampler(200);
    for (let i = 0; i < 100; i++) expect(s.offer(i * 5)).toBe(true);
    expect(s.note()).toBeUndefined();
  });

  it('samples a flood 1 in N and says so', () => {
    const s = new Sampler(200);
    // 10,000 packets a second for 3 seconds.
    for (let i = 0; i < 30_000; i++) s.offer(i / 10);
    expect(s.total).toBe(30_000);
    expect(s.shown).toBeLessThanOrEqual(600);
    expect(s.shown).toBeGreaterThan(300);
    expect(s.sampling).toBe(50);
    expect(s.note()).toMatch(/^30,000 packets, showing 1 in \d+$/);
  });
});

describe('BoundedQueue', () => {
  it('drops the oldest beyond its budget and counts them', () => {
    const q = new BoundedQueue<string>(1000, (s) => s.length);
    for (let i = 0; i < 100; i++) q.push('x'.repeat(100));
    expect(q.bytes).toBeLessThanOrEqual(1000);
    expect(q.length).toBe(10);
    expect(q.dropped).toBe(90);
    expect(q.take(3)).toHaveLength(3);
    expect(q.take()).toHaveLength(7);
    expect(q.bytes).toBe(0);
  });
});

describe('PcapSplitter', () => {
  const pcap = fs.readFileSync(path.join(__dirname, '../fixtures/probe/any.pcap'));

  it('cuts a real pcap into its header and whole records, however the bytes arrive', () => {
    const whole = new PcapSplitter();
    const all = whole.push(pcap);
    expect(whole.header).toHaveLength(24);
    expect(all.length).toBeGreaterThan(20);
    expect(24 + all.reduce((n, r) => n + r.bytes.length, 0)).toBe(pcap.length);
    const bytewise = new PcapSplitter();
    const pieces = [];
    for (let i = 0; i < pcap.length; i += 7) pieces.push(...bytewise.push(pcap.subarray(i, i + 7)));
    expect(pieces.map((r) => r.capLen)).toEqual(all.map((r) => r.capLen));
  });

  it('refuses what is not a pcap', () => {
    const s = new PcapSplitter();
    expect(s.push(new TextEncoder().encode('this is not a pcap file at all'))).toEqual([]);
    expect(s.error).toBe('not a pcap stream');
  });
});

describe('checkFilter', () => {
  it.each(['', 'icmp', 'icmp or arp', 'tcp port 80 and host 10.0.0.1', 'net 10.0.0.0/24', 'tcp[13] & 2 != 0', 'ether host 7a:21:84:44:7a:6d', 'not (udp port 53)'])('accepts %j', (f) => {
    expect(checkFilter(f)).toBeNull();
  });

  it.each([
    ['-w /tmp/x', /starts with '-'/],
    ['  --version', /starts with '-'/],
    ['icmp; reboot', /';'/],
    ['$(reboot)', /'\$'/],
    ['icmp\nor arp', /\\x0a/],
    ['x'.repeat(600), /at most 512/],
  ])('rejects %j', (f, message) => {
    expect(checkFilter(f)).toMatch(message);
  });

  it('takes "any" or an interface name', () => {
    expect(checkCaptureIface('any')).toBeNull();
    expect(checkCaptureIface('veth0')).toBeNull();
    expect(checkCaptureIface('-i')).toMatch(/starts with '-'/);
  });
});
