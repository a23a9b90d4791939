// The captures of a server: who started which, per-session limits, and stopping them all when their
// socket disconnects or their session goes. Created once at the composition root and handed in.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { Engine } from '../session/types.ts';
import { CaptureInputError, startCapture, type Capture, type CaptureOptions } from './capture.ts';

export interface CaptureRegistryOptions {
  engine: Engine;
  /** Where pcap files go (default $TMPDIR/nsplay-pcap); one file per capture, removed with it. */
  pcapDir?: string;
  /** Captures running at once per session (default 4). */
  maxPerSession?: number;
  /** Stopped captures (and their pcaps) kept per session for download (default 16); older ones are deleted. */
  keepStopped?: number;
  pcapMaxBytes?: number;
}

export interface CaptureRegistry {
  /** Starts a capture owned by `owner` (a socket id); its pcap is kept until remove(). */
  start(owner: string, sessionId: string, node: string, iface: string, filter?: string, o?: Omit<CaptureOptions, 'pcapFile'>): Promise<Capture>;
  get(captureId: string): Capture | undefined;
  /** Stops it (kill by PID); the pcap stays downloadable. */
  stop(captureId: string): Promise<void>;
  /** Stops every capture of an owner (socket disconnect). */
  stopOwner(owner: string): Promise<void>;
  /** Stops every capture of a session and deletes their pcaps (session destroyed). */
  removeSession(sessionId: string): Promise<void>;
  /** Path of a capture's pcap file, for a download route. */
  pcapPath(captureId: string): string | undefined;
  list(sessionId?: string): Capture[];
}

export function createCaptureRegistry(o: CaptureRegistryOptions): CaptureRegistry {
  const dir = o.pcapDir ?? path.join(os.tmpdir(), 'nsplay-pcap');
  const captures = new Map<string, { capture: Capture; owner: string }>();
  const running = (sessionId: string) => [...captures.values()].filter((c) => c.capture.sessionId === sessionId && c.capture.stats().running && !c.capture.stopRequested());

  const registry: CaptureRegistry = {
    async start(owner, sessionId, node, iface, filter = '', opts = {}) {
      if (running(sessionId).length >= (o.maxPerSession ?? 4)) {
        throw new CaptureInputError(`at most ${o.maxPerSession ?? 4} captures run at once in a session; stop one first`);
      }
      // Keep the newest stopped captures only: their pcaps take disk space until the session ends.
      const stopped = [...captures.entries()].filter(([, c]) => c.capture.sessionId === sessionId && !c.capture.stats().running);
      for (const [cid, c] of stopped.slice(0, Math.max(0, stopped.length - (o.keepStopped ?? 16) + 1))) {
        if (c.capture.pcapFile) fs.rmSync(c.capture.pcapFile, { force: true });
        captures.delete(cid);
      }
      fs.mkdirSync(dir, { recursive: true, mode: 0o700 });
      const file = path.join(dir, `${sessionId}-${Date.now().toString(36)}-${Math.random().toString(36).slice(2, 8)}.pcap`);
      const capture = await startCapture(o.engine, sessionId, node, iface, filter, { pcapMaxBytes: o.pcapMaxBytes, ...opts, pcapFile: file });
      captures.set(capture.id, { capture, owner });
      return capture;
    },
    get: (id) => captures.get(id)?.capture,
    async stop(id) {
      await captures.get(id)?.capture.stop();
    },
    async stopOwner(owner) {
      await Promise.all([...captures.values()].filter((c) => c.owner === owner).map((c) => c.capture.stop()));
    },
    async removeSession(sessionId) {
      const mine = [...captures.entries()].filter(([, c]) => c.capture.sessionId === sessionId);
      await Promise.all(mine.map(([, c]) => c.capture.stop()));
      for (const [id, c] of mine) {
        if (c.capture.pcapFile) fs.rmSync(c.capture.pcapFile, { force: true });
        captures.delete(id);
      }
    },
    pcapPath: (id) => captures.get(id)?.capture.pcapFile,
    list: (sessionId) => [...captures.values()].map((c) => c.capture).filter((c) => !sessionId || c.sessionId === sessionId),
  };
  return registry;
}
