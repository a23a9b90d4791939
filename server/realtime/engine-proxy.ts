// The engine in its own process. Every status read and apply spawns dozens of short processes, and
// a spawn from the big web-server process blocks its event loop for tens of milliseconds each:
// measured, a status poll every second froze socket.io for 2–9 s at a time (pages hit ping
// timeouts, terminals died with them). Behind this proxy the server's loop only moves messages.
import { fork, type ChildProcess } from 'node:child_process';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { LabCheck, LabView } from '../labs/runner.ts';
import type { LabProgress } from '../labs/progress.ts';
import type { MatrixResult, ProbeResult } from '../probe/types.ts';
import type { Engine, StepEvent } from '../session/types.ts';

export type EngineMethod = Exclude<keyof Engine, never>;
const METHODS: EngineMethod[] = ['create', 'list', 'info', 'destroy', 'apply', 'preview', 'status', 'enterArgv', 'labs', 'reclaim'];

/** The lab runner's calls the page needs; the runner lives with the engine in the engine's process. */
export interface LabService {
  load(labId: string): Promise<LabView>;
  progress(sessionId: string): Promise<LabProgress>;
  check(sessionId: string, opts?: { step?: number; all?: boolean }): Promise<LabCheck>;
  reset(sessionId: string): Promise<LabProgress>;
  /** Runs the lab's steps from the current one through `to` (0-based) with their checks; stops at a failing step. */
  runTo(sessionId: string, to: number): Promise<{ ok: boolean; stoppedAt?: number; progress: LabProgress }>;
}
export type LabMethod = `lab.${keyof LabService}`;
export const LAB_METHODS: LabMethod[] = ['lab.load', 'lab.progress', 'lab.check', 'lab.reset', 'lab.runTo'];

/** Reachability probes; they run next to the engine (a probe spawns ping, tcpdump, xtables-monitor…). */
export interface ProbeService {
  run(sessionId: string, from: string, to: string): Promise<ProbeResult>;
  /** detail: failing pairs given a kernel-confirmed reason (default 10; 0 = the route walk's reasons only, fastest). */
  matrix(sessionId: string, nodes?: string[], detail?: number): Promise<MatrixResult>;
}
export type ProbeMethod = `probe.${keyof ProbeService}`;
export const PROBE_METHODS: ProbeMethod[] = ['probe.run', 'probe.matrix'];

export interface Request { id: number; method: EngineMethod | LabMethod | ProbeMethod; args: unknown[]; steps?: boolean }
export type Reply =
  | { id: number; ok: true; value: unknown }
  | { id: number; ok: false; error: { name: string; message: string; fields?: unknown } }
  | { id: number; step: StepEvent };

export interface EngineProxy extends Engine {
  /** The lab runner, in the engine's process. */
  lab: LabService;
  /** Probes and matrices, in the engine's process. */
  probe: ProbeService;
  close(): Promise<void>;
  pid(): number | undefined;
}

interface Pending { resolve(v: unknown): void; reject(e: Error): void; onStep?: (e: StepEvent) => void }

export function createEngineProxy(opts: { log?: (m: string) => void } = {}): EngineProxy {
  const entry = join(dirname(fileURLToPath(import.meta.url)), 'engine-host.ts');
  const pending = new Map<number, Pending>();
  let next = 1;
  let child: ChildProcess | null = null;
  let closing = false;

  function start(): ChildProcess {
    const c = fork(entry, [], { execArgv: ['--import', 'tsx'], stdio: ['ignore', 'inherit', 'inherit', 'ipc'], serialization: 'advanced' });
    c.on('message', (m: Reply) => {
      const p = pending.get(m.id);
      if (!p) return;
      if ('step' in m) { p.onStep?.(m.step); return; }
      pending.delete(m.id);
      if (m.ok) p.resolve(m.value);
      else {
        const e = new Error(m.error.message) as Error & { fields?: unknown };
        e.name = m.error.name;
        if (m.error.fields) e.fields = m.error.fields;
        p.reject(e);
      }
    });
    c.on('exit', (code, signal) => {
      if (child === c) child = null;
      for (const [id, p] of pending) { pending.delete(id); p.reject(new Error(`the engine process exited (${signal ?? code}); try again`)); }
      if (!closing) opts.log?.(`engine process exited (${signal ?? code}); a new one starts on the next request`);
    });
    return c;
  }

  function call<T>(method: EngineMethod | LabMethod | ProbeMethod, args: unknown[], onStep?: (e: StepEvent) => void): Promise<T> {
    if (closing) return Promise.reject(new Error('the server is shutting down'));
    child ??= start();
    const id = next++;
    return new Promise<T>((resolve, reject) => {
      pending.set(id, { resolve: resolve as (v: unknown) => void, reject, onStep });
      child!.send({ id, method, args, steps: !!onStep } satisfies Request);
    });
  }

  const proxy = Object.fromEntries(METHODS.map((m) => [m, (...args: unknown[]) => {
    if (m === 'apply') {
      const [id, topology, onStep] = args as [string, unknown, ((e: StepEvent) => void) | undefined];
      return call(m, [id, topology], onStep);
    }
    return call(m, args);
  }])) as unknown as Engine;

  const lab: LabService = {
    load: (labId) => call('lab.load', [labId]),
    progress: (id) => call('lab.progress', [id]),
    check: (id, o) => call('lab.check', [id, o ?? {}]),
    reset: (id) => call('lab.reset', [id]),
    runTo: (id, to) => call('lab.runTo', [id, to]),
  };

  const probe: ProbeService = {
    run: (id, from, to) => call('probe.run', [id, from, to]),
    matrix: (id, nodes, detail) => call('probe.matrix', [id, nodes, detail]),
  };

  return {
    ...proxy,
    lab,
    probe,
    pid: () => child?.pid,
    async close() {
      closing = true;
      const c = child;
      if (!c) return;
      await new Promise<void>((resolve) => {
        const timer = setTimeout(() => { c.kill('SIGKILL'); resolve(); }, 5000);
        c.once('exit', () => { clearTimeout(timer); resolve(); });
        c.disconnect();
      });
    },
  };
}
