// Applying a drawing to a live session: validate, merge with the sandbox, diff against the kernel,
// run only what is missing, and on failure undo what this apply did.
import type { SessionHandle } from '../exec/enter.ts';
import type { Runner } from '../exec/run.ts';
import { runPhased, runSteps, type StepEffects } from '../exec/steps.ts';
import type { ObservedState } from '../observe/types.ts';
import { compilePlan } from '../plan/compile.ts';
import { diffPlan, removalSteps } from '../plan/diff.ts';
import type { Step, StepResult } from '../plan/step.ts';
import { describeErrors, validateTopology } from '../topology/load.ts';
import type { Topology } from '../topology/schema.ts';
import { mergeTopologies } from './merge.ts';
import type { ApplyResult, StepEvent } from './types.ts';

export class InvalidTopology extends Error {
  constructor(readonly errors: { path: string; message: string }[]) {
    super(`the topology is not valid:\n${describeErrors(errors)}`);
    this.name = 'InvalidTopology';
  }
}

export interface PlanContext {
  sessionId: string;
  wwwRoot: string;
}

/** Sandbox + drawing → the full plan. Throws InvalidTopology before anything runs. */
export function planFor(sandbox: Topology, drawing: Topology, ctx: PlanContext): { merged: Topology; plan: Step[] } {
  const checked = validateTopology(drawing);
  if (!checked.ok) throw new InvalidTopology(checked.errors);
  const { merged, conflicts } = mergeTopologies(sandbox, checked.value);
  if (conflicts.length) throw new InvalidTopology(conflicts.map((message) => ({ path: 'nodes', message })));
  const again = validateTopology(merged);
  if (!again.ok) throw new InvalidTopology(again.errors);
  return { merged: again.value, plan: compilePlan(again.value, { tag: `nsplay:${ctx.sessionId}`, wwwRoot: ctx.wwwRoot }) };
}

export interface ApplyInput {
  handle: SessionHandle;
  plan: Step[];
  previousPlan: Step[];
  observed: ObservedState;
  run: Runner;
  effects: StepEffects;
  onStep?: (e: StepEvent) => void;
}

/** The steps an apply would run now: removals for what the drawing dropped, then what is missing. */
export function pendingSteps(plan: Step[], previousPlan: Step[], observed: ObservedState): Step[] {
  return [...removalSteps(previousPlan, plan, observed), ...diffPlan(plan, observed)];
}

export async function applyPlan(i: ApplyInput): Promise<ApplyResult> {
  const removals = removalSteps(i.previousPlan, i.plan, i.observed);
  const missing = diffPlan(i.plan, i.observed);
  const todo = [...removals, ...missing];
  const total = todo.length;
  const indexOf = new Map(todo.map((s, k) => [s, k]));
  const hooks = {
    onStart: (step: Step) => i.onStep?.({ index: indexOf.get(step)!, total, step, status: 'running' as const }),
    onDone: (r: StepResult) => i.onStep?.({ index: indexOf.get(r.step)!, total, step: r.step, status: r.ok ? 'ok' as const : 'failed' as const, stderr: r.stderr || undefined, ms: r.ms }),
  };
  // Removals in their (reverse) order; then what is missing, phase by phase, namespaces in parallel.
  const results = await runSteps(i.handle, removals, i.run, i.effects, hooks);
  if (results.every((r) => r.ok)) results.push(...await runPhased(i.handle, missing, i.run, i.effects, hooks));
  const skipped = i.plan.length - missing.length;
  const failed = results.find((r) => !r.ok);
  if (!failed) return { ok: true, results, skipped };
  // Undo what this apply added; removals the drawing asked for stay removed.
  const removed = new Set(removals);
  const rolledBack = await rollback(i, results.filter((r) => r.ok && !removed.has(r.step)), total);
  return { ok: false, results, skipped, error: { step: failed.step, stderr: failed.stderr, rolledBack } };
}

/** Undo, newest first, what this apply changed; tolerate "already gone". */
async function rollback(i: ApplyInput, done: StepResult[], total: number): Promise<Step[]> {
  const undo: Step[] = done
    .filter((r) => r.step.undo !== null)
    .reverse()
    .map((r) => ({ ...r.step, id: `undo:${r.step.id}`, argv: r.step.undo!, undo: null, why: `roll back: ${r.step.why}` }));
  const undone: Step[] = [];
  for (const s of undo) {
    const [r] = await runSteps(i.handle, [s], i.run, i.effects);
    if (r?.ok) undone.push(s);
    i.onStep?.({ index: total, total, step: s, status: 'undone', stderr: r && !r.ok ? r.stderr : undefined });
  }
  return undone;
}
