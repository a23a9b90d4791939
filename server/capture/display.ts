// The live half of a capture: a tcpdump inside the node that decodes packets into one-line summaries
// as they arrive (`--immediate-mode`, a short snapshot length), read by nsplay at a bounded pace.
// When a flood brings more lines than the budget of one flush interval, nsplay stops reading its
// stdout until the next interval: the pipe fills, this tcpdump waits, and the kernel drops what
// its small ring cannot hold — for the display only (the pcap is written by another tcpdump). So a
// flood costs a bounded amount of decoding, piping and parsing, however fast it is.
// Owned by PID: stop() signals exactly that process, never after it was reaped.
import { spawn } from 'node:child_process';
import type { Engine } from '../session/types.ts';

/** Bytes of each packet decoded for the display: link, IP and TCP headers and the start of a payload (an HTTP request line). */
export const DISPLAY_SNAPLEN = 512;

export interface DisplayProcess {
  pid: number;
  stderr(): string;
  exited(): boolean;
  /** Resolves true once a stderr line matches, false after `ms` or when the process exits. */
  waitForStderr(match: (line: string) => boolean, ms: number): Promise<boolean>;
  /** A new flush interval: read again (up to the budget). */
  nextInterval(): void;
  /** Reads everything left from now on (the capture is ending). */
  drain(): void;
  /** SIGTERM, then SIGKILL after `graceMs`; resolves when the process is gone and its output read. */
  stop(graceMs?: number): Promise<void>;
}

export function displayArgv(iface: string, filter: string, count?: number): string[] {
  return ['tcpdump', '-i', iface, '-l', '-nn', '-tt', '-e', '--immediate-mode', '-s', String(DISPLAY_SNAPLEN), '-B', '1024',
    ...(count ? ['-c', String(count)] : []), '--', ...(filter.trim() ? [filter] : [])];
}

export async function startDisplay(engine: Engine, sessionId: string, node: string, argv: string[], o: { onLine: (line: string) => void; budgetBytes: number }): Promise<DisplayProcess> {
  const full = await engine.enterArgv(sessionId, node, argv);
  const child = spawn(full[0], full.slice(1), { stdio: ['ignore', 'pipe', 'pipe'] });
  child.on('error', () => undefined);
  if (child.pid === undefined) {
    await new Promise((r) => child.once('error', r));
    throw new Error(`could not start ${argv[0]} in ${node}`);
  }
  const pid = child.pid;
  let reaped = false; // after 'exit' the PID may belong to someone else: never signal it again
  let done = false;
  let stderr = '';
  let rest = '';
  let used = 0;
  let draining = false;
  const waiters = new Set<{ match: (l: string) => boolean; resolve: (v: boolean) => void }>();
  child.once('exit', () => { reaped = true; });
  const closed = new Promise<void>((resolve) => child.once('close', () => {
    done = true;
    for (const w of waiters) w.resolve(false);
    waiters.clear();
    resolve();
  }));
  child.stdout!.on('data', (chunk: Buffer) => {
    used += chunk.length;
    const parts = (rest + chunk.toString('utf8')).split('\n');
    rest = parts.pop() ?? '';
    if (rest.length > 64 * 1024) rest = '';
    for (const line of parts) o.onLine(line);
    if (used >= o.budgetBytes && !draining) child.stdout!.pause();
  });
  child.stderr!.on('data', (chunk: Buffer) => {
    if (stderr.length < 64 * 1024) stderr += chunk.toString('utf8');
    for (const w of waiters) if (stderr.split('\n').some(w.match)) { waiters.delete(w); w.resolve(true); }
  });
  return {
    pid,
    stderr: () => stderr,
    exited: () => done,
    waitForStderr(match, ms) {
      if (stderr.split('\n').some(match)) return Promise.resolve(true);
      if (done) return Promise.resolve(false);
      return new Promise((resolve) => {
        const w = { match, resolve: (v: boolean) => { clearTimeout(timer); resolve(v); } };
        const timer = setTimeout(() => { waiters.delete(w); resolve(false); }, ms);
        waiters.add(w);
      });
    },
    nextInterval() {
      used = 0;
      if (child.stdout!.isPaused()) child.stdout!.resume();
    },
    drain() {
      draining = true;
      child.stdout!.resume();
    },
    async stop(graceMs = 500) {
      draining = true;
      child.stdout!.resume(); // a paused reader would keep it blocked on a full pipe
      if (done) return;
      if (!reaped) { try { process.kill(pid, 'SIGTERM'); } catch { /* gone */ } }
      const timer = setTimeout(() => { if (!reaped) { try { process.kill(pid, 'SIGKILL'); } catch { /* gone */ } } }, graceMs);
      await closed;
      clearTimeout(timer);
    },
  };
}
