// Terminals: node-pty shells started from an argv, owned by one socket. A shell lives exactly as long
// as its tab, its socket or the server: closing any of them kills the pty's whole session (by pid).
// Output is batched and flow-controlled: the page acks what it has written; past HIGH_WATER unacked
// bytes the pty is paused, below LOW_WATER it resumes; past HARD_LIMIT output is dropped and counted.
import { readdirSync, readFileSync } from 'node:fs';
import * as pty from 'node-pty';

export interface TermEmitter {
  data(id: number, data: string): void;
  exit(id: number, code: number, signal?: number): void;
  dropped(id: number, bytes: number): void;
}

export interface TerminalOptions {
  maxTerminals?: number;
  highWater?: number;
  lowWater?: number;
  hardLimit?: number;
  flushMs?: number;
  spawn?: typeof pty.spawn;
  log?: (msg: string) => void;
}

export interface TerminalSet {
  open(argv: string[], cols: number, rows: number, node: string): { id: number; node: string; pid: number };
  input(id: number, data: string): boolean;
  resize(id: number, cols: number, rows: number): boolean;
  ack(id: number, bytes: number): void;
  close(id: number): boolean;
  closeAll(): void;
  pids(): number[];
  /** Debug/metrics: what flow control is doing for one terminal. */
  stats(id: number): { unacked: number; paused: boolean; dropped: number } | undefined;
}

interface Term {
  id: number;
  node: string;
  proc: pty.IPty;
  pending: string[];
  pendingBytes: number;
  unacked: number;
  paused: boolean;
  dropped: number;
  timer?: NodeJS.Timeout;
  /** When output last went to the page (performance.now()). */
  lastFlush: number;
  exited: boolean;
}

const MiB = 1024 * 1024;
/**
 * Output is sent at the latest every flushMs, or as soon as this much is pending — and at once when the
 * terminal was quiet for flushMs (a keystroke's echo does not wait for the timer; `yes` still batches).
 */
const FLUSH_BYTES = 32 * 1024;
let nextId = 1;

export function createTerminals(emit: TermEmitter, opts: TerminalOptions = {}): TerminalSet {
  const max = opts.maxTerminals ?? 8;
  // The window of output a page has not acknowledged yet. Everything in it sits in the socket ahead of
  // the heartbeat's ping: at 1 MiB (and still at 256 KiB) a page reading 100 KB/s on a busy server got
  // the ping after more than the 10 s pong timeout and was disconnected ("ping timeout"). 64 KiB is
  // under 2 s at 40 KB/s and still several MB/s to a page that acks as xterm.js does (per write).
  const HIGH = opts.highWater ?? 64 * 1024;
  const LOW = opts.lowWater ?? 16 * 1024;
  const HARD = opts.hardLimit ?? 4 * MiB;
  const flushMs = opts.flushMs ?? 8;
  const spawn = opts.spawn ?? pty.spawn;
  const terms = new Map<number, Term>();

  function flush(t: Term) {
    t.timer = undefined;
    if (t.pending.length === 0) return;
    t.lastFlush = performance.now();
    const data = t.pending.join('');
    t.pending = [];
    t.unacked += t.pendingBytes;
    t.pendingBytes = 0;
    emit.data(t.id, data);
    if (!t.paused && t.unacked > HIGH && !t.exited) {
      t.paused = true;
      t.proc.pause();
    }
  }

  function onData(t: Term, chunk: string) {
    const bytes = Buffer.byteLength(chunk);
    if (t.unacked + t.pendingBytes + bytes > HARD) {
      t.dropped += bytes;
      emit.dropped(t.id, bytes);
      return;
    }
    t.pending.push(chunk);
    t.pendingBytes += bytes;
    if (t.pendingBytes >= FLUSH_BYTES) flush(t);
    else t.timer ??= setTimeout(() => flush(t), performance.now() - t.lastFlush >= flushMs ? 0 : flushMs);
  }

  function end(t: Term, why: string) {
    opts.log?.(`terminal ${t.id} (${t.node}, pid ${t.proc.pid}) ends: ${why}`);
    if (t.timer) clearTimeout(t.timer);
    terms.delete(t.id);
    killSession(t.proc.pid);
  }

  return {
    open(argv, cols, rows, node) {
      if (argv.length === 0) throw new Error('empty argv for a terminal');
      if (terms.size >= max) throw new Error(`at most ${max} terminals per page; close one first`);
      const proc = spawn(argv[0], argv.slice(1), {
        name: 'xterm-256color', cols, rows, cwd: '/',
        env: { ...cleanEnv(), TERM: 'xterm-256color', COLORTERM: 'truecolor' },
      });
      const t: Term = { id: nextId++, node, proc, pending: [], pendingBytes: 0, unacked: 0, paused: false, dropped: 0, exited: false, lastFlush: 0 };
      terms.set(t.id, t);
      opts.log?.(`terminal ${t.id} opened in ${node}: pid ${proc.pid}`);
      proc.onData((d) => onData(t, d));
      proc.onExit(({ exitCode, signal }) => {
        t.exited = true;
        flush(t);
        if (terms.get(t.id) === t) {
          end(t, `shell exited (code ${exitCode}, signal ${signal})`);
          emit.exit(t.id, exitCode, signal || undefined);
        }
      });
      return { id: t.id, node, pid: proc.pid };
    },
    input(id, data) {
      const t = terms.get(id);
      if (!t) return false;
      t.proc.write(data);
      return true;
    },
    resize(id, cols, rows) {
      const t = terms.get(id);
      if (!t) return false;
      try { t.proc.resize(cols, rows); } catch { return false; }
      return true;
    },
    ack(id, bytes) {
      const t = terms.get(id);
      if (!t) return;
      t.unacked = Math.max(0, t.unacked - bytes);
      if (t.paused && t.unacked < LOW) {
        t.paused = false;
        t.proc.resume();
      }
    },
    close(id) {
      const t = terms.get(id);
      if (!t) return false;
      end(t, 'closed by the page');
      return true;
    },
    closeAll() {
      for (const t of [...terms.values()]) end(t, 'page gone or session closed');
    },
    pids() {
      return [...terms.values()].map((t) => t.proc.pid);
    },
    stats(id) {
      const t = terms.get(id);
      return t && { unacked: t.unacked, paused: t.paused, dropped: t.dropped };
    },
  };
}

// The server's own secrets and tooling variables have no business in a learner's shell.
function cleanEnv(): Record<string, string> {
  const keep = ['PATH', 'LANG', 'LC_ALL', 'HOME', 'USER', 'LOGNAME', 'SHELL'];
  const env: Record<string, string> = {};
  for (const k of keep) if (process.env[k]) env[k] = process.env[k]!;
  env.PATH ??= '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin';
  return env;
}

/** Processes whose session id is `sid` (the pty's shell is a session leader, its jobs stay in its session). */
export function sessionMembers(sid: number): number[] {
  const out: number[] = [];
  let entries: string[];
  try { entries = readdirSync('/proc'); } catch { return out; }
  for (const e of entries) {
    if (!/^[0-9]+$/.test(e)) continue;
    try {
      const stat = readFileSync(`/proc/${e}/stat`, 'utf8');
      const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      // fields[0] = state, [1] = ppid, [2] = pgrp, [3] = session
      if (Number(fields[3]) === sid || Number(fields[2]) === sid) out.push(Number(e));
    } catch { /* gone meanwhile */ }
  }
  return out;
}

/** Hang up the pty's session, then make sure: SIGKILL every process still in it. */
export function killSession(pid: number): void {
  const signal = (target: number, sig: NodeJS.Signals) => { try { process.kill(target, sig); } catch { /* already gone */ } };
  signal(-pid, 'SIGHUP');
  signal(pid, 'SIGHUP');
  const members = sessionMembers(pid);
  for (const p of members) signal(p, 'SIGHUP');
  // A process forked between a scan of /proc and the kill (a job typed just before the page left)
  // is missed by that pass: scan again until the session is empty (a few passes at most).
  const pass = (n: number, first: number[]) => {
    signal(-pid, 'SIGKILL');
    const left = [...new Set([pid, ...first, ...sessionMembers(pid)])].filter((p) => p === pid || aliveNotZombie(p));
    for (const p of left) signal(p, 'SIGKILL');
    if (n < 5 && sessionMembers(pid).some((p) => p !== pid && aliveNotZombie(p))) {
      setTimeout(() => pass(n + 1, []), 100).unref?.();
    }
  };
  setTimeout(() => pass(1, members), 200).unref?.();
}

function aliveNotZombie(pid: number): boolean {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3) !== 'Z';
  } catch { return false; }
}

/** Synchronous variant for process exit: no time for a grace period. */
export function killSessionNow(pid: number): void {
  for (const p of new Set([pid, ...sessionMembers(pid)])) { try { process.kill(p, 'SIGKILL'); } catch { /* gone */ } }
}
