// The labs figure of issue 5 for `npm run bench`: for each lab under labs/, the wall time to run it end
// to end as a learner's "run everything" does — `nsplay session create --lab LAB` then
// `nsplay lab run ID` (the runner API: createLabRunner(…).runTo), every step's commands in order, each
// followed by its checks — verified: a run counts only when every step ran and every check passed,
// otherwise the lab is reported FAILED with the step and the checks that failed.
//
// Baseline, measured in the same run: a fresh session of the same lab, and the lab's own commands (every
// step's, verbatim, in order) as ONE plain bash script in the session's host shell and work directory —
// no checks, no per-step shells, no `set -v` echo, no variable hand-over file (one shell keeps them), no
// progress records. Its end state is then checked (untimed) against the last step's checks, so a
// baseline that did not reach the lab's end is said so, not silently compared.
//
// Sessions come from the harness (newSession/teardown: bench state dir, destroyed after each
// measurement and waited for until the kernel freed them).
import fs from 'node:fs';
import path from 'node:path';
import { createLabRunner, type RunTo } from '../server/labs/runner.ts';
import { listLabIds, loadLab } from '../server/labs/catalog.ts';
import { labStateDir } from '../server/labs/progress.ts';
import type { Lab } from '../server/labs/schema.ts';
import { runStepScript } from '../server/labs/step-script.ts';
import { runCommand, type Runner } from '../server/exec/run.ts';
import { workDir, type SessionEngine } from '../server/session/engine.ts';
import type { Engine } from '../server/session/types.ts';
import { fmtNumber, summarize, type Summary } from './stats.ts';
import type { Figure } from './figure.ts';

export type LabsFigure = Figure;

/** What the figure needs from the harness (bench/run.ts). */
export interface LabsContext {
  engine: Engine;
  quick: boolean;
  /** --reps, when given. */
  reps: number | null;
  log: (line?: string) => void;
  figures: { push(...f: LabsFigure[]): number };
  failures: string[];
  /** A new bench session made for `lab` (tracked: destroyed on SIGINT too). */
  newSession: (lab?: string) => Promise<string>;
  /** Destroys the session and waits until the kernel has freed it. */
  teardown: (id: string) => Promise<void>;
  /** Only these labs (default: every lab under labs/). */
  labs?: string[];
}

const sec = (x: number) => `${fmtNumber(x / 1000)} s`;
const q = (s: string) => `'${s.replace(/'/g, `'\\''`)}'`;

/** One verified nsplay run: where its time went (ms). */
interface LabRun {
  total: number;
  create: number;
  /** Σ of the steps' commands (the runner's StepRun.ms: their bash, start to exit). */
  commands: number;
  /** runTo's wall − Σ commands: the checks, plus the runner's bookkeeping (session info, lab load, step files, enterArgv, progress). */
  checks: number;
  checkCount: number;
  /** Σ of check commands spawned (through the runner's Runner). */
  checkProcs: number;
  /** The slowest single check (they run in parallel within a step, so these do not add up). */
  slowest: string;
}

interface BaseRun { total: number; create: number; script: number; code: number; endOk: boolean; endWhy: string }

function failedChecks(r: RunTo, lab: Lab): string {
  const i = r.stoppedAt ?? r.runs.findIndex((s) => !s.passed);
  const s = r.runs.find((x) => x.step === i);
  if (!s) return `runTo not ok and no step failed (${r.runs.length} of ${lab.steps.length} steps ran)`;
  const bad = s.checks.filter((c) => !c.ok).map((c) => `✗ ${c.label}${c.detail ? ` — ${c.detail}` : ''}`);
  const how = s.timedOut ? `commands timed out after ${lab.steps[i].timeoutSec} s` : `commands exit ${s.code}`;
  const tail = s.output.trim().split('\n').slice(-3).join(' ⏎ ').slice(0, 300);
  return `step ${i + 1} "${lab.steps[i].title}" not passed (${how}): ${bad.join('; ').slice(0, 600)}${tail ? ` [last output: ${tail}]` : ''}`;
}

/** The baseline script: every step's commands, verbatim, in order, in one bash. */
function baselineScript(lab: Lab, work: string): string {
  return [
    `# ${lab.id}: every step's commands as one plain bash script (bench baseline)`,
    `cd ${q(work)} || exit 1`,
    ...lab.steps.flatMap((s, i) => [`# step ${i + 1}: ${s.title.replace(/\n/g, ' ')}`, (s.commands ?? ':').replace(/\s+$/, '')]),
    '',
  ].join('\n');
}

export async function figureLabs(ctx: LabsContext): Promise<void> {
  const { log } = ctx;
  if (!('reset' in ctx.engine && 'dir' in ctx.engine)) throw new Error('the labs figure needs the session engine (createEngine)');
  const engine = ctx.engine as SessionEngine;
  const reps = ctx.reps ?? (ctx.quick ? 1 : 3);
  // Check commands are counted through the runner's Runner (used for its checks only).
  let checkProcs = 0;
  const counting: Runner = (argv, opts) => { checkProcs++; return runCommand(argv, opts); };
  const runner = createLabRunner({ engine, run: counting });
  const ids = ctx.labs ?? listLabIds();
  log(`labs end to end: ${ids.length} labs, session create --lab + lab run (every step, its checks) vs the lab's commands as one bash script in a fresh session (${reps} run${reps === 1 ? '' : 's'} each)`);

  /** A measurement in its own session, always destroyed afterwards (teardown waits for the kernel). */
  const inSession = async <T>(labId: string, fn: (id: string, create: number) => Promise<T>): Promise<T> => {
    const t0 = performance.now();
    const id = await ctx.newSession(labId);
    const create = performance.now() - t0;
    try {
      return await fn(id, create);
    } finally {
      await ctx.teardown(id);
    }
  };

  const nsplayRun = (lab: Lab) => inSession(lab.id, async (id, create): Promise<LabRun> => {
    checkProcs = 0;
    const t1 = performance.now();
    const r = await runner.runTo(id);
    const t2 = performance.now();
    if (!r.ok) throw new Error(failedChecks(r, lab));
    if (r.runs.length !== lab.steps.length || !r.runs.every((s) => s.passed) || !r.progress.steps.every((s) => s.passed)) {
      throw new Error(`runTo said ok but ${r.runs.length} of ${lab.steps.length} steps ran, ${r.progress.steps.filter((s) => s.passed).length} passed`);
    }
    const commands = r.runs.reduce((a, s) => a + s.ms, 0);
    const slow = r.runs.flatMap((s) => s.checks.map((c) => ({ step: s.step, c }))).sort((a, b) => b.c.ms - a.c.ms)[0];
    return {
      slowest: slow ? `step ${slow.step + 1} ${slow.c.label} ${sec(slow.c.ms)}` : '–',
      total: create + (t2 - t1), create, commands, checks: t2 - t1 - commands,
      checkCount: r.runs.reduce((a, s) => a + s.checks.length, 0), checkProcs,
    };
  });

  const baselineRun = (lab: Lab) => inSession(lab.id, async (id, create): Promise<BaseRun> => {
    const dir = await engine.dir(id);
    const state = path.join(labStateDir(dir), 'bench');
    fs.mkdirSync(state, { recursive: true });
    const file = path.join(state, 'all-steps.sh');
    fs.writeFileSync(file, baselineScript(lab, workDir(dir)));
    // As the runner's steps: no curl progress meter on a non-terminal (output only; costs nothing).
    fs.writeFileSync(path.join(state, '.curlrc'), 'no-progress-meter\n');
    const t1 = performance.now();
    const argv = await engine.enterArgv(id, 'host', ['env', `CURL_HOME=${state}`, 'bash', file]);
    const timeoutMs = lab.steps.reduce((a, s) => a + s.timeoutSec, 0) * 1000;
    // A log file, not a pipe: a server a step leaves in the background must not hold the run.
    const r = await runStepScript(argv, path.join(state, 'all-steps.log'), timeoutMs);
    const t2 = performance.now();
    // Untimed: did the plain script reach the lab's end state? (the last step's checks)
    let endOk = false;
    let endWhy = '';
    if (lab.steps.length) {
      const c = await runner.check(id, { step: lab.steps.length - 1 });
      endOk = c.ok;
      endWhy = c.steps.flatMap((s) => s.checks.filter((x) => !x.ok).map((x) => `✗ ${x.label}${x.detail ? ` — ${x.detail}` : ''}`)).join('; ').slice(0, 400);
    } else endOk = true;
    if (r.timedOut) endWhy = `timed out after ${timeoutMs / 1000} s; ${endWhy}`;
    return { total: create + (t2 - t1), create, script: t2 - t1, code: r.code, endOk, endWhy };
  });

  for (const labId of ids) {
    let lab: Lab;
    try {
      lab = loadLab(labId);
    } catch (e) {
      const why = `could not load: ${(e as Error).message.split('\n')[0]}`;
      ctx.failures.push(`lab ${labId}: ${why}`);
      ctx.figures.push({ name: `lab ${labId} end to end`, unit: 's', value: null, failed: why, baseline: null, baselineWhat: '–', goal: '–' });
      log(`  ${labId}: FAILED: ${why}`);
      continue;
    }
    const nChecks = lab.steps.reduce((a, s) => a + s.checks.length, 0);
    log(`lab ${lab.id} (${lab.steps.length} steps, ${nChecks} checks)`);
    const mine: LabRun[] = [];
    const base: BaseRun[] = [];
    const failedRuns: string[] = [];
    for (let r = 0; r < reps; r++) {
      const order = r % 2 === 0 ? ['nsplay', 'baseline'] : ['baseline', 'nsplay'];
      for (const who of order) {
        try {
          if (who === 'nsplay') {
            const x = await nsplayRun(lab);
            mine.push(x);
            log(`  nsplay   ${sec(x.total).padStart(8)}   all ${lab.steps.length} steps passed · create ${sec(x.create)} · commands ${sec(x.commands)} · checks ${sec(x.checks)} (${x.checkCount} checks, ${x.checkProcs} procs; slowest: ${x.slowest})`);
          } else {
            const x = await baselineRun(lab);
            base.push(x);
            log(`  script   ${sec(x.total).padStart(8)}   create ${sec(x.create)} · script ${sec(x.script)} (exit ${x.code}) · end state ${x.endOk ? 'reached (last step\'s checks pass)' : `NOT reached: ${x.endWhy}`}`);
          }
        } catch (e) {
          const why = (e as Error).message.split('\n')[0];
          if (who === 'nsplay') failedRuns.push(why);
          else base.push({ total: NaN, create: NaN, script: NaN, code: -1, endOk: false, endWhy: `baseline run failed: ${why}` });
          log(`  ${who === 'nsplay' ? 'nsplay  ' : 'script  '} FAILED: ${why}`);
        }
      }
    }
    if (failedRuns.length) ctx.failures.push(`lab ${lab.id} end to end: ${failedRuns[0]}`);
    const okBase = base.filter((b) => Number.isFinite(b.total));
    const mid = <T extends { total: number }>(xs: T[]): T | undefined => [...xs].sort((a, b) => a.total - b.total)[Math.floor((xs.length - 1) / 2)];
    const m = mid(mine);
    const b = mid(okBase);
    const notes: string[] = [];
    if (m) {
      notes.push(`median nsplay run: session create ${sec(m.create)} · steps' commands ${sec(m.commands)} · checks ${sec(m.checks)} (${m.checkCount} checks, ${m.checkProcs} check procs; with the runner's bookkeeping: lab load, step files, progress; slowest check: ${m.slowest})`);
    }
    if (b) notes.push(`median baseline: session create ${sec(b.create)} · script ${sec(b.script)}`);
    const notReached = base.filter((x) => !x.endOk);
    if (notReached.length) notes.push(`baseline did not reach the lab's end state in ${notReached.length} of ${base.length} runs (${notReached[0].endWhy || `exit ${notReached[0].code}`}) — compare with care`);
    ctx.figures.push({
      name: `lab ${lab.id} end to end (${lab.steps.length} steps, ${nChecks} checks)`,
      unit: 's',
      value: mine.length ? summarize(mine.map((x) => x.total / 1000)) : null,
      failed: failedRuns.length ? `${failedRuns.length} of ${reps} runs: ${failedRuns[0]}` : undefined,
      baseline: okBase.length ? summarize(okBase.map((x) => x.total / 1000)) : null,
      baselineWhat: '(every *lab … end to end* row) session create --lab of the same lab + the lab\'s own commands (every step\'s, verbatim, in order) as one plain `bash` script in its host shell and work directory: no checks, no per-step shells, no progress records',
      goal: '–',
      note: notes.length ? notes.join('; ') : undefined,
    });
  }
}
