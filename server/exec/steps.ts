// Running a plan's steps inside a session: `ip` steps of one node go through one `ip -batch -`
// (≈0.1 ms a line instead of ≈2–3 ms a process); everything else runs one argv at a time.
import type { Step, StepResult } from '../plan/step.ts';
import { enterNet, ipIn, type SessionHandle } from './enter.ts';
import type { CommandResult, Runner } from './run.ts';

/** Steps that are not plain commands (services, containers) are started by the caller's effects. */
export interface StepEffects {
  runSpecial(step: Step): Promise<CommandResult>;
}

export interface RunStepsHooks {
  onStart?(step: Step): void;
  onDone?(result: StepResult): void;
}

/** Consecutive `ip` steps of the same node form one batch; anything else is a batch of one. */
export function batchSteps(steps: Step[]): Step[][] {
  const out: Step[][] = [];
  for (const s of steps) {
    const last = out[out.length - 1];
    if (last && s.tool === 'ip' && last[0].tool === 'ip' && last[0].node === s.node) last.push(s);
    else out.push([s]);
  }
  return out;
}

/** `ip -batch` stops at the first failing line and reports "Command failed -:N". */
export function failedBatchLine(stderr: string): number | null {
  const m = /Command failed -:(\d+)/.exec(stderr);
  return m ? Number(m[1]) : null;
}

function commandFor(h: SessionHandle, step: Step): string[] {
  switch (step.tool) {
    case 'ip': return ipIn(h, step.node, step.argv.slice(1));
    default: return enterNet(h, step.node, step.argv);
  }
}

function result(step: Step, r: CommandResult, ms = r.ms): StepResult {
  return { step, ok: r.code === 0, code: r.code, stdout: r.stdout, stderr: r.stderr.trim(), ms };
}

/**
 * Phases of a plan whose steps on different nodes are independent: creating namespaces and links
 * first, then everything configured inside each namespace (run per node, nodes in parallel).
 */
export function phaseOf(step: Step): number {
  switch (step.fact.kind) {
    case 'netns': case 'container': return 0;
    case 'link': return 1;
    case 'sysctl': return 2;
    case 'chain': case 'policy': case 'ipt': return 4;
    case 'service': return 5;
    default: return 3;
  }
}

/**
 * Splits steps into phases (keeping plan order inside each) and each phase into per-node groups.
 * Consecutive phases that are each one group on the same node become one group: the phase barrier only
 * orders nodes against each other, so `netns add ×N` and the veths born into them go out as one
 * `ip -batch` in host, not two.
 */
export function phasedGroups(steps: Step[]): Step[][][] {
  const phases: Map<string, Step[]>[] = [];
  for (const s of steps) {
    const p = phaseOf(s);
    phases[p] ??= new Map();
    const byNode = phases[p];
    byNode.set(s.node, [...(byNode.get(s.node) ?? []), s]);
  }
  const out: Step[][][] = [];
  for (const m of phases.filter(Boolean)) {
    const groups = [...m.values()];
    const last = out[out.length - 1];
    if (last && last.length === 1 && groups.length === 1 && last[0][0].node === groups[0][0].node) last[0] = [...last[0], ...groups[0]];
    else out.push(groups);
  }
  return out;
}

/**
 * Runs a plan phase by phase; inside a phase each node's steps run in order (batched) and nodes run
 * concurrently, at most `parallel` at a time. Stops after the first phase with a failure.
 */
export async function runPhased(h: SessionHandle, steps: Step[], run: Runner, effects: StepEffects, hooks: RunStepsHooks = {}, parallel = 4): Promise<StepResult[]> {
  const results: StepResult[] = [];
  for (const groups of phasedGroups(steps)) {
    const queue = [...groups];
    const done: StepResult[][] = [];
    await Promise.all(Array.from({ length: Math.min(parallel, queue.length) }, async () => {
      for (let g = queue.shift(); g; g = queue.shift()) done.push(await runSteps(h, g, run, effects, hooks));
    }));
    const order = new Map(steps.map((s, i) => [s, i]));
    const phaseResults = done.flat().sort((a, b) => order.get(a.step)! - order.get(b.step)!);
    results.push(...phaseResults);
    if (phaseResults.some((r) => !r.ok)) break;
  }
  return results;
}

/** Runs steps in order until one fails; returns the results of those that ran (the last one failed if !ok). */
export async function runSteps(h: SessionHandle, steps: Step[], run: Runner, effects: StepEffects, hooks: RunStepsHooks = {}): Promise<StepResult[]> {
  const results: StepResult[] = [];
  for (const batch of batchSteps(steps)) {
    batch.forEach((s) => hooks.onStart?.(s));
    const batchResults = await runBatch(h, batch, run, effects);
    for (const r of batchResults) {
      results.push(r);
      hooks.onDone?.(r);
    }
    if (batchResults.some((r) => !r.ok)) break;
  }
  return results;
}

/**
 * Crash-test hook (gate 2, test/integration/crash-anywhere.test.ts). Counts *mutating commands*: each
 * runBatch call is one — one `ip -batch -` however many lines it carries, one single command, one
 * service or container start/removal. Plan steps and rollback steps count alike; observation commands
 * never pass here. While NSPLAY_TEST_KILL_AFTER=k is set (read at each command, so a test process
 * can set it after its session is created), the process SIGKILLs itself once the k-th counted
 * command has finished — before its result is recorded; commands of other nodes running in parallel
 * at that moment (runPhased) are left to finish on their own, as in a real crash. Unset: never kills
 * (NSPLAY_TEST_COUNT=1 only counts).
 */
let mutatingCommands = 0;

/** How many mutating commands this process ran while NSPLAY_TEST_KILL_AFTER / NSPLAY_TEST_COUNT was set. */
export function mutatingCommandCount(): number {
  return mutatingCommands;
}

function afterMutatingCommand(): void {
  const limit = process.env.NSPLAY_TEST_KILL_AFTER;
  if (!limit && !process.env.NSPLAY_TEST_COUNT) return;
  mutatingCommands += 1;
  if (limit && mutatingCommands >= Number(limit)) process.kill(process.pid, 'SIGKILL');
}

async function runBatch(h: SessionHandle, batch: Step[], run: Runner, effects: StepEffects): Promise<StepResult[]> {
  const results = await runBatchCommand(h, batch, run, effects);
  afterMutatingCommand();
  return results;
}

async function runBatchCommand(h: SessionHandle, batch: Step[], run: Runner, effects: StepEffects): Promise<StepResult[]> {
  const first = batch[0];
  if (first.tool === 'service' || first.tool === 'runtime') return [result(first, await effects.runSpecial(first))];
  if (batch.length === 1) return [result(first, await run(commandFor(h, first)))];
  const input = `${batch.map((s) => s.argv.slice(1).join(' ')).join('\n')}\n`;
  const r = await run(ipIn(h, first.node, ['-batch', '-']), { input });
  const perStep = r.ms / batch.length;
  if (r.code === 0) return batch.map((s) => result(s, { ...r, stdout: '', stderr: '' }, perStep));
  const line = failedBatchLine(r.stderr) ?? 1;
  return batch.slice(0, line).map((s, i) =>
    i < line - 1 ? result(s, { ...r, code: 0, stdout: '', stderr: '' }, perStep) : result(s, { ...r, code: r.code || 1, stderr: r.stderr.replace(/Command failed -:\d+\s*$/, '') }, perStep));
}
