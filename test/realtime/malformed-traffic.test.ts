// Gate 8 (issue 7): malformed traffic. For 20 s in `npm test` (10 minutes with NSPLAY_SOAK=1, or
// NSPLAY_FUZZ_SECONDS=N), ~1,000 events/s of garbage reach the socket.io server (fake engine, real
// shells for the terminals each fuzz client holds): every contract event with wrong types, missing and
// extra fields, NaN / negative / huge / fractional terminal sizes, lone surrogates, NUL, __proto__
// keys, binary attachments, deep nesting, strings up to 200 KB; unknown and reserved event names; raw
// websocket frames with invalid UTF-8, invalid JSON (a literal NaN), and unknown packet types; and,
// every 2 s, a client sending a frame over the 5 MiB limit. It must hold: the process stays up, no
// unhandled rejection or uncaught exception, heap flat (after a forced GC: end vs. the first quarter,
// figure printed), every oversized frame and every invalid raw frame closes only its own socket while
// the fuzz clients and a witness client stay connected and the witness's acks keep coming.
import crypto from 'node:crypto';
import net from 'node:net';
import v8 from 'node:v8';
import vm from 'node:vm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CLIENT_EVENTS } from '../../server/realtime/contract.ts';
import { createFakeEngine } from './fake-engine.ts';
import { request, startServer, waitFor, type Client, type Harness } from './harness.ts';

const SECONDS = Number(process.env.NSPLAY_FUZZ_SECONDS ?? (process.env.NSPLAY_SOAK === '1' ? 600 : 20));
const RATE = 1000; // events per second, paced by the clock
const FUZZERS = 4;

v8.setFlagsFromString('--expose-gc');
const gc = vm.runInNewContext('gc') as () => void;
const heapAfterGc = () => { gc(); gc(); return process.memoryUsage().heapUsed; };
const MiB = (b: number) => (b / 2 ** 20).toFixed(1);

// A seeded generator: the same traffic every run, so a failure can be replayed.
let seed = 0x2545f491;
const rand = () => ((seed = (Math.imul(seed ^ (seed >>> 15), 0x2c1b3c6d) + 0x6d2b79f5) >>> 0) / 2 ** 32);
const pick = <T,>(xs: readonly T[]): T => xs[Math.floor(rand() * xs.length)];

const SIZES = [Number.NaN, -1, 0, -0, 1.5, 501, 1e9, 2 ** 31, 2 ** 53, Number.MAX_VALUE, Infinity, -Infinity, '80', null, undefined, true, [], {}];
const FIELDS = ['id', 'cols', 'rows', 'node', 'data', 'bytes', 'topology', 'path', 'lab', 'token', 'from', 'to', 'nodes', 'captureId', 'filter', 'iface', 'step', '__proto__', 'constructor'];

function junkString(): string {
  switch (Math.floor(rand() * 8)) {
    case 0: return '';
    case 1: return '\ud800\udfff\udc00'.slice(Math.floor(rand() * 3)); // lone surrogates
    case 2: return 'a\u0000b\u0000';
    case 3: return rand() < 0.2 ? 'x'.repeat(rand() < 0.1 ? 200_000 : 70_000) : 'x'.repeat(300); // some over term:input's 64 KiB
    case 4: return '../'.repeat(20) + 'etc/passwd';
    case 5: return '%s%d%n-\n#\u202e';
    case 6: return 'f'.repeat(32);
    default: return String.fromCharCode(...Array.from({ length: 16 }, () => Math.floor(rand() * 0xffff)));
  }
}

function junk(depth = 0): unknown {
  switch (Math.floor(rand() * 12)) {
    case 0: return null;
    case 1: return undefined;
    case 2: return pick(SIZES);
    case 3: return junkString();
    case 4: return rand() < 0.5;
    case 5: return Buffer.from(junkString()); // a binary attachment
    case 6: return depth > 3 ? [] : Array.from({ length: Math.floor(rand() * 4) }, () => junk(depth + 1));
    case 7: { let o: unknown = {}; for (let i = 0; i < 60; i++) o = { a: o }; return o; }
    case 8: return JSON.parse('{"__proto__":{"polluted":true},"constructor":{"prototype":{"polluted":true}}}');
    default: {
      if (depth > 3) return {};
      const o: Record<string, unknown> = {};
      for (let i = Math.floor(rand() * 4); i >= 0; i--) o[pick(FIELDS)] = junk(depth + 1);
      return o;
    }
  }
}

/** A payload for EVENT: mostly near-valid shapes with one part wrong, sometimes anything at all. */
function payloadFor(event: string, termId: number): unknown {
  if (rand() < 0.3) return junk();
  switch (event) {
    // Never valid: a real shell would start (term:open) or a real tcpdump (capture:start).
    case 'term:open': return { node: pick(['host', 'n1', '-x', '']), cols: pick(SIZES), rows: pick(SIZES) };
    case 'capture:start': return { node: 'host', iface: 'x'.repeat(16 + Math.floor(rand() * 10)), filter: junk() };
    // Sizes on the client's own live terminal: NaN, negative, huge — and sometimes a valid one.
    case 'term:resize': return { id: pick([termId, termId, 0, -1, 1e300, Number.NaN]), cols: pick([...SIZES, 80, 500]), rows: pick([...SIZES, 24, 1]) };
    case 'term:ack': return { id: pick([termId, 99_999]), bytes: pick([...SIZES, 2 ** 31 + 1, 100]) };
    // Never typed into the client's real shell: an unknown terminal or a malformed field.
    case 'term:input': return { id: pick([99_999, Number.NaN, '1', -5]), data: junk() };
    case 'term:close': return { id: pick([99_999, Number.NaN, 0, termId + 1000]) };
    case 'topology:apply': case 'topology:preview':
      return { topology: pick([junk(), { version: 1, nodes: junk(), links: [] }, { version: 1, nodes: [{ name: junkString(), kind: 'netns' }], links: [] }]) };
    case 'session:open': return { lab: junk(), token: pick(['f'.repeat(32), junkString()]) };
    default: {
      const o: Record<string, unknown> = {};
      for (let i = Math.floor(rand() * 3); i >= 0; i--) o[pick(FIELDS)] = junk();
      return o;
    }
  }
}

const UNKNOWN = ['nope', '', 'term:open ', 'TERM:OPEN', 'constructor', '__proto__', 'hasOwnProperty', 'x'.repeat(10_000), 'session:*'];

/** A hand-made websocket to engine.io: lets the test send bytes socket.io-client never would. */
class RawSocket {
  private sock: net.Socket;
  closed = false;
  opened: Promise<void>;
  private buf = Buffer.alloc(0);

  constructor(url: string) {
    const { port } = new URL(url);
    this.sock = net.connect(Number(port), '127.0.0.1');
    this.sock.on('error', () => { this.closed = true; });
    this.sock.on('close', () => { this.closed = true; });
    this.opened = new Promise((resolve, fail) => {
      const key = crypto.randomBytes(16).toString('base64');
      this.sock.once('connect', () => this.sock.write([
        'GET /socket.io/?EIO=4&transport=websocket HTTP/1.1', `Host: 127.0.0.1:${port}`, 'Upgrade: websocket', 'Connection: Upgrade',
        `Sec-WebSocket-Key: ${key}`, 'Sec-WebSocket-Version: 13', '', ''].join('\r\n')));
      this.sock.on('data', (d) => {
        this.buf = Buffer.concat([this.buf, d]);
        // Switched, and engine.io's open packet (`0{"sid":…}`) arrived: join the default namespace.
        const headEnd = this.buf.indexOf('\r\n\r\n');
        if (headEnd > 0 && this.buf.includes('101 Switching') && this.buf.includes('"sid"')) {
          this.sock.removeAllListeners('data');
          this.buf = this.buf.subarray(headEnd + 4);
          this.sock.on('data', (more) => { this.buf = Buffer.concat([this.buf, more]); this.frames(); });
          this.frames();
          this.text(Buffer.from('40'));
          resolve();
        }
      });
      this.sock.once('close', () => fail(new Error('raw socket closed before the handshake')));
    });
    this.opened.catch(() => undefined);
  }

  /** Reads the server's (unmasked) frames; a close frame records its status code. */
  private frames(): void {
    while (this.buf.length >= 2) {
      let len = this.buf[1] & 0x7f;
      let at = 2;
      if (len === 126) { if (this.buf.length < 4) return; len = this.buf.readUInt16BE(2); at = 4; }
      else if (len === 127) { if (this.buf.length < 10) return; len = Number(this.buf.readBigUInt64BE(2)); at = 10; }
      if (this.buf.length < at + len) return;
      if ((this.buf[0] & 0x0f) === 0x8) this.closeCode = len >= 2 ? this.buf.readUInt16BE(at) : 1005;
      this.buf = this.buf.subarray(at + len);
    }
  }

  /** The status code of the server's close frame, once it sent one. */
  closeCode: number | null = null;
  get closedByServer(): boolean { return this.closeCode !== null || this.closed; }

  /** One masked text frame carrying exactly these bytes (valid UTF-8 or not). */
  text(payload: Buffer): void {
    const mask = crypto.randomBytes(4);
    const len = payload.length;
    const head = len < 126 ? Buffer.from([0x81, 0x80 | len]) : Buffer.from([0x81, 0x80 | 126, len >> 8, len & 0xff]);
    const body = Buffer.from(payload.map((b, i) => b ^ mask[i % 4]));
    if (!this.closed) this.sock.write(Buffer.concat([head, mask, body]));
  }

  destroy(): void { this.sock.destroy(); }
}

const RAW_FRAMES: [string, Buffer][] = [
  ['invalid UTF-8', Buffer.concat([Buffer.from('42["term:input",{"id":1,"data":"'), Buffer.from([0xff, 0xfe, 0xc0, 0x80]), Buffer.from('"}]')])],
  ['NaN (not JSON)', Buffer.from('42["term:resize",{"id":1,"cols":NaN,"rows":-Infinity}]')],
  ['truncated JSON', Buffer.from('42["labs:list",{}')],
  ['unknown engine.io type', Buffer.from('9')],
  ['unknown socket.io type', Buffer.from('47["x"]')],
  ['reserved event "disconnect"', Buffer.from('42["disconnect","forged"]')],
  ['ack never asked for', Buffer.from('43999["labs:list"]')],
  ['placeholder without attachment', Buffer.from('451-["term:input",{"_placeholder":true,"num":7}]')],
];

let h: Harness;
const unhandled: unknown[] = [];
const onUnhandled = (e: unknown) => { unhandled.push(e); };

beforeAll(async () => {
  process.on('unhandledRejection', onUnhandled);
  process.on('uncaughtException', onUnhandled);
  h = await startServer({ engine: createFakeEngine(), graceMs: 200, pollMs: 1000 });
});

afterAll(async () => {
  process.off('unhandledRejection', onUnhandled);
  process.off('uncaughtException', onUnhandled);
  await h?.close();
});

async function clientWithTerminal(): Promise<{ c: Client; term: number }> {
  const c = await h.client();
  expect((await request(c, 'session:open', {})).ok).toBe(true);
  const t = await request<{ id: number }>(c, 'term:open', { node: 'host', cols: 80, rows: 24 });
  if (!t.ok) throw new Error(t.error);
  c.on('term:data', (p) => c.emit('term:ack', { id: p.id, bytes: Buffer.byteLength(p.data) }));
  return { c, term: t.data.id };
}

describe('gate 8: malformed traffic', () => {
  it(`survives ${SECONDS} s of random events at ~1,000/s; oversized and invalid frames close only their own socket`, async () => {
    const fuzzers = await Promise.all(Array.from({ length: FUZZERS }, clientWithTerminal));
    const witness = await clientWithTerminal();
    const witnessDisconnects: string[] = [];
    witness.c.on('disconnect', (r) => witnessDisconnects.push(r));
    const fuzzDisconnects: string[] = [];
    for (const f of fuzzers) f.c.on('disconnect', (r) => fuzzDisconnects.push(r));
    const eventNames = [...CLIENT_EVENTS, ...UNKNOWN];

    const stats = { sent: 0, acked: 0, clientRefused: 0, oversized: 0, oversizedClosed: 0, raw: 0, rawClosed: 0, witnessAsked: 0, witnessAcks: 0, witnessWorstMs: 0 };
    const heap: { t: number; bytes: number }[] = [];
    const started = Date.now();
    const end = started + SECONDS * 1000;
    const pendingChecks: Promise<void>[] = [];
    const rawOutcomes = new Map<string, Set<string>>();

    let attempted = 0;
    let nextRaw = started;
    let nextBig = started + 1000;
    let nextWitness = started;
    let nextHeap = started + 500;
    while (Date.now() < end) {
      const now = Date.now();
      const due = Math.min(200, Math.floor(((now - started) * RATE) / 1000) - attempted);
      for (let i = 0; i < due; i++) {
        attempted += 1;
        const f = fuzzers[Math.floor(rand() * FUZZERS)];
        const event = pick(eventNames);
        const payload = payloadFor(event, f.term);
        try {
          const emitter = f.c as unknown as { timeout(ms: number): { emit(e: string, ...a: unknown[]): void }; emit(e: string, ...a: unknown[]): void };
          if (rand() < 0.5) emitter.timeout(3000).emit(event, payload, (err: unknown) => { if (!err) stats.acked += 1; });
          else if (rand() < 0.5) emitter.emit(event, payload);
          else emitter.emit(event, payload, junk(), junk()); // extra arguments
          stats.sent += 1;
        } catch { stats.clientRefused += 1; /* socket.io-client refuses reserved names itself */ }
      }
      // Every 250 ms a raw socket sends one bad frame: it must be closed (or ignored), never the server.
      if (now >= nextRaw) {
        nextRaw += 250;
        const raw = new RawSocket(h.url);
        const [kind, frame] = RAW_FRAMES[stats.raw % RAW_FRAMES.length];
        stats.raw += 1;
        pendingChecks.push(raw.opened.then(async () => {
          raw.text(frame);
          // (a server busy at load 15 has closed them after ~1.5 s)
          await waitFor(() => raw.closedByServer, 5000).catch(() => undefined);
          const outcome = raw.closeCode !== null ? `closed ${raw.closeCode}` : raw.closed ? 'closed' : 'ignored';
          if (raw.closedByServer) stats.rawClosed += 1;
          rawOutcomes.set(kind, new Set([...(rawOutcomes.get(kind) ?? []), outcome]));
          raw.destroy();
        }, () => { raw.destroy(); }));
      }
      // Every 2 s a client sends a frame over the 5 MiB limit: that socket, and only it, is closed.
      if (now >= nextBig) {
        nextBig += 2000;
        stats.oversized += 1;
        pendingChecks.push((async () => {
          const big = await h.client();
          const closed = new Promise<string>((r) => big.once('disconnect', (reason) => r(reason)));
          big.emit('term:input', { id: 1, data: 'x'.repeat(5 * 1024 * 1024 + 1024) });
          const reason = await Promise.race([closed, new Promise<string>((r) => setTimeout(() => r('still open'), 5000))]);
          if (reason !== 'still open') stats.oversizedClosed += 1;
          big.disconnect();
        })());
      }
      // Every 500 ms the witness asks something and must be answered.
      if (now >= nextWitness) {
        nextWitness += 500;
        const t0 = Date.now();
        stats.witnessAsked += 1;
        pendingChecks.push(request(witness.c, 'labs:list', {}, 5000).then((a) => {
          if (a.ok) stats.witnessAcks += 1;
          stats.witnessWorstMs = Math.max(stats.witnessWorstMs, Date.now() - t0);
        }, () => undefined));
      }
      if (now >= nextHeap) {
        nextHeap += SECONDS > 60 ? 5000 : 1000;
        heap.push({ t: now - started, bytes: heapAfterGc() });
      }
      await new Promise((r) => setTimeout(r, 5));
    }
    await Promise.all(pendingChecks);

    // Still up and answering: the witness, every fuzzer, and a brand-new client.
    expect(witnessDisconnects).toEqual([]);
    expect(fuzzDisconnects).toEqual([]);
    expect((await request(witness.c, 'labs:list', {})).ok).toBe(true);
    const echo = { text: '' };
    witness.c.on('term:data', (p) => { if (p.id === witness.term) echo.text += p.data; });
    witness.c.emit('term:input', { id: witness.term, data: 'echo "fuzz-$((6*7))"\n' });
    await waitFor(() => echo.text.includes('fuzz-42'));
    for (const f of fuzzers) expect((await request(f.c, 'labs:list', {})).ok).toBe(true);
    const fresh = await h.client();
    expect((await request(fresh, 'labs:list', {})).ok).toBe(true);


    // Heap: the first quarter's median against the last quarter's median, after forced GCs.
    const q = Math.max(1, Math.floor(heap.length / 4));
    const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
    const early = median(heap.slice(0, q).map((s) => s.bytes));
    const late = median(heap.slice(-q).map((s) => s.bytes));
    const rss = process.memoryUsage().rss;
    console.log(`[gate 8] ${SECONDS} s: ${stats.sent} events sent (${Math.round(stats.sent / SECONDS)}/s, ${stats.acked} acked, ${stats.clientRefused} refused by the client library), `
      + `${stats.raw} raw bad frames (${stats.rawClosed} closed their socket), ${stats.oversized} oversized frames (${stats.oversizedClosed} closed their socket), `
      + `raw outcomes ${[...rawOutcomes].map(([k, v]) => `${k}: ${[...v].join('/')}`).join(', ')}; `
      + `witness ${stats.witnessAcks}/${stats.witnessAsked} acks (worst ${stats.witnessWorstMs} ms), heap after GC ${MiB(early)} → ${MiB(late)} MiB, rss ${MiB(rss)} MiB, 0 unhandled`);
    expect(unhandled.map(String)).toEqual([]);
    expect(stats.oversizedClosed).toBe(stats.oversized);
    expect([...(rawOutcomes.get('invalid UTF-8') ?? [])]).toEqual(['closed 1007']);
    expect(stats.witnessAcks).toBe(stats.witnessAsked);
    expect(late - early).toBeLessThan(16 * 2 ** 20);
  }, (SECONDS + 60) * 1000);
});
