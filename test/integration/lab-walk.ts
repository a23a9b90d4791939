// Walking a lab the way the issue asks it to be proven: in a real session, for every step, its checks
// fail before its commands run and all pass after; every check is seen failing at least once in the
// walk (a check that cannot fail is a defect); then reset returns the session to the lab's start and
// destroy leaves nothing behind.
import fs from 'node:fs';
import path from 'node:path';
import { expect } from 'vitest';
import { runCommand } from '../../server/exec/run.ts';
import { sessionCheckContext } from '../../server/labs/checks/context.ts';
import { evaluateCheck } from '../../server/labs/checks/evaluate.ts';
import { createLabRunner } from '../../server/labs/runner.ts';
import { loadLab, loadProfile } from '../../server/labs/catalog.ts';
import { createEngine, workDir } from '../../server/session/engine.ts';
import { TEST_STATE_DIR } from './env.ts';

export const engine = createEngine({ stateDir: TEST_STATE_DIR });
export const runner = createLabRunner({ engine });

export interface WalkTiming {
  step: number;
  beforeMs: number;
  runMs: number;
  afterMs: number;
  /** Checks already true before the step (negative outcomes, like "Network is unreachable"). */
  alreadyTrue: string[];
}

const fmt = (checks: { ok: boolean; label: string; detail: string }[]) =>
  checks.map((c) => `${c.ok ? '✓' : '✗'} ${c.label}${c.detail ? ` — ${c.detail}` : ''}`).join('\n');

/** Runs every step of the lab in session `id`, asserting the before/after property; returns timings. */
export async function walkSteps(id: string, labId: string): Promise<WalkTiming[]> {
  const lab = loadLab(labId);
  const seenFailing = new Set<string>();
  const timings: WalkTiming[] = [];
  for (let k = 0; k < lab.steps.length; k++) {
    const t0 = performance.now();
    const before = await runner.check(id, { step: k });
    for (const c of before.steps[0].checks) if (!c.ok) seenFailing.add(`${k}/${c.index}`);
    expect(before.ok, `step ${k + 1} '${lab.steps[k].title}': its checks already pass before its commands ran\n${fmt(before.steps[0].checks)}`).toBe(false);
    const t1 = performance.now();
    const run = await runner.runStep(id, k);
    const t2 = performance.now();
    expect(run.passed, `step ${k + 1} '${lab.steps[k].title}' did not pass after its commands:\n${fmt(run.checks)}\n--- output ---\n${run.output}`).toBe(true);
    // Checks that passed before their own step (negative outcomes, like "Network is unreachable")
    // must fail in some later state, or they could never fail.
    const context = sessionCheckContext(engine, id, runCommand);
    await Promise.all(lab.steps.slice(0, k).map(async (s, j) => {
      const pending = s.checks.map((_, i) => i).filter((i) => !seenFailing.has(`${j}/${i}`));
      const results = await Promise.all(pending.map((i) => evaluateCheck(context, s.checks[i], i)));
      for (const c of results) if (!c.ok) seenFailing.add(`${j}/${c.index}`);
    }));
    timings.push({ step: k + 1, beforeMs: Math.round(t1 - t0), runMs: Math.round(t2 - t1), afterMs: Math.round(performance.now() - t2),
      alreadyTrue: before.steps[0].checks.filter((c) => c.ok).map((c) => c.label) });
  }
  const never = lab.steps.flatMap((s, j) => s.checks.map((_, i) => ({ j, i })).filter(({ i }) => !seenFailing.has(`${j}/${i}`))
    .map(({ i }) => `step ${j + 1} check ${i + 1}: ${runner.load(labId).steps[j].checkLabels[i]}`));
  expect(never, 'checks that never failed during the walk').toEqual([]);
  return timings;
}

async function inHost(id: string, argv: string[]) {
  return runCommand(await engine.enterArgv(id, 'host', argv), { timeoutMs: 20_000 });
}

/** After reset: the sandbox's namespaces only, no containers, an empty work directory, progress at 1. */
export async function expectFreshSandbox(id: string, labId: string): Promise<void> {
  const lab = loadLab(labId);
  const profile = loadProfile(lab.sandbox);
  const expected = profile.nodes.filter((n) => !['host', 'bridge', 'container'].includes(n.kind)).map((n) => n.name).sort();
  const netns = await inHost(id, ['ip', 'netns', 'list']);
  expect(netns.stdout.split('\n').map((l) => l.split(' ')[0]).filter(Boolean).sort()).toEqual(expected);
  const containers = await inHost(id, ['docker', 'ps', '-a', '--format', '{{.Names}}']);
  expect(containers.code, containers.stderr).toBe(0);
  expect(containers.stdout.trim()).toBe('');
  expect(fs.readdirSync(workDir(await engine.dir(id)))).toEqual([]);
  const p = await runner.progress(id);
  expect(p.current).toBe(0);
  const first = await runner.check(id, { step: 0 });
  expect(first.ok).toBe(false);
}

/** After destroy: no directory, no process that names it (holder, conmon, a server a step started). */
export function expectGone(id: string): void {
  const dir = path.join(TEST_STATE_DIR, 'sessions', id);
  expect(fs.existsSync(dir)).toBe(false);
  const left = fs.readdirSync('/proc').filter((p) => /^\d+$/.test(p)).filter((p) => {
    try { return fs.readFileSync(`/proc/${p}/cmdline`, 'utf8').includes(dir); } catch { return false; }
  });
  expect(left, `processes naming ${dir}`).toEqual([]);
}
