// Following a pcap file that a tcpdump is writing (`-w FILE -U`): what was appended since the last
// look, walked record by record. nsplay reads through its own descriptor at its own pace: the file is
// the buffer, so a busy Node never makes the capturing tcpdump wait (and the kernel drop). Only sizes
// and times are needed (to count, to cap, to know when a stop has everything), so records are walked
// in place in one reused buffer: a flood costs no allocation per packet.
import fs from 'node:fs';

const CHUNK = 256 * 1024;
const MICRO = 0xa1b2c3d4;
const NANO = 0xa1b23c4d;
const MAX_RECORD = 256 * 1024 + 16;

export class PcapFollower {
  /** The 24-byte global header once read. */
  header: Uint8Array | null = null;
  /** Set when the file is not a pcap (nothing more is read). */
  error: string | null = null;
  /** Capture time of the last record read (ms since the epoch); -1 before the first. */
  lastTimeMs = -1;
  /** When the file last grew (performance.now()). */
  lastGrowth = performance.now();
  private readonly buf = Buffer.allocUnsafe(CHUNK + MAX_RECORD);
  /** Bytes at the start of buf that are the beginning of a record not yet complete. */
  private pending = 0;
  private offset = 0;
  private little = true;
  private nano = false;

  constructor(private readonly fd: number) {}

  /** Reads what is new (at most `maxBytes` a call); calls `onRecord` with each whole record's size (16-byte header included). */
  read(onRecord: (bytes: number) => void, maxBytes = 64 * CHUNK): void {
    for (let done = 0; done < maxBytes && !this.error;) {
      let n = 0;
      try { n = fs.readSync(this.fd, this.buf, this.pending, CHUNK, this.offset); } catch { return; }
      if (n <= 0) return;
      this.offset += n;
      done += n;
      this.lastGrowth = performance.now();
      this.walk(this.pending + n, onRecord);
      if (n < CHUNK) return;
    }
  }

  private walk(end: number, onRecord: (bytes: number) => void): void {
    const b = this.buf;
    let off = 0;
    if (!this.header) {
      if (end < 24) { this.pending = end; return; }
      const magic = b.readUInt32LE(0);
      if (magic === MICRO || magic === NANO) this.little = true;
      else if (b.readUInt32BE(0) === MICRO || b.readUInt32BE(0) === NANO) this.little = false;
      else { this.error = 'not a pcap file'; return; }
      this.nano = (this.little ? magic : b.readUInt32BE(0)) === NANO;
      this.header = new Uint8Array(b.subarray(0, 24));
      off = 24;
    }
    const u32 = (at: number) => (this.little ? b.readUInt32LE(at) : b.readUInt32BE(at));
    let last = -1;
    while (end - off >= 16) {
      const capLen = u32(off + 8);
      if (capLen > MAX_RECORD - 16) { this.error = `pcap record of ${capLen} bytes`; return; }
      if (end - off < 16 + capLen) break;
      last = off;
      onRecord(16 + capLen);
      off += 16 + capLen;
    }
    if (last >= 0) this.lastTimeMs = u32(last) * 1000 + u32(last + 4) / (this.nano ? 1e6 : 1e3);
    b.copyWithin(0, off, end);
    this.pending = end - off;
  }
}
