// A live capture on one interface of one node, as two tcpdumps inside the node (entered through the
// session's holder, stopped by PID; the session's destroy ends them too and the capture then ends on
// its own):
//   - the writer, `tcpdump -w FILE -U -B 4096` with tcpdump's defaults otherwise: the kernel packs
//     packets into 256 KiB blocks of a 4 MiB ring and hands a block over when it is full or after
//     tcpdump's 1 s timeout; tcpdump appends the records to the file. No pipe and no Node on this
//     path, so a busy Node never makes it wait and the kernel drop: under `ping -f` it captures what a
//     bare `tcpdump -w /dev/null` captures. Full snapshot length (262144): 64 KiB GSO aggregates on a
//     veth are whole in the pcap. Not --immediate-mode: there the ring has one slot per packet sized
//     by the snapshot length (512 KiB on a veth with offloads: 8 packets in 4 MiB), and it dropped
//     half a flood. nsplay follows the growing file (what is new every 50 ms) to count the records
//     and to enforce the size cap: past it the writer is stopped (by PID) and the file is cut back to
//     the last whole record under the cap — every packet up to the cap is in it (pcapCapped); the
//     summaries go on until the capture is stopped. Without a pcapFile the file is a temporary one,
//     removed at the end.
//   - the display (display.ts), `tcpdump -l --immediate-mode -s 512`: one-line summaries as packets
//     arrive, read at a bounded pace and sampled (at most ratePerSec) into a 1 MiB queue for the page.
// Stopping waits for the writer's last block (≤ 1 s: the kernel's block timeout), or a stop would lose
// the packets of the block still open.
import crypto from 'node:crypto';
import { EventEmitter } from 'node:events';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { Engine } from '../session/types.ts';
import { checkNodeName } from '../topology/names.ts';
import { startHelper, type Helper } from '../probe/helpers.ts';
import { displayArgv, startDisplay, type DisplayProcess } from './display.ts';
import { checkCaptureIface, checkFilter } from './filter.ts';
import { parseTcpdumpLine, type PacketSummary } from './parse-tcpdump.ts';
import { PcapFollower } from './pcap-follow.ts';
import { BoundedQueue, Sampler } from './sampler.ts';

export interface CaptureOptions {
  /** BPF filter (validated; passed after `--`). */
  filter?: string;
  /** Write every packet here (pcap) until `pcapMaxBytes` (then the capture ends); default a temporary file, removed at the end. */
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
  /** Lost for the display: the page's buffer was full. */
  dropped: number;
  /** tcpdump's "packets dropped by kernel" (known when it stops). */
  kernelDropped: number;
  pcapPackets: number;
  pcapBytes: number;
  /** The pcap reached its size cap: the capture stopped there (every packet before it is in the file). */
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
  /** PIDs of its two tcpdumps (writing the pcap, decoding for the display). */
  pids: number[];
  stats(): CaptureStats;
  /** 'packets' (PacketBatch) every flushMs while there are new ones (early ones on a quiet link); 'end' (CaptureStats) once. */
  on(event: 'packets', fn: (b: PacketBatch) => void): Capture;
  on(event: 'end', fn: (s: CaptureStats) => void): Capture;
  off(event: 'packets' | 'end', fn: (...a: never[]) => void): Capture;
  /** Batches until the capture ends (for a reader without listeners). */
  [Symbol.asyncIterator](): AsyncIterator<PacketBatch>;
  /** Lets the writer hand over its last block, stops both tcpdumps by PID, closes the pcap. */
  stop(): Promise<CaptureStats>;
  /** stop() was called (it takes up to ~1 s to hand over the last block): no longer counts against a session's limit. */
  stopRequested(): boolean;
  ended: Promise<CaptureStats>;
}

export class CaptureInputError extends Error {
  constructor(message: string) { super(message); this.name = 'CaptureInputError'; }
}

const DEFAULT_PCAP_MAX = 64 * 1024 * 1024;
/**
 * A quiet link's packets are not held for the next flushMs tick: a summary goes out EAGER_MS after it
 * was read (so a ping's reply, a millisecond behind its request, travels with it), up to EAGER_PER_SEC
 * such early batches a second, and only while the link is quiet (≤ 2 × EAGER_PER_SEC lines so far this
 * second): a flood waits for the ticks, sampled, as before.
 */
const EAGER_MS = 2;
const EAGER_PER_SEC = 25;
/** tcpdump's packet buffer timeout (fixed in tcpdump): the kernel hands over a part-filled block after it. */
const BLOCK_TIMEOUT_MS = 1000;
const FOLLOW_MS = 50;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

export function writerArgv(iface: string, file: string, filter: string, count?: number): string[] {
  return ['tcpdump', '-i', iface, '-w', file, '-U', '-B', '4096', '-Z', 'root', ...(count ? ['-c', String(count)] : []), '--', ...(filter.trim() ? [filter] : [])];
}

export async function startCapture(engine: Engine, sessionId: string, node: string, iface: string, filter = '', o: CaptureOptions = {}): Promise<Capture> {
  const problem = checkNodeName(node) ?? checkCaptureIface(iface) ?? checkFilter(filter);
  if (problem) throw new CaptureInputError(problem);
  if (o.count !== undefined && (!Number.isInteger(o.count) || o.count < 1 || o.count > 10_000_000)) throw new CaptureInputError('--count must be a whole number from 1');
  const id = crypto.randomBytes(4).toString('hex');
  const emitter = new EventEmitter();
  const rate = o.ratePerSec ?? 200;
  const flushMs = o.flushMs ?? 100;
  const sampler = new Sampler(rate);
  const queue = new BoundedQueue<PacketSummary>(o.bufferBytes ?? 1024 * 1024, (p) => 64 + p.info.length + p.src.length + p.dst.length);
  const pcapMax = Math.max(o.pcapMaxBytes ?? DEFAULT_PCAP_MAX, 24);
  const tmpDir = o.pcapFile ? null : fs.mkdtempSync(path.join(os.tmpdir(), 'nsplay-capture-'));
  const file = o.pcapFile ?? path.join(tmpDir!, 'capture.pcap');
  // Made here, by us, before tcpdump opens (and truncates) it; read through our own descriptor.
  const fd = fs.openSync(file, 'w+', 0o644);
  const follower = new PcapFollower(fd);
  const st = { packets: 0, shown: 0, kernelDropped: 0, pcapPackets: 0, pcapBytes: 0, pcapCapped: false, running: true };
  // Packets, display lines and summaries at the start of the last full second, for "1 in N right now".
  let window = { at: performance.now(), packets: 0, lines: 0, shown: 0, every: 1 };
  const cleanupFile = () => {
    try { fs.closeSync(fd); } catch { /* closed */ }
    if (tmpDir) fs.rmSync(tmpDir, { recursive: true, force: true });
  };

  // The writer's count lags the display by up to a block (≤ 1 s): until it catches up, what the
  // display read and did not show is the figure.
  const sampledOut = () => Math.max(st.packets - st.shown - queue.dropped, sampler.sampledOut, 0);
  const sampling = () => (sampledOut() > 0 ? Math.max(sampler.sampling, window.every) : 1);
  const stats = (): CaptureStats => ({
    packets: st.pcapCapped ? Math.max(st.packets, sampler.total) : st.packets, shown: st.shown, sampledOut: sampledOut(), dropped: queue.dropped,
    kernelDropped: st.kernelDropped, pcapPackets: st.pcapPackets, pcapBytes: st.pcapBytes, pcapCapped: st.pcapCapped,
    running: st.running, sampling: sampling(),
  });
  const note = () => {
    if (sampledOut() === 0) return undefined;
    const seen = Math.max(st.packets, sampler.total);
    return `${seen.toLocaleString('en-US')} packets, showing 1 in ${Math.max(sampling(), Math.round(seen / Math.max(st.shown, 1)))}`;
  };

  // At most about ratePerSec KiB of lines a second are read from the display tcpdump (≈ 5 lines per shown one).
  const budgetBytes = Math.max(16 * 1024, Math.round((rate * 1024 * flushMs) / 1000));
  let eagerTimer: NodeJS.Timeout | undefined;
  let eagerWindow = { at: 0, n: 0 };
  let emitNow = () => { /* set below, once batches can be made */ };
  const eager = () => {
    if (eagerTimer) return;
    if (sampler.total - window.lines > 2 * EAGER_PER_SEC) return; // a busy link this second: the ticks will do
    const now = performance.now();
    if (now - eagerWindow.at >= 1000) eagerWindow = { at: now, n: 0 };
    if (eagerWindow.n >= EAGER_PER_SEC) return;
    eagerWindow.n++;
    eagerTimer = setTimeout(() => { eagerTimer = undefined; emitNow(); }, EAGER_MS);
  };
  let display: DisplayProcess;
  try {
    display = await startDisplay(engine, sessionId, node, displayArgv(iface, filter, o.count), {
      budgetBytes,
      onLine: (line) => {
        if (!line || !sampler.offer(Date.now())) return;
        const p = parseTcpdumpLine(line, iface);
        if (!p) return;
        st.shown++;
        queue.push(p);
        eager();
      },
    });
  } catch (e) {
    cleanupFile();
    throw e;
  }

  let writer: Helper | undefined;
  // Once, by PID: a second SIGTERM could end tcpdump before it prints its "dropped by kernel" line.
  let killing: Promise<void> | undefined;
  const killWriter = () => (killing ??= writer?.stop(2000) ?? Promise.resolve());
  const onRecord = (bytes: number) => {
    if (st.pcapBytes === 0 && follower.header) st.pcapBytes = follower.header.length;
    st.packets++;
    if (!st.pcapCapped && st.pcapBytes + bytes <= pcapMax) {
      st.pcapBytes += bytes;
      st.pcapPackets++;
    } else if (!st.pcapCapped) {
      st.pcapCapped = true;
      void killWriter(); // the file is full: stop writing now; the file is cut back at the end
    }
  };

  try {
    writer = await startHelper(engine, sessionId, node, writerArgv(iface, file, filter, o.count), { maxLines: 1 });
  } catch (e) {
    await display.stop();
    cleanupFile();
    throw e;
  }
  const listening = (l: string) => l.includes('listening on');
  const [writing, showing] = await Promise.all([writer.waitFor(listening, 5000, 'stderr'), display.waitForStderr(listening, 5000)]);
  if (!writing || !showing) {
    await Promise.all([writer.stop(), display.stop()]);
    cleanupFile();
    const stderr = (writing ? display.stderr() : writer.stderr()).trim();
    const why = stderr.split('\n').filter((l) => !listening(l)).pop();
    throw new CaptureInputError(`tcpdump could not capture on ${iface} in ${node}: ${why || 'no answer'}`);
  }
  const w: Helper = writer;
  let follow: NodeJS.Timeout | undefined;
  const tick = () => { follower.read(onRecord); follow = setTimeout(tick, FOLLOW_MS); };
  tick();

  const batch = (): PacketBatch => {
    const b: PacketBatch = { captureId: id, packets: queue.take(), stats: stats() };
    const n = note();
    if (n) b.note = n;
    return b;
  };
  const flush = () => {
    display.nextInterval();
    const now = performance.now();
    if (now - window.at >= 1000) {
      // The writer's count arrives a block at a time: the display's own count smooths a busy second.
      const packets = Math.max(st.packets - window.packets, sampler.total - window.lines);
      const shown = st.shown - window.shown;
      const every = shown > 0 ? Math.max(1, Math.round(packets / shown)) : Math.max(1, packets);
      window = { at: now, packets: st.packets, lines: sampler.total, shown: st.shown, every };
    }
    emitNow();
  };
  emitNow = () => {
    if (queue.length === 0 || emitter.listenerCount('packets') === 0) return;
    emitter.emit('packets', batch());
  };
  const timer = setInterval(flush, flushMs);

  let finished = false;
  let stopping: Promise<void> | undefined;
  const ended: Promise<CaptureStats> = (async () => {
    while (!w.exited()) await sleep(20);
    clearTimeout(follow);
    follower.read(onRecord, Infinity); // the last records the writer wrote before exiting
    const m = /(\d+) packets? dropped by kernel/.exec(w.stderr());
    if (m) st.kernelDropped = Number(m[1]);
    // Past the cap: cut the file back to the last whole record that fits.
    if (st.pcapCapped) { try { fs.ftruncateSync(fd, st.pcapBytes); } catch { /* the file ends where it ends */ } }
    // The pcap is full, but the page still watches: the summaries go on until the capture is stopped
    // (or the display's own --count ends it); packets are counted from the display from here on.
    while (st.pcapCapped && !stopping && !display.exited()) await sleep(50);
    // Not running from here on: before the display tcpdump is signalled, so no one sees both tcpdumps gone
    // and the capture still running.
    st.running = false;
    // The display has shown what it will (it decodes as packets arrive); what is in its pipe is read.
    await display.stop(500);
    // Past the cap the display's own count at exit is the figure (what its filter received).
    const received = /(\d+) packets? received by filter/.exec(display.stderr());
    if (st.pcapCapped && received) st.packets = Math.max(st.packets, Number(received[1]));
    clearInterval(timer);
    clearTimeout(eagerTimer);
    flush();
    cleanupFile();
    finished = true;
    const final = stats();
    emitter.emit('end', final);
    return final;
  })();

  // The writer's last block reaches the file when it is full or after the block timeout: wait for a
  // record from after the stop, or for the timeout and a quiet file, then stop it by PID.
  const stopWriter = async () => {
    const t = Date.now();
    for (;;) {
      if (w.exited() || killing) break;
      follower.read(onRecord);
      const waited = Date.now() - t;
      if (follower.lastTimeMs >= t) break;
      if (waited >= BLOCK_TIMEOUT_MS + 150 && performance.now() - follower.lastGrowth >= 150) break;
      if (waited >= BLOCK_TIMEOUT_MS + 2000) break;
      await sleep(FOLLOW_MS);
    }
    await killWriter();
  };

  const self: Capture = {
    id, sessionId, node, iface, filter, ...(o.pcapFile ? { pcapFile: o.pcapFile } : {}),
    pids: [w.pid, display.pid],
    stats,
    on(event: string, fn: (...a: never[]) => void) { emitter.on(event, fn as never); return self; },
    off(event: string, fn: (...a: never[]) => void) { emitter.off(event, fn as never); return self; },
    stopRequested: () => stopping !== undefined,
    async stop() {
      stopping ??= stopWriter();
      await stopping;
      return ended;
    },
    ended,
    [Symbol.asyncIterator]() {
      return {
        async next(): Promise<IteratorResult<PacketBatch>> {
          for (;;) {
            if (queue.length > 0) return { value: batch(), done: false };
            if (finished) return { value: undefined, done: true };
            await sleep(flushMs);
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
