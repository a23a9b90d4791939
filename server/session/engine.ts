// The session engine: the one object the CLI, the socket.io server and the tests drive.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { enterNode } from '../exec/enter.ts';
import { runCommand, type Runner } from '../exec/run.ts';
import { DEFAULT_PROFILE, listLabIds, loadLab, loadProfile } from '../labs/catalog.ts';
import { driftOf } from '../plan/diff.ts';
import { renderScript } from '../plan/script.ts';
import type { Step } from '../plan/step.ts';
import { detectRuntime, dockerEngineRuns, MACHINE_IMAGE_STORE, type ContainerRuntime, type RuntimeScope } from '../runtime/runtime.ts';
import { prepareContainerStore, shimDir } from '../runtime/store.ts';
import { createSandbox, deadSessions, destroySandbox, liveHolder, newSessionId, orphanHolders, resetSandbox } from '../sandbox/lifecycle.ts';
import { sessionDir, isSessionId } from '../sandbox/paths.ts';
import { killAndWait, processRef } from '../sandbox/procfs.ts';
import { listSessionIds, readApplied, readJournal, readRecord, writeApplied, writeRecord, type SessionRecord } from '../sandbox/store.ts';
import type { Topology } from '../topology/schema.ts';
import { applyPlan, pendingSteps, planFor } from './apply.ts';
import { sessionEffects } from './effects.ts';
import { withSessionLock } from './lock.ts';
import { createGate } from './gate.ts';
import { observeSession } from './observe-session.ts';
import { SessionNotFound, type ApplyResult, type Engine, type SessionInfo, type StepEvent } from './types.ts';

export interface EngineOptions {
  /** State directory shared by server and CLI (default NSPLAY_STATE_DIR or /run/nsplay). */
  stateDir?: string;
  labsDir?: string;
  run?: Runner;
  /** Sessions created with owner "server…" die with this process: reclaimed after a crash. */
  ownsSessions?: boolean;
  /** Kernel-changing jobs (create, apply, destroy, reset) at once, all sessions together (default: the cores, at least 2; NSPLAY_KERNEL_JOBS). */
  kernelJobs?: number;
}

const EMPTY: Topology = { version: 1, nodes: [], links: [] };

/** The engine plus what the lab runner needs: a reset that keeps the id, and the session's directory. */
export interface SessionEngine extends Engine {
  /**
   * Returns a session to its lab's start under the same id: its processes, containers and namespaces
   * end (a new holder: shells open in it must be reopened), its work directory is emptied, and the
   * sandbox and the lab's start drawing are applied again.
   */
  reset(id: string): Promise<SessionInfo>;
  /** The session's directory: state files, `work/` (where its host shells start), `bin/` (docker).
   *  Async so the engine can live in another process (server/realtime/engine-proxy.ts). */
  dir(id: string): Promise<string>;
}

/** Where a session's shells start: the seed's commands write files (bridge.conf, cni-bin/) here. */
export function workDir(dir: string): string {
  return path.join(dir, 'work');
}

export function createEngine(o: EngineOptions = {}): SessionEngine {
  const root = o.stateDir;
  const run = o.run ?? runCommand;
  const kernel = createGate(o.kernelJobs ?? (Number(process.env.NSPLAY_KERNEL_JOBS) || Math.max(2, os.availableParallelism())));
  // Containers live in the session's own store, managed inside its holder (server/runtime/store.ts).
  const runtimeFor = (scope: RuntimeScope): ContainerRuntime => detectRuntime(run, scope);
  const scopeOf = (rec: SessionRecord, holderPid: number): RuntimeScope => ({ sessionId: rec.id, dir: sessionDir(rec.id, root), holderPid });

  /** The session's work directory and its `docker` (written again whenever the holder changes). */
  function prepareSession(rec: SessionRecord, holderPid: number): void {
    const dir = sessionDir(rec.id, root);
    fs.mkdirSync(workDir(dir), { recursive: true });
    prepareContainerStore({ sessionId: rec.id, dir, holderPid, runtime: dockerEngineRuns() ? 'docker' : 'podman', imageStore: MACHINE_IMAGE_STORE });
  }

  function record(id: string): SessionRecord {
    const rec = isSessionId(id) ? readRecord(id, root) : null;
    if (!rec) throw new SessionNotFound(id);
    return rec;
  }

  function handleOf(rec: SessionRecord) {
    const holder = liveHolder(rec, readJournal(rec.id, root));
    if (!holder) throw new Error(`session ${rec.id}'s sandbox is gone (its holder process died); destroy it and create a new one`);
    return { holderPid: holder.pid };
  }

  const info = (rec: SessionRecord): SessionInfo => ({
    id: rec.id, lab: rec.lab, owner: rec.owner, createdAt: rec.createdAt, phase: rec.phase, nodes: rec.nodes,
  });

  function plans(rec: SessionRecord, drawing: Topology) {
    const ctx = { sessionId: rec.id, wwwRoot: path.join(sessionDir(rec.id, root), 'www') };
    const sandbox = loadProfile(rec.profile, o.labsDir);
    const next = planFor(sandbox, drawing, ctx);
    const previous = planFor(sandbox, readApplied(rec.id, root) ?? EMPTY, ctx);
    return { sandbox, next, previous };
  }

  async function applyDrawing(rec: SessionRecord, drawing: Topology, onStep?: (e: StepEvent) => void): Promise<ApplyResult> {
    const handle = handleOf(rec);
    const { next, previous } = plans(rec, drawing);
    const observed = await observeSession(rec.id, handle, run, [...next.plan, ...previous.plan], root);
    const effects = sessionEffects({ sessionId: rec.id, handle, run, runtime: () => runtimeFor(scopeOf(rec, handle.holderPid)), root });
    const result = await applyPlan({ handle, plan: next.plan, previousPlan: previous.plan, observed, run, effects, onStep });
    if (result.ok) writeApplied(rec.id, drawing, root);
    return result;
  }

  const engine: SessionEngine = {
    async create({ lab, owner }) {
      const labDoc = lab ? loadLab(lab, o.labsDir) : null;
      const profile = labDoc?.sandbox ?? DEFAULT_PROFILE;
      const sandbox = loadProfile(profile, o.labsDir);
      const id = newSessionId();
      const ownerPid = owner.startsWith('server') && o.ownsSessions !== false ? processRef(process.pid) ?? undefined : undefined;
      try {
        return await kernel.run(async () => {
          const rec = await createSandbox({ id, owner, lab, profile, nodes: sandbox.nodes.map((n) => n.name), root, ownerPid });
          prepareSession(rec, handleOf(rec).holderPid);
          const result = await applyDrawing(rec, labDoc?.start ?? EMPTY);
          if (!result.ok) throw new Error(`could not build the sandbox: ${result.error?.step.argv.join(' ')}: ${result.error?.stderr}`);
          const ready: SessionRecord = { ...rec, phase: 'ready', ownerPid };
          writeRecord(ready, root);
          return info(ready);
        });
      } catch (e) {
        await destroySandbox(id, runtimeFor, root).catch(() => undefined);
        throw e;
      }
    },

    async list() {
      return listSessionIds(root).map((id) => readRecord(id, root)).filter((r): r is SessionRecord => r !== null).map(info);
    },

    async info(id) {
      return info(record(id));
    },

    async destroy(id) {
      if (!isSessionId(id)) throw new SessionNotFound(id);
      await withSessionLock(id, root, () => kernel.run(() => destroySandbox(id, runtimeFor, root), { urgent: true }));
    },

    async apply(id, topology, onStep) {
      return withSessionLock(id, root, () => kernel.run(async () => {
        const rec = record(id);
        writeRecord({ ...rec, phase: 'applying' }, root);
        try {
          return await applyDrawing(rec, topology, onStep);
        } finally {
          const now = readRecord(id, root);
          if (now && now.phase === 'applying') writeRecord({ ...now, phase: 'ready' }, root);
        }
      }));
    },

    async preview(id, topology) {
      const rec = record(id);
      const { next, previous } = plans(rec, topology);
      const observed = await observeSession(rec.id, handleOf(rec), run, [...next.plan, ...previous.plan], root);
      const drawingOnly = planFor(EMPTY, topology, { sessionId: rec.id, wwwRoot: '/srv/nsplay' }).plan;
      return { steps: pendingSteps(next.plan, previous.plan, observed), script: renderScript(drawingOnly, topology.name ?? 'nsplay topology') };
    },

    async status(id) {
      const rec = record(id);
      const { next } = plans(rec, readApplied(rec.id, root) ?? EMPTY);
      const observed = await observeSession(rec.id, handleOf(rec), run, next.plan, root);
      return { info: info(rec), desired: next.merged, observed, drift: driftOf(next.plan, observed) };
    },

    async enterArgv(id, node, argv) {
      const rec = record(id);
      const handle = handleOf(rec);
      const known = node === 'host' || fs.existsSync(path.join(sessionDir(id, root), 'netns', node));
      if (!known) throw new Error(`session ${id} has no node '${node}'`);
      // The session's `docker` first on PATH; an interactive shell starts in the session's work directory.
      const path_ = `PATH=${shimDir(sessionDir(id, root))}:${process.env.PATH ?? '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin'}`;
      if (!argv) fs.mkdirSync(workDir(sessionDir(id, root)), { recursive: true });
      const shell = ['env', '-C', workDir(sessionDir(id, root)), path_, `PS1=[${node}] \\w# `, 'bash', '--norc', '--noprofile', '-i'];
      return enterNode(handle, node, argv ? ['env', path_, ...argv] : shell);
    },

    async labs() {
      return listLabIds(o.labsDir).map((labId) => {
        const lab = loadLab(labId, o.labsDir);
        return { id: lab.id, title: lab.title, summary: lab.summary, steps: lab.steps.length };
      });
    },

    async reset(id) {
      return withSessionLock(id, root, () => kernel.run(async () => {
        const rec = record(id);
        const labDoc = rec.lab ? loadLab(rec.lab, o.labsDir) : null;
        const fresh = await resetSandbox(id, runtimeFor, root);
        prepareSession(fresh, handleOf(fresh).holderPid);
        const result = await applyDrawing(fresh, labDoc?.start ?? EMPTY);
        if (!result.ok) throw new Error(`could not rebuild the sandbox: ${result.error?.step.argv.join(' ')}: ${result.error?.stderr}`);
        const ready: SessionRecord = { ...fresh, phase: 'ready' };
        writeRecord(ready, root);
        return info(ready);
      }));
    },

    async dir(id) {
      return sessionDir(record(id).id, root);
    },

    async reclaim() {
      const removed: string[] = [];
      for (const id of deadSessions(root)) {
        await destroySandbox(id, runtimeFor, root);
        removed.push(id);
      }
      const orphans = orphanHolders(root);
      await killAndWait(orphans);
      removed.push(...orphans.map((h) => `holder ${h.pid}`));
      return removed;
    },
  };
  return engine;
}

export type { Step };
