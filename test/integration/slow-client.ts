// Helpers for the reliability gates 6 and 7 (streams bounded, lifecycles close): a TCP proxy that
// lets a socket.io client read only N bytes a second, the server-side backlog of one socket, and
// process/fd/pty accounting read from /proc.
import fs from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import vm from 'node:vm';
import v8 from 'node:v8';
import type { Socket as ServerSocket } from 'socket.io';
import { io as connect } from 'socket.io-client';
import type { Client } from '../realtime/harness.ts';

export interface Throttle {
  port: number;
  /** Bytes handed to the client so far (server → client). */
  delivered(): number;
  close(): Promise<void>;
}

/**
 * A TCP proxy to 127.0.0.1:`target` whose server → client direction moves at most `bytesPerSec`
 * (client → server is not slowed: acks and input get through). It stops reading from the server while
 * it holds 64 KiB, so the backlog builds up where it would for a slow page: in the server's socket.
 */
export async function throttleProxy(target: number, bytesPerSec: number): Promise<Throttle> {
  let delivered = 0;
  const open = new Set<net.Socket>();
  const tickMs = 50;
  const perTick = Math.max(1, Math.floor((bytesPerSec * tickMs) / 1000));
  const server = net.createServer((client) => {
    const up = net.connect(target, '127.0.0.1');
    open.add(client); open.add(up);
    const queue: Buffer[] = [];
    let queued = 0;
    const timer = setInterval(() => {
      let budget = perTick;
      while (budget > 0 && queue.length) {
        const b = queue[0];
        const n = Math.min(b.length, budget);
        client.write(b.subarray(0, n));
        if (n === b.length) queue.shift(); else queue[0] = b.subarray(n);
        queued -= n; budget -= n; delivered += n;
      }
      if (queued < 32 * 1024 && up.isPaused()) up.resume();
    }, tickMs);
    up.on('data', (d: Buffer) => {
      queue.push(d); queued += d.length;
      if (queued > 64 * 1024) up.pause();
    });
    client.on('data', (d: Buffer) => up.write(d));
    const end = () => { clearInterval(timer); client.destroy(); up.destroy(); open.delete(client); open.delete(up); };
    client.on('close', end); up.on('close', end);
    client.on('error', end); up.on('error', end);
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  return {
    port: (server.address() as net.AddressInfo).port,
    delivered: () => delivered,
    close: () => new Promise<void>((r) => { for (const s of open) s.destroy(); server.close(() => r()); }),
  };
}

/** A socket.io client of `url` (websocket only, no reconnection). */
export async function connectClient(url: string): Promise<Client> {
  const c: Client = connect(url, { transports: ['websocket'], forceNew: true, reconnection: false });
  await new Promise<void>((ok, fail) => {
    c.once('connect', () => ok());
    c.once('connect_error', fail);
  });
  return c;
}

/** Ends the client's TCP connection without a goodbye (no socket.io or websocket close frame). */
export function destroyAbruptly(c: Client): void {
  const engine = (c.io as unknown as { engine: { transport: { ws?: { _socket?: net.Socket } } } }).engine;
  const raw = engine.transport.ws?._socket;
  if (!raw) throw new Error('no raw socket under the websocket transport');
  raw.destroy();
}

/** Bytes waiting to go to this socket's page: engine.io's write buffer + the websocket's buffered amount. */
export function backlogBytes(s: ServerSocket | undefined): number {
  if (!s) return 0;
  const conn = s.conn as unknown as { writeBuffer?: { data?: unknown }[]; transport?: { socket?: { bufferedAmount?: number } } };
  let n = 0;
  for (const p of conn.writeBuffer ?? []) n += typeof p.data === 'string' ? Buffer.byteLength(p.data) : (p.data as Buffer | undefined)?.byteLength ?? 0;
  return n + (conn.transport?.socket?.bufferedAmount ?? 0);
}

let gcFn: (() => void) | undefined;
/** A full GC when the process allows one (flag set at run time; harmless when refused). */
export function gc(): void {
  if (!gcFn) {
    try { v8.setFlagsFromString('--expose-gc'); gcFn = vm.runInNewContext('gc') as () => void; } catch { gcFn = () => undefined; }
  }
  gcFn();
}

export const MiB = 1024 * 1024;

export function percentile(xs: number[], p: number): number {
  if (xs.length === 0) return NaN;
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.ceil((p / 100) * s.length) - 1)];
}

export interface Proc { pid: number; ppid: number; comm: string; netns: string }

/** Every process of the machine with its parent, name and network namespace. */
export function processes(): Proc[] {
  const out: Proc[] = [];
  for (const e of fs.readdirSync('/proc')) {
    if (!/^\d+$/.test(e)) continue;
    try {
      const stat = fs.readFileSync(`/proc/${e}/stat`, 'utf8');
      const close = stat.lastIndexOf(')');
      const fields = stat.slice(close + 2).split(' ');
      if (fields[0] === 'Z') continue;
      let netns = '';
      try { netns = fs.readlinkSync(`/proc/${e}/ns/net`); } catch { /* kernel thread or gone */ }
      out.push({ pid: Number(e), ppid: Number(fields[1]), comm: stat.slice(stat.indexOf('(') + 1, close), netns });
    } catch { /* gone meanwhile */ }
  }
  return out;
}

/** Processes descending from `root` (not included). */
export function descendants(root: number, all = processes()): Proc[] {
  const kids = new Map<number, Proc[]>();
  for (const p of all) { const l = kids.get(p.ppid) ?? []; l.push(p); kids.set(p.ppid, l); }
  const out: Proc[] = [];
  const walk = (pid: number) => { for (const k of kids.get(pid) ?? []) { out.push(k); walk(k.pid); } };
  walk(root);
  return out;
}

export function fdCount(): number {
  return fs.readdirSync('/proc/self/fd').length;
}

/** This process's pty masters (open /dev/ptmx) and the machine's /dev/pts entries (minus ptmx). */
export function ptyCounts(): { masters: number; pts: number } {
  let masters = 0;
  for (const fd of fs.readdirSync('/proc/self/fd')) {
    try { if (/ptmx$/.test(fs.readlinkSync(path.join('/proc/self/fd', fd)))) masters++; } catch { /* closed meanwhile */ }
  }
  const pts = fs.readdirSync('/dev/pts').filter((n) => /^\d+$/.test(n)).length;
  return { masters, pts };
}

/** Bytes the kernel still holds to send on TCP sockets bound to local `port` (tx_queue in /proc/net/tcp). */
export function kernelSendQueue(port: number): number {
  let n = 0;
  for (const line of fs.readFileSync('/proc/self/net/tcp', 'utf8').split('\n').slice(1)) {
    const f = line.trim().split(/\s+/);
    if (f.length < 5 || parseInt(f[1].split(':')[1], 16) !== port) continue;
    n += parseInt(f[4].split(':')[0], 16);
  }
  return n;
}
