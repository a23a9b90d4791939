// Which engine session each page talks to. A page's session is created by `session:open`, shared by
// every socket that presents its token (a reload), polled for kernel state while a page is
// connected, and destroyed a grace period after the last page left (NSPLAY_IDLE_MINUTES, default
// 30 min, see limits.ts): a page that comes back within it with the token gets its session back.
import { randomBytes } from 'node:crypto';
import os from 'node:os';
import type { Engine, SessionStatus } from '../session/types.ts';
import type { OpenedSession } from './contract.ts';

export interface Binding {
  token: string;
  id: string;
  lab?: string;
  sockets: Set<string>;
  grace?: NodeJS.Timeout;
  poll?: NodeJS.Timeout;
  /** When a typed command last asked for a read. */
  nudgedAt?: number;
  /** Status reads in flight or waiting for a read slot (0 or 1). */
  polling: number;
  /** How long its last status read took (ms, wall): what one poll of it costs the machine. */
  readMs?: number;
  /** When the last apply ended: reads started before it are stale. */
  settledAt?: number;
  /** A refresh was asked for while a read was running: read again right after it. */
  again?: boolean;
  applying: boolean;
  /** When the session was created (ms since the epoch). */
  openedAt?: number;
  last?: string;
  closed: boolean;
  /** When the last page left (undefined while one is connected). */
  idleSince?: number;
}

export interface HubOptions {
  /** How long a session with no page connected lives on (a reload or network blip reattaches). */
  graceMs: number;
  pollMs: number;
  owner: string;
  push(b: Binding, state: SessionStatus): void;
  closed(b: Binding, reason: string): void;
  log(msg: string): void;
  /** A status read that takes longer is abandoned (logged), so polling never wedges. */
  statusTimeoutMs?: number;
  /** Status reads of all sessions at once (default: half the cores, at least 1). */
  maxReads?: number;
  /** The share of the machine's cores that background polling of all sessions may use (default 0.25). */
  pollShare?: number;
  cores?: number;
}

function withTimeout<T>(p: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<never>((_, reject) => { timer = setTimeout(() => reject(new Error(`${what} took longer than ${ms} ms`)), ms); });
  return Promise.race([p, late]).finally(() => clearTimeout(timer));
}

export interface SessionHub {
  open(socketId: string, req: { lab?: string; token?: string }): Promise<Omit<OpenedSession, 'sandbox' | 'start'> & { lab?: string }>;
  of(socketId: string): Binding | undefined;
  detach(socketId: string): void;
  destroy(socketId: string): Promise<void>;
  refresh(b: Binding, force?: boolean, urgent?: boolean): Promise<void>;
  /** Something may have changed the session's kernel state (a command typed in its shell): read it soon. */
  nudge(b: Binding): void;
  closeAll(): Promise<void>;
  bindings(): Binding[];
}

function idleText(ms: number): string {
  return ms >= 60_000 && ms % 60_000 === 0 ? `${ms / 60_000} min` : `${Math.round(ms / 100) / 10} s`;
}

/** Two snapshots that differ only in when they were read are the same state. */
function fingerprint(s: SessionStatus): string {
  return JSON.stringify({ ...s, observed: { ...s.observed, at: 0 } });
}

export function createSessionHub(engine: Engine, o: HubOptions): SessionHub {
  const byToken = new Map<string, Binding>();
  const bySocket = new Map<string, Binding>();

  // A status read runs ip/iptables in every namespace of the session (100–300 ms of a core). Polling
  // every connected session every pollMs would take the whole machine from a room of 30 attendees
  // applying labs at once, so polling has a budget: at most maxReads reads at a time (a page's own
  // request — after an apply, a typed command — goes first in the line), and each session waits
  // between its reads as long as one round over every connected session costs at pollShare of the
  // cores: one session is read every pollMs, 30 sessions of 150 ms reads every ~9 s on 2 cores.
  // A command typed in a session's shell nudges a read of that session within ~300 ms regardless.
  const cores = o.cores ?? os.availableParallelism();
  const maxReads = o.maxReads ?? Math.max(1, Math.floor(cores / 2));
  const pollShare = o.pollShare ?? 0.25;
  let reading = 0;
  const line: Array<{ go: () => void; b?: Binding }> = [];

  async function slot(urgent: boolean, b?: Binding): Promise<void> {
    if (reading < maxReads) { reading++; return; }
    await new Promise<void>((go) => { if (urgent) line.unshift({ go, b }); else line.push({ go, b }); });
  }
  function release() {
    const next = line.shift();
    if (next) next.go(); else reading--;
  }
  /** Moves a session's waiting background read to the front of the line; false when it is not waiting. */
  function promote(b: Binding): boolean {
    const i = line.findIndex((e) => e.b === b);
    if (i > 0) line.unshift(...line.splice(i, 1));
    return i >= 0;
  }

  /** A read a page waits for (opening its session): first in the line. */
  async function readNow(id: string): Promise<SessionStatus> {
    await slot(true);
    try { return await engine.status(id); } finally { release(); }
  }

  /** The pause after a read: a round over every connected session at pollShare of the cores. */
  function pause(): number {
    let round = 0;
    for (const x of byToken.values()) if (!x.closed && x.sockets.size > 0) round += x.readMs ?? 0;
    return Math.max(o.pollMs, round / (pollShare * cores));
  }

  /** Reads the session's state and pushes it when it changed (`force`: push anyway); `urgent` goes first in the line. */
  async function refresh(b: Binding, force = false, urgent = force) {
    if (b.closed) return;
    // A read already running may have started before the change: read again after it. One still
    // waiting for its slot starts after the change: it only moves to the front.
    if (b.polling > 0) { if (urgent && !promote(b)) b.again = true; return; }
    b.polling++;
    if (b.poll) { clearTimeout(b.poll); b.poll = undefined; }
    await slot(urgent, b);
    const started = Date.now();
    try {
      if (b.closed) return;
      const state = await withTimeout(engine.status(b.id), o.statusTimeoutMs ?? 15_000, `status of ${b.id}`);
      const ms = Date.now() - started;
      b.readMs = ms;
      if (ms > 3000) o.log(`status of ${b.id} took ${ms} ms`);
      // A read that overlapped an apply shows half-built state as drift: read again instead.
      if (b.applying) return;
      if (started < (b.settledAt ?? 0)) { b.again = true; return; }
      const fp = fingerprint(state);
      if (!b.closed && (force || fp !== b.last)) {
        b.last = fp;
        o.push(b, state);
      }
    } catch (e) {
      if ((e as Error).name === 'SessionNotFound') await drop(b, 'the session no longer exists (destroyed elsewhere)');
      // A read that overlapped an apply or a lab reset (its holder replaced) fails for nothing to report.
      else if (!b.applying) o.log(`status of ${b.id} failed: ${(e as Error).message}`);
    } finally {
      release();
      b.polling--;
      // A read asked for while this one ran (after an apply) must start after the change: now.
      const now = b.again;
      b.again = false;
      if (now) void refresh(b, false, true);
      else schedule(b, Math.max(100, pause() - (Date.now() - started)));
    }
  }

  function schedule(b: Binding, ms: number) {
    if (b.poll) clearTimeout(b.poll);
    b.poll = undefined;
    if (b.closed || b.sockets.size === 0) return;
    b.poll = setTimeout(() => { b.poll = undefined; void refresh(b); }, ms);
  }

  const NUDGE_MS = 300;
  function nudge(b: Binding) {
    if (b.closed || b.sockets.size === 0) return;
    if (b.polling > 0) { if (!promote(b)) b.again = true; return; }
    if (b.poll && (b.nudgedAt ?? 0) > Date.now() - NUDGE_MS) return;
    b.nudgedAt = Date.now();
    if (b.poll) clearTimeout(b.poll);
    b.poll = setTimeout(() => { b.poll = undefined; void refresh(b, false, true); }, NUDGE_MS);
  }

  function startPolling(b: Binding) {
    if (!b.poll && b.polling === 0) schedule(b, o.pollMs);
  }

  function stopPolling(b: Binding) {
    if (b.poll) clearTimeout(b.poll);
    b.poll = undefined;
  }

  async function drop(b: Binding, reason: string) {
    if (b.closed) return;
    b.closed = true;
    stopPolling(b);
    if (b.grace) clearTimeout(b.grace);
    byToken.delete(b.token);
    for (const s of b.sockets) bySocket.delete(s);
    o.closed(b, reason);
  }

  async function destroyBinding(b: Binding, reason: string) {
    await drop(b, reason);
    try { await engine.destroy(b.id); } catch (e) { o.log(`destroy ${b.id} failed: ${(e as Error).message}`); }
  }

  function attach(socketId: string, b: Binding) {
    if (b.grace) clearTimeout(b.grace);
    b.grace = undefined;
    b.idleSince = undefined;
    b.sockets.add(socketId);
    bySocket.set(socketId, b);
    startPolling(b);
  }

  function detach(socketId: string) {
    const b = bySocket.get(socketId);
    if (!b) return;
    bySocket.delete(socketId);
    b.sockets.delete(socketId);
    if (b.sockets.size > 0 || b.closed) return;
    stopPolling(b);
    b.idleSince = Date.now();
    b.grace = setTimeout(() => { void destroyBinding(b, `no page has been connected for ${idleText(o.graceMs)}`); }, o.graceMs);
  }

  return {
    async open(socketId, req) {
      const existing = req.token ? byToken.get(req.token) : undefined;
      if (existing && !existing.closed && (req.lab === undefined || req.lab === existing.lab)) {
        const current = bySocket.get(socketId);
        if (current && current !== existing) detach(socketId);
        attach(socketId, existing);
        try {
          const state = await readNow(existing.id);
          existing.last = fingerprint(state);
          return { token: existing.token, reattached: true, state, lab: existing.lab };
        } catch (e) {
          // Destroyed behind the hub's back (the CLI): the page gets a new session instead of an error.
          if ((e as Error).name !== 'SessionNotFound') throw e;
          await drop(existing, 'the session no longer exists (destroyed elsewhere)');
        }
      }
      // A new session replaces the one this socket had (opening another lab).
      const previous = bySocket.get(socketId) ?? existing;
      if (previous && !previous.closed) {
        bySocket.delete(socketId);
        previous.sockets.delete(socketId);
        if (previous.sockets.size === 0) await destroyBinding(previous, 'replaced by a new session');
      }
      // (A session that vanished while the page was away is replaced by one of the same lab.)
      const lab = req.lab ?? existing?.lab;
      const info = await engine.create({ lab, owner: o.owner });
      const b: Binding = { token: randomBytes(16).toString('hex'), id: info.id, lab, sockets: new Set(), polling: 0, applying: false, closed: false, openedAt: info.createdAt ?? Date.now() };
      byToken.set(b.token, b);
      attach(socketId, b);
      const state = await readNow(b.id);
      b.last = fingerprint(state);
      return { token: b.token, reattached: false, state, lab: b.lab };
    },
    of: (socketId) => bySocket.get(socketId),
    detach,
    async destroy(socketId) {
      const b = bySocket.get(socketId);
      if (b) await destroyBinding(b, 'destroyed by the page');
    },
    refresh,
    nudge,
    async closeAll() {
      await Promise.all([...byToken.values()].map((b) => destroyBinding(b, 'the server is shutting down')));
    },
    bindings: () => [...byToken.values()],
  };
}
