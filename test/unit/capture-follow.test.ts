// The writer tcpdump appends to the pcap file while nsplay follows it: the follower must hand over
// every whole record exactly once however the bytes land (a record cut in two by a read, many
// records in one read), and know the capture time of the last one (a stop waits for it). The
// tcpdump argv: filters after `--`, the writer in block mode with a full snapshot length, the
// display in immediate mode with a short one.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { writerArgv } from '../../server/capture/capture.ts';
import { DISPLAY_SNAPLEN, displayArgv } from '../../server/capture/display.ts';
import { PcapFollower } from '../../server/capture/pcap-follow.ts';
import { PcapSplitter } from '../../server/capture/pcap-stream.ts';

const pcap = fs.readFileSync(path.join(__dirname, '../fixtures/probe/any.pcap'));
const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'nsplay-follow-test-'));
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

describe('PcapFollower', () => {
  it('hands over every record of a growing file once, whatever the write sizes', () => {
    const all = new PcapSplitter().push(pcap);
    const file = path.join(dir, 'growing.pcap');
    const fd = fs.openSync(file, 'w+');
    const f = new PcapFollower(fd);
    const seen: number[] = [];
    f.read((bytes) => seen.push(bytes - 16));
    expect(seen).toEqual([]);
    expect(f.lastTimeMs).toBe(-1);
    for (let off = 0, step = 5; off < pcap.length; off += step, step = (step * 7) % 301 + 1) {
      fs.appendFileSync(file, pcap.subarray(off, off + step));
      f.read((bytes) => seen.push(bytes - 16));
    }
    expect(f.header).toHaveLength(24);
    expect(seen).toEqual(all.map((r) => r.capLen));
    const last = all[all.length - 1];
    expect(f.lastTimeMs).toBeCloseTo(last.tsSec * 1000 + last.tsFrac / 1000, 3);
    fs.closeSync(fd);
  });

  it('reads a file larger than one read in chunks, nothing lost at the seams', () => {
    const all = new PcapSplitter().push(pcap);
    const body = Buffer.concat(all.map((r) => r.bytes));
    const copies = Math.ceil((3 * 1024 * 1024) / body.length);
    const file = path.join(dir, 'big.pcap');
    fs.writeFileSync(file, Buffer.concat([pcap.subarray(0, 24), ...Array.from({ length: copies }, () => body)]));
    const fd = fs.openSync(file, 'r');
    let n = 0;
    new PcapFollower(fd).read(() => { n++; });
    expect(n).toBe(all.length * copies);
    fs.closeSync(fd);
  });
});

describe('tcpdump argv', () => {
  it('the writer: the pcap file, packet-buffered, block mode (no --immediate-mode), full snapshot length, filter after --', () => {
    const argv = writerArgv('veth1', '/tmp/x.pcap', 'icmp or arp', 2);
    expect(argv.slice(0, 5)).toEqual(['tcpdump', '-i', 'veth1', '-w', '/tmp/x.pcap']);
    expect(argv).toContain('-U');
    expect(argv).not.toContain('--immediate-mode');
    expect(argv).not.toContain('-s');
    expect(argv.slice(-4)).toEqual(['-c', '2', '--', 'icmp or arp']);
    expect(writerArgv('any', '/tmp/x.pcap', '  ').at(-1)).toBe('--');
  });

  it('the display: line-buffered summaries in immediate mode, short snapshot, filter after --', () => {
    const argv = displayArgv('br0', '-w /etc/passwd');
    expect(argv).toEqual(expect.arrayContaining(['-l', '-nn', '-tt', '-e', '--immediate-mode', '-s', String(DISPLAY_SNAPLEN)]));
    expect(argv).not.toContain('-w');
    expect(argv.indexOf('--')).toBe(argv.length - 2);
  });
});
