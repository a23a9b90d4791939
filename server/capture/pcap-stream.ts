// Cutting a pcap byte stream (`tcpdump -w -`) into its global header and whole records, so a file can
// stop at a size cap on a record boundary and a sample of records can be fed to a decoder. No node: imports.

export interface PcapRecord {
  /** The record's bytes: 16-byte header + captured data. */
  bytes: Uint8Array;
  tsSec: number;
  tsFrac: number;
  capLen: number;
  origLen: number;
}

const MAGICS = new Set([0xa1b2c3d4, 0xa1b23c4d]); // microsecond, nanosecond
const MAX_RECORD = 256 * 1024 + 16;

export class PcapSplitter {
  header: Uint8Array | null = null;
  littleEndian = true;
  private buf: Uint8Array = new Uint8Array(0);
  /** Set when the stream is not a pcap (nothing more is parsed). */
  error: string | null = null;

  /** Feeds bytes; returns the whole records completed by them. */
  push(chunk: Uint8Array): PcapRecord[] {
    if (this.error) return [];
    this.buf = concat(this.buf, chunk);
    const out: PcapRecord[] = [];
    if (!this.header) {
      if (this.buf.length < 24) return out;
      const view = new DataView(this.buf.buffer, this.buf.byteOffset, 24);
      if (MAGICS.has(view.getUint32(0, true))) this.littleEndian = true;
      else if (MAGICS.has(view.getUint32(0, false))) this.littleEndian = false;
      else { this.error = 'not a pcap stream'; return out; }
      this.header = this.buf.slice(0, 24);
      this.buf = this.buf.slice(24);
    }
    let off = 0;
    while (this.buf.length - off >= 16) {
      const view = new DataView(this.buf.buffer, this.buf.byteOffset + off, 16);
      const capLen = view.getUint32(8, this.littleEndian);
      if (capLen > MAX_RECORD) { this.error = `pcap record of ${capLen} bytes`; break; }
      if (this.buf.length - off < 16 + capLen) break;
      out.push({
        bytes: this.buf.slice(off, off + 16 + capLen),
        tsSec: view.getUint32(0, this.littleEndian),
        tsFrac: view.getUint32(4, this.littleEndian),
        capLen,
        origLen: view.getUint32(12, this.littleEndian),
      });
      off += 16 + capLen;
    }
    this.buf = this.buf.slice(off);
    return out;
  }
}

function concat(a: Uint8Array, b: Uint8Array): Uint8Array {
  if (a.length === 0) return b;
  const out = new Uint8Array(a.length + b.length);
  out.set(a, 0);
  out.set(b, a.length);
  return out;
}
