// A live capture on one interface of one node. One tcpdump captures (`-w -`, packet-buffered); nsplay
// cuts its pcap stream into records, writes every record to the pcap file up to a size cap, and feeds
// a rate-limited sample to a second tcpdump (`-r -`) that decodes them into one-line summaries.
// Both run inside the node (entered through the session's holder) and are stopped by PID; the
// session's destroy ends them too, and the capture then ends on its own.
import crypto from 'node:crypto';
import { EventEmitter } from 'node:events';
import fs from 'node:fs';
import type { Engine } from '../session/types.ts';
import { checkNodeName } from '../topology/names.ts';
import { startHelper, type Helper } from '../probe/helpers.ts';
import { checkCaptureIface, checkFilter } from './filter.ts';
import { parseTcpdumpLine, type PacketSummary } from './parse-tcpdump.ts';
import { PcapSplitter } from './pcap-stream.ts';
import { BoundedQueue, Sampler } from './sampler.ts';

export interface CaptureOptions {
  /** BPF filter (validated; passed after `--`). */
  filter?: string;
  /** Write every packet here (pcap) until `pcapMaxBytes`. */
  pcapFile?: string;
  pcapMaxBytes?: number;
  /** Stop after this many packets. */
  count?: number;
  /** Summaries per second shown at most (default 200); busier links are sampled 1 in N. */
  ratePerSec?: number;
  /** Summaries held for a slow reader (default 1 MiB); older ones are dropped and counted. */
  bufferBytes?: number;
  /** How often 'packets' batches are emitted (default 100 ms). */
  flushMs?: number;
}

export interface CaptureStats {
  /** Packets tcpdump captured (every one, shown or not). */
  packets: number;
  /** Summaries delivered. */
  shown: number;
  /** Not shown because of the rate limit (still in the pcap). */
  sampledOut: number;
  /** Lost for the display: the decoder was busy or the buffer full. */
  dropped: number;
  /** tcpdump's "packets dropped by kernel" (known when it stops). */
  kernelDropped: number;
  pcapPackets: number;
  pcapBytes: number;
  /** The pcap reached its size cap; later packets are not in it. */
  pcapCapped: boolean;
  running: boolean;
  /** 1 in N shown right now. */
  sampling: number;
}

export interface PacketBatch {
  captureId: string;
  packets: PacketSummary[];
  stats: CaptureStats;
  /** "12,403 packets, showing 1 in 50" while sampling. */
  note?: string;
}

export interface Capture {
  id: string;
  sessionId: string;
  node: string;
  iface: string;
  filter: string;
  pcapFile?: string;
  /** PIDs of its two tcpdumps (capturing, decoding). */
  pids: number[];
  stats(): CaptureStats;
  /** 'packets' (PacketBatch) every flushMs while there are new ones; 'end' (CaptureStats) once. */
  on(event: 'packets', fn: (b: PacketBatch) => void): Capture;
  on(event: 'end', fn: (s: CaptureStats) => void): Capture;
  off(event: 'packets' | 'end', fn: (...a: never[]) => void): Capture;
  /** Batches until the capture ends (for a reader without listeners). */
  [Symbol.asyncIterator](): AsyncIterator<PacketBatch>;
  /** Kills the capturing tcpdump by PID, lets the decoder finish, closes the pcap. */
  stop(): Promise<CaptureStats>;
  ended: Promise<CaptureStats>;
}

export class CaptureInputError extends Error {
  constructor(message: string) { super(message); this.name = 'CaptureInputError'; }
}

const DEFAULT_PCAP_MAX = 64 * 1024 * 1024;

export async function startCapture(engine: Engine, sessionId: string, node: string, iface: string, filter = '', o: CaptureOptions = {}): Promise<Capture> {
  const problem = checkNodeName(node) ?? checkCaptureIface(iface) ?? checkFilter(filter);
  if (problem) throw new CaptureInputError(problem);
  if (o.count !== undefined && (!Number.isInteger(o.count) || o.count < 1 || o.count > 10_000_000)) throw new CaptureInputError('--count must be a whole number from 1');
  const id = crypto.randomBytes(4).toString('hex');
  const emitter = new EventEmitter();
  const sampler = new Sampler(o.ratePerSec ?? 200);
  const queue = new BoundedQueue<PacketSummary>(o.bufferBytes ?? 1024 * 1024, (p) => 64 + p.info.length + p.src.length + p.dst.length);
  const splitter = new PcapSplitter();
  const pcapMax = o.pcapMaxBytes ?? DEFAULT_PCAP_MAX;
  const fd = o.pcapFile ? fs.openSync(o.pcapFile, 'w', 0o644) : null;
  const st = { packets: 0, shown: 0, decoderDrops: 0, kernelDropped: 0, pcapPackets: 0, pcapBytes: 0, pcapCapped: false, running: true };
  let decoderBusy = false;
  let headerSent = false;

  const stats = (): CaptureStats => ({
    packets: st.packets, shown: st.shown, sampledOut: sampler.sampledOut, dropped: st.decoderDrops + queue.dropped,
    kernelDropped: st.kernelDropped, pcapPackets: st.pcapPackets, pcapBytes: st.pcapBytes, pcapCapped: st.pcapCapped,
    running: st.running, sampling: sampler.sampling,
  });

  const decoder: Helper = await startHelper(engine, sessionId, node, ['tcpdump', '-r', '-', '-l', '-nn', '-tt', '-e'], {
    stdin: true, maxLines: 1,
    onLine: (line) => {
      const p = parseTcpdumpLine(line, iface);
      if (!p) return;
      st.shown++;
      queue.push(p);
    },
  });
  decoder.input?.on('drain', () => { decoderBusy = false; });

  const writePcap = (parts: Uint8Array[]) => {
    if (fd === null || parts.length === 0) return;
    try { fs.writeSync(fd, Buffer.concat(parts)); } catch { /* disk full: the file ends here */ }
  };

  const onData = (chunk: Buffer) => {
    const records = splitter.push(chunk);
    const toFile: Uint8Array[] = [];
    if (splitter.header && !headerSent) {
      headerSent = true;
      toFile.push(splitter.header);
      st.pcapBytes += splitter.header.length;
      decoder.input?.write(splitter.header);
    }
    const now = Date.now();
    for (const r of records) {
      st.packets++;
      if (st.pcapBytes + r.bytes.length <= pcapMax) {
        toFile.push(r.bytes);
        st.pcapBytes += r.bytes.length;
        st.pcapPackets++;
      } else st.pcapCapped = true;
      if (!sampler.offer(now)) continue;
      if (decoderBusy || !decoder.input || decoder.exited()) { st.decoderDrops++; continue; }
      if (!decoder.input.write(r.bytes)) decoderBusy = true;
    }
    writePcap(toFile);
  };

  let capture: Helper;
  try {
    capture = await startHelper(engine, sessionId, node,
      ['tcpdump', '-i', iface, '-w', '-', '-U', '--immediate-mode', '-B', '4096', ...(o.count ? ['-c', String(o.count)] : []), '--', ...(filter.trim() ? [filter] : [])],
      { onData });
  } catch (e) {
    await decoder.stop();
    if (fd !== null) fs.closeSync(fd);
    throw e;
  }
  const listening = await capture.waitFor((l) => l.includes('listening on'), 5000, 'stderr');
  if (!listening) {
    await Promise.all([capture.stop(), decoder.stop()]);
    if (fd !== null) fs.closeSync(fd);
    const why = capture.stderr().trim().split('\n').filter((l) => !l.includes('listening on')).pop();
    throw new CaptureInputError(`tcpdump could not capture on ${iface} in ${node}: ${why || 'no answer'}`);
  }

  const flush = () => {
    if (queue.length === 0 || emitter.listenerCount('packets') === 0) return;
    const batch: PacketBatch = { captureId: id, packets: queue.take(), stats: stats() };
    const note = sampler.note();
    if (note) batch.note = note;
    emitter.emit('packets', batch);
  };
  const timer = setInterval(flush, o.flushMs ?? 100);

  const ended: Promise<CaptureStats> = (async () => {
    await new Promise<void>((resolve) => {
      const check = () => (capture.exited() ? resolve() : setTimeout(check, 20));
      check();
    });
    const m = /(\d+) packets? dropped by kernel/.exec(capture.stderr());
    if (m) st.kernelDropped = Number(m[1]);
    // The decoder gets the rest, then end-of-input; a stuck one is killed after a second.
    decoder.input?.end();
    const killer = setTimeout(() => void decoder.stop(100), 1000);
    await decoder.stop(1000).catch(() => undefined);
    clearTimeout(killer);
    clearInterval(timer);
    st.running = false;
    flush();
    if (fd !== null) fs.closeSync(fd);
    const final = stats();
    emitter.emit('end', final);
    return final;
  })();

  const self: Capture = {
    id, sessionId, node, iface, filter, ...(o.pcapFile ? { pcapFile: o.pcapFile } : {}),
    pids: [capture.pid, decoder.pid],
    stats,
    on(event: string, fn: (...a: never[]) => void) { emitter.on(event, fn as never); return self; },
    off(event: string, fn: (...a: never[]) => void) { emitter.off(event, fn as never); return self; },
    async stop() {
      await capture.stop(500);
      return ended;
    },
    ended,
    [Symbol.asyncIterator]() {
      return {
        async next(): Promise<IteratorResult<PacketBatch>> {
          for (;;) {
            if (queue.length > 0) {
              const batch: PacketBatch = { captureId: id, packets: queue.take(), stats: stats() };
              const note = sampler.note();
              if (note) batch.note = note;
              return { value: batch, done: false };
            }
            if (!st.running) return { value: undefined, done: true };
            await new Promise((r) => setTimeout(r, o.flushMs ?? 100));
          }
        },
        async return(): Promise<IteratorResult<PacketBatch>> {
          await self.stop();
          return { value: undefined, done: true };
        },
      };
    },
  };
  return self;
}
