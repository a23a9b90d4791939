// The session engine: the one object the CLI, the socket.io server and the tests drive.
import fs from 'node:fs';
import path from 'node:path';
import { enterNode } from '../exec/enter.ts';
import { runCommand, type Runner } from '../exec/run.ts';
import { DEFAULT_PROFILE, listLabIds, loadLab, loadProfile } from '../labs/catalog.ts';
import { driftOf } from '../plan/diff.ts';
import { renderScript } from '../plan/script.ts';
import type { Step } from '../plan/step.ts';
import { detectRuntime, type ContainerRuntime } from '../runtime/runtime.ts';
import { createSandbox, deadSessions, destroySandbox, liveHolder, newSessionId, orphanHolders } from '../sandbox/lifecycle.ts';
import { sessionDir, isSessionId } from '../sandbox/paths.ts';
import { killAndWait, processRef } from '../sandbox/procfs.ts';
import { listSessionIds, readApplied, readRecord, writeApplied, writeRecord, type SessionRecord } from '../sandbox/store.ts';
import type { Topology } from '../topology/schema.ts';
import { applyPlan, pendingSteps, planFor } from './apply.ts';
import { sessionEffects } from './effects.ts';
import { withSessionLock } from './lock.ts';
import { observeSession } from './observe-session.ts';
import { SessionNotFound, type ApplyResult, type Engine, type SessionInfo, type StepEvent } from './types.ts';

export interface EngineOptions {
  /** State directory shared by server and CLI (default NSPLAY_STATE_DIR or /run/nsplay). */
  stateDir?: string;
  labsDir?: string;
  run?: Runner;
  /** Sessions created with owner "server…" die with this process: reclaimed after a crash. */
  ownsSessions?: boolean;
}

const EMPTY: Topology = { version: 1, nodes: [], links: [] };

export function createEngine(o: EngineOptions = {}): Engine {
  const root = o.stateDir;
  const run = o.run ?? runCommand;
  let runtime: ContainerRuntime | null = null;
  const getRuntime = () => (runtime ??= detectRuntime(run));

  function record(id: string): SessionRecord {
    const rec = isSessionId(id) ? readRecord(id, root) : null;
    if (!rec) throw new SessionNotFound(id);
    return rec;
  }

  function handleOf(rec: SessionRecord) {
    const holder = liveHolder(rec);
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
    const observed = await observeSession(rec.id, handle, run, next.plan, root);
    const effects = sessionEffects({ sessionId: rec.id, handle, run, runtime: getRuntime, root });
    const result = await applyPlan({ handle, plan: next.plan, previousPlan: previous.plan, observed, run, effects, onStep });
    if (result.ok) writeApplied(rec.id, drawing, root);
    return result;
  }

  const engine: Engine = {
    async create({ lab, owner }) {
      const labDoc = lab ? loadLab(lab, o.labsDir) : null;
      const profile = labDoc?.sandbox ?? DEFAULT_PROFILE;
      const sandbox = loadProfile(profile, o.labsDir);
      const id = newSessionId();
      const ownerPid = owner.startsWith('server') && o.ownsSessions !== false ? processRef(process.pid) ?? undefined : undefined;
      try {
        const rec = await createSandbox({ id, owner, lab, profile, nodes: sandbox.nodes.map((n) => n.name), root, ownerPid });
        const result = await applyDrawing(rec, labDoc?.start ?? EMPTY);
        if (!result.ok) throw new Error(`could not build the sandbox: ${result.error?.step.argv.join(' ')}: ${result.error?.stderr}`);
        const ready: SessionRecord = { ...rec, phase: 'ready', ownerPid };
        writeRecord(ready, root);
        return info(ready);
      } catch (e) {
        await destroySandbox(id, getRuntime(), root).catch(() => undefined);
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
      await withSessionLock(id, root, () => destroySandbox(id, getRuntime(), root));
    },

    async apply(id, topology, onStep) {
      return withSessionLock(id, root, async () => {
        const rec = record(id);
        writeRecord({ ...rec, phase: 'applying' }, root);
        try {
          return await applyDrawing(rec, topology, onStep);
        } finally {
          const now = readRecord(id, root);
          if (now && now.phase === 'applying') writeRecord({ ...now, phase: 'ready' }, root);
        }
      });
    },

    async preview(id, topology) {
      const rec = record(id);
      const { next, previous } = plans(rec, topology);
      const observed = await observeSession(rec.id, handleOf(rec), run, next.plan, root);
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
      const shell = argv ?? ['env', `PS1=[${node}] \\w# `, 'bash', '--norc', '--noprofile', '-i'];
      return enterNode(handle, node, shell);
    },

    async labs() {
      return listLabIds(o.labsDir).map((labId) => {
        const lab = loadLab(labId, o.labsDir);
        return { id: lab.id, title: lab.title, summary: lab.summary, steps: lab.steps.length };
      });
    },

    async reclaim() {
      const removed: string[] = [];
      for (const id of deadSessions(root)) {
        await destroySandbox(id, getRuntime(), root);
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
