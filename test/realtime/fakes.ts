// Recording fakes for the realtime tests: a probe service and a capture registry that run nothing
// real, and a spy over an engine. Only for testing socket logic.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { randomBytes } from 'node:crypto';
import type { Capture, CaptureRegistry } from '../../server/capture/index.ts';
import type { CaptureStats } from '../../server/capture/capture.ts';
import type { ProbeService } from '../../server/realtime/engine-proxy.ts';
import type { Engine } from '../../server/session/types.ts';
import type { MatrixResult, ProbeResult } from '../../server/probe/types.ts';

export interface Call { method: string; sessionId: string; args: unknown[] }

export function createFakeProbes(o: { allNodes?: string[] } = {}): ProbeService & { calls: Call[] } {
  const calls: Call[] = [];
  return {
    calls,
    async run(sessionId, from, to) {
      calls.push({ method: 'run', sessionId, args: [from, to] });
      return { ok: true, path: [], from: { node: from }, to: { address: to } } as unknown as ProbeResult;
    },
    async matrix(sessionId, nodes) {
      calls.push({ method: 'matrix', sessionId, args: [nodes] });
      return { nodes: nodes ?? o.allNodes ?? ['a', 'b', 'c'], cells: [], ms: { total: 0, ping: 0, detail: 0 } } as MatrixResult;
    },
  };
}

export interface FakeCaptures extends CaptureRegistry { calls: Call[]; dir: string }

/** Captures are records; every one has a real (tiny) pcap file so only the route's checks stand between it and a download. */
export function createFakeCaptures(o: { startMs?: number } = {}): FakeCaptures {
  const calls: Call[] = [];
  const all = new Map<string, { c: Capture; owner: string }>();
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'nsplay-fake-pcap-'));
  const make = (sessionId: string, node: string, iface: string, filter: string): Capture => {
    let running = true;
    const stats = (): CaptureStats => ({
      packets: 0, shown: 0, sampledOut: 0, dropped: 0, kernelDropped: 0, pcapPackets: 0, pcapBytes: 24, pcapCapped: false, running, sampling: 1,
    });
    const id = randomBytes(4).toString('hex');
    const pcapFile = path.join(dir, `${id}.pcap`);
    fs.writeFileSync(pcapFile, Buffer.alloc(24));
    let ended!: (s: CaptureStats) => void;
    const c = {
      id, sessionId, node, iface, filter, pcapFile, pids: [],
      stats,
      on() { return c; },
      off() { return c; },
      async *[Symbol.asyncIterator]() { /* no packets */ },
      async stop() { running = false; ended(stats()); return stats(); },
      stopRequested: () => !running,
      ended: new Promise<CaptureStats>((r) => { ended = r; }),
    } as unknown as Capture;
    return c;
  };
  return {
    calls,
    dir,
    async start(owner, sessionId, node, iface, filter = '') {
      calls.push({ method: 'start', sessionId, args: [owner, node, iface, filter] });
      if (o.startMs) await new Promise((r) => setTimeout(r, o.startMs));
      const c = make(sessionId, node, iface, filter);
      all.set(c.id, { c, owner });
      return c;
    },
    get: (id) => all.get(id)?.c,
    async stop(id) {
      const e = all.get(id);
      if (e) { calls.push({ method: 'stop', sessionId: e.c.sessionId, args: [id] }); await e.c.stop(); }
    },
    async stopOwner(owner) {
      for (const e of all.values()) if (e.owner === owner) await e.c.stop();
    },
    async removeSession(sessionId) {
      calls.push({ method: 'removeSession', sessionId, args: [] });
      for (const [id, e] of [...all]) if (e.c.sessionId === sessionId) { await e.c.stop(); all.delete(id); }
    },
    pcapPath: (id) => all.get(id)?.c.pcapFile,
    list: (sessionId) => [...all.values()].map((e) => e.c).filter((c) => !sessionId || c.sessionId === sessionId),
  };
}

const SPIED = ['create', 'destroy', 'apply', 'preview', 'status', 'enterArgv', 'info'] as const;

/** Wraps an engine's methods in place to record (method, session id) of every call. */
export function spyEngine<E extends Engine>(engine: E): { calls: Call[] } {
  const calls: Call[] = [];
  const e = engine as unknown as Record<string, (...a: unknown[]) => unknown>;
  for (const m of SPIED) {
    const orig = e[m];
    e[m] = (...args: unknown[]) => {
      calls.push({ method: m, sessionId: typeof args[0] === 'string' ? args[0] : '', args: args.slice(1) });
      return orig(...args);
    };
  }
  return { calls };
}
