// The engine's own process (see engine-proxy.ts): answers engine calls from the web server over IPC.
// It lives as long as the server's IPC channel; Ctrl-C reaches the server, which shuts it down in order.
import { createLabRunner } from '../labs/runner.ts';
import { matrix, probe as probeOnce } from '../probe/index.ts';
import { createEngine } from '../session/engine.ts';
import { createGate } from '../session/gate.ts';
import os from 'node:os';
import type { Engine } from '../session/types.ts';
import { LAB_METHODS, PROBE_METHODS, type LabService, type ProbeService, type Reply, type Request } from './engine-proxy.ts';

const engine = createEngine();
// The lab runner next to the engine it drives (its checks spawn as many processes as status reads).
const runner = createLabRunner({ engine });
const lab: LabService = {
  load: async (labId) => runner.load(labId),
  progress: (id) => runner.progress(id),
  check: (id, o) => runner.check(id, o),
  reset: (id) => runner.reset(id),
  runTo: async (id, to) => { const r = await runner.runTo(id, { to }); return { ok: r.ok, stoppedAt: r.stoppedAt, progress: r.progress }; },
};
// Probes of all sessions take turns, a few at once (NSPLAY_PROBE_JOBS, default the cores, at least 2):
// each reads every namespace of its session and times its answers; sixty at once (a room pressing
// "ping") made every one of them miss its quick answer window and fall back to the heavy traced
// attempt, which loaded the machine further.
const probeTurns = createGate(Number(process.env.NSPLAY_PROBE_JOBS) || Math.max(2, os.availableParallelism()));
const probe: ProbeService = {
  run: (id, from, to) => probeTurns.run(() => probeOnce(engine, id, from, to)),
  matrix: (id, nodes, detail) => probeTurns.run(() => matrix(engine, id, nodes, detail === undefined ? {} : { detail })),
};
const send = (r: Reply) => { if (process.connected) process.send!(r); };

process.on('message', async (m: Request) => {
  try {
    if ((LAB_METHODS as string[]).includes(m.method)) {
      const fn = lab[m.method.slice(4) as keyof LabService] as (...a: unknown[]) => Promise<unknown>;
      send({ id: m.id, ok: true, value: await fn(...m.args) });
      return;
    }
    if ((PROBE_METHODS as string[]).includes(m.method)) {
      const fn = probe[m.method.slice(6) as keyof ProbeService] as (...a: unknown[]) => Promise<unknown>;
      send({ id: m.id, ok: true, value: await fn(...m.args) });
      return;
    }
    const fn = engine[m.method as keyof Engine] as (...a: unknown[]) => Promise<unknown>;
    if (typeof fn !== 'function') throw new Error(`no engine method '${String(m.method)}'`);
    const args = m.method === 'apply' && m.steps ? [...m.args, (step: Parameters<NonNullable<Parameters<Engine['apply']>[2]>>[0]) => send({ id: m.id, step })] : m.args;
    send({ id: m.id, ok: true, value: await fn.apply(engine, args) });
  } catch (e) {
    const err = e as Error & { fields?: unknown };
    send({ id: m.id, ok: false, error: { name: err.name ?? 'Error', message: err.message ?? String(e), fields: err.fields } });
  }
});

// The server decides when this process ends (after destroying its sessions), not the terminal's Ctrl-C.
process.on('SIGINT', () => {});
process.on('SIGTERM', () => {});
process.on('disconnect', () => process.exit(0));
