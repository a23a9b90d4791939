// The lab runner: the eight seed labs (and any other labs/<nn-slug>/lab.yaml) as lessons that check
// themselves against the kernel of a session.
//
// ── API for the server (socket.io handlers) and the CLI ───────────────────────────────────────────
//   const labs = createLabRunner({ engine })        engine: createEngine(...) (a SessionEngine)
//
//   labs.list(): Promise<LabSummary[]>              every lab: id, title, summary, number of steps
//   labs.load(labId): LabView                       the lab for the panel: steps with title, body
//                                                   (Markdown), commands (text to type or Run), adapted
//                                                   (where and why they differ from the seed), hints,
//                                                   notes (the seed's FAQ answers have faq: true),
//                                                   checkLabels (one sentence per check)
//   labs.progress(sessionId): Promise<LabProgress>  the session's lab, `current` step (first not yet
//                                                   passed) and per step: ran, passed, last check
//                                                   results. Persisted in <session>/lab/progress.json,
//                                                   so a reloaded page gets it back.
//   labs.runStep(sessionId, step, {onOutput})       runs step `step` (0-based) in the session's host
//        : Promise<StepRun>                         shell — work directory, shell variables of earlier
//                                                   steps — streams its output, then evaluates its checks
//                                                   and records progress. The page may instead type the
//                                                   commands into the host terminal and call check()
//                                                   (variables the runner's steps set are kept in
//                                                   <session>/lab/vars.sh: `. that-file` in a terminal).
//   labs.check(sessionId, {step?, all?})            evaluates one step's checks (default: the current
//        : Promise<LabCheck>                        step), or every step's with all; records progress.
//   labs.runTo(sessionId, {to?, onStep?, onOutput?}) runs from the current step through step `to`
//        : Promise<RunTo>                           (0-based, default the last); stops at the first step
//                                                   whose checks fail. ok only when all ran and passed.
//   labs.reset(sessionId): Promise<LabProgress>     back to the lab's start under the same session id:
//                                                   new namespaces (terminals must be reopened), no
//                                                   containers, empty work directory, progress cleared.
//
// Checks are evaluated in the session (ping, curl, ip -j, iptables -S, nft, conntrack, files) —
// never by reading a terminal. Every call validates the session id and the step index first.
import fs from 'node:fs';
import path from 'node:path';
import { runCommand, type Runner } from '../exec/run.ts';
import { workDir, type SessionEngine } from '../session/engine.ts';
import type { LabSummary } from '../session/types.ts';
import { listLabIds, loadLab } from './catalog.ts';
import { sessionCheckContext } from './checks/context.ts';
import { describeCheck } from './checks/describe.ts';
import { evaluateChecks, type CheckResult } from './checks/evaluate.ts';
import { currentStep, labStateDir, readProgress, writeProgress, type LabProgress, type StepProgress } from './progress.ts';
import type { Lab, LabStep } from './schema.ts';
import { runStepScript, stepScript } from './step-script.ts';

export type LabView = Omit<Lab, 'steps'> & { steps: (LabStep & { checkLabels: string[] })[] };

export interface StepRun {
  step: number;
  /** Exit status of the commands (informative: the checks decide). */
  code: number;
  output: string;
  ms: number;
  timedOut: boolean;
  passed: boolean;
  checks: CheckResult[];
  progress: LabProgress;
}

export interface LabCheck {
  /** Every evaluated check passed. */
  ok: boolean;
  steps: { step: number; passed: boolean; checks: CheckResult[] }[];
  progress: LabProgress;
}

export interface RunTo {
  ok: boolean;
  runs: StepRun[];
  /** The step that failed its checks, if any. */
  stoppedAt?: number;
  progress: LabProgress;
}

export interface LabRunner {
  list(): Promise<LabSummary[]>;
  load(labId: string): LabView;
  progress(sessionId: string): Promise<LabProgress>;
  runStep(sessionId: string, step: number, opts?: { onOutput?: (text: string) => void }): Promise<StepRun>;
  check(sessionId: string, opts?: { step?: number; all?: boolean }): Promise<LabCheck>;
  runTo(sessionId: string, opts?: { to?: number; onStep?: (run: StepRun) => void; onOutput?: (step: number, text: string) => void }): Promise<RunTo>;
  reset(sessionId: string): Promise<LabProgress>;
}

export interface LabRunnerOptions {
  engine: SessionEngine;
  labsDir?: string;
  run?: Runner;
}

export class LabError extends Error {}

export function labView(lab: Lab): LabView {
  return { ...lab, steps: lab.steps.map((s) => ({ ...s, checkLabels: s.checks.map(describeCheck) })) };
}

export function createLabRunner(o: LabRunnerOptions): LabRunner {
  const run = o.run ?? runCommand;
  const queues = new Map<string, Promise<unknown>>();
  // One lab action at a time per session in this process (a check never overlaps the commands it judges).
  const serial = <T>(id: string, fn: () => Promise<T>): Promise<T> => {
    const next = (queues.get(id) ?? Promise.resolve()).catch(() => undefined).then(fn);
    queues.set(id, next);
    return next;
  };

  async function sessionLab(sessionId: string): Promise<{ lab: Lab; dir: string }> {
    const info = await o.engine.info(sessionId);
    if (!info.lab) throw new LabError(`session ${sessionId} was not made for a lab (nsplay session create --lab LAB)`);
    return { lab: loadLab(info.lab, o.labsDir), dir: await o.engine.dir(sessionId) };
  }

  function stepIndex(lab: Lab, step: number): number {
    if (!Number.isInteger(step) || step < 0 || step >= lab.steps.length) {
      throw new LabError(`lab ${lab.id} has steps 1–${lab.steps.length}; there is no step ${Number.isInteger(step) ? step + 1 : String(step)}`);
    }
    return step;
  }

  function load(sessionId: string, lab: Lab, dir: string): LabProgress {
    return readProgress(dir, sessionId, lab.id, lab.steps.length);
  }

  function record(dir: string, p: LabProgress, step: number, update: Partial<StepProgress>): LabProgress {
    p.steps[step] = { ...p.steps[step], ...update };
    p.current = currentStep(p);
    writeProgress(dir, p);
    return p;
  }

  async function evaluate(sessionId: string, lab: Lab, step: number): Promise<CheckResult[]> {
    return evaluateChecks(sessionCheckContext(o.engine, sessionId, run), lab.steps[step].checks);
  }

  async function runOne(sessionId: string, lab: Lab, dir: string, step: number, onOutput?: (text: string) => void): Promise<StepRun> {
    const s = lab.steps[step];
    const state = labStateDir(dir);
    fs.mkdirSync(state, { recursive: true });
    const scriptFile = path.join(state, `step-${step + 1}.sh`);
    fs.writeFileSync(scriptFile, stepScript({ title: s.title, commands: s.commands ?? ':', workDir: workDir(dir), varsFile: path.join(state, 'vars.sh') }));
    // curl shows a progress meter when its output is not a terminal; a learner's terminal shows none.
    fs.writeFileSync(path.join(state, '.curlrc'), 'no-progress-meter\n');
    const argv = await o.engine.enterArgv(sessionId, 'host', ['env', `CURL_HOME=${state}`, 'bash', scriptFile]);
    const r = await runStepScript(argv, path.join(state, `step-${step + 1}.log`), s.timeoutSec * 1000, onOutput);
    const checks = await evaluate(sessionId, lab, step);
    const passed = checks.every((c) => c.ok);
    const progress = record(dir, load(sessionId, lab, dir), step, {
      ran: true, passed, checks, checkedAt: Date.now(), lastRun: { code: r.code, ms: r.ms, at: Date.now(), timedOut: r.timedOut },
    });
    return { step, code: r.code, output: r.output, ms: r.ms, timedOut: r.timedOut, passed, checks, progress };
  }

  return {
    async list() {
      return listLabIds(o.labsDir).map((id) => {
        const lab = loadLab(id, o.labsDir);
        return { id: lab.id, title: lab.title, summary: lab.summary, steps: lab.steps.length };
      });
    },

    load(labId) {
      return labView(loadLab(labId, o.labsDir));
    },

    async progress(sessionId) {
      const { lab, dir } = await sessionLab(sessionId);
      return load(sessionId, lab, dir);
    },

    async runStep(sessionId, step, opts = {}) {
      const { lab, dir } = await sessionLab(sessionId);
      stepIndex(lab, step);
      return serial(sessionId, () => runOne(sessionId, lab, dir, step, opts.onOutput));
    },

    async check(sessionId, opts = {}) {
      const { lab, dir } = await sessionLab(sessionId);
      return serial(sessionId, async () => {
        const before = load(sessionId, lab, dir);
        const which = opts.all ? lab.steps.map((_, i) => i) : [stepIndex(lab, opts.step ?? Math.min(before.current, lab.steps.length - 1))];
        const steps: LabCheck['steps'] = [];
        let progress = before;
        for (const i of which) {
          const checks = await evaluate(sessionId, lab, i);
          const passed = checks.every((c) => c.ok);
          steps.push({ step: i, passed, checks });
          progress = record(dir, load(sessionId, lab, dir), i, { passed, checks, checkedAt: Date.now() });
        }
        return { ok: steps.every((s) => s.passed), steps, progress };
      });
    },

    async runTo(sessionId, opts = {}) {
      const { lab, dir } = await sessionLab(sessionId);
      const to = stepIndex(lab, opts.to ?? lab.steps.length - 1);
      const runs: StepRun[] = [];
      let progress = load(sessionId, lab, dir);
      for (let i = progress.current; i <= to; i++) {
        const r = await serial(sessionId, () => runOne(sessionId, lab, dir, i, opts.onOutput && ((t) => opts.onOutput!(i, t))));
        runs.push(r);
        opts.onStep?.(r);
        progress = r.progress;
        if (!r.passed) return { ok: false, runs, stoppedAt: i, progress };
      }
      return { ok: progress.steps.slice(0, to + 1).every((s) => s.passed), runs, progress };
    },

    async reset(sessionId) {
      const { lab, dir } = await sessionLab(sessionId);
      return serial(sessionId, async () => {
        await o.engine.reset(sessionId);
        fs.rmSync(labStateDir(dir), { recursive: true, force: true });
        return load(sessionId, lab, dir);
      });
    },
  };
}
