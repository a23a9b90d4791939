// A lab session's progress on disk (<session>/lab/progress.json): which steps ran, which passed, what
// their checks said. It survives a page reload and is shared by the server and the CLI.
import fs from 'node:fs';
import path from 'node:path';
import type { CheckResult } from './checks/evaluate.ts';

export interface StepProgress {
  /** The step's commands ran through the runner (typing them in a terminal does not count here). */
  ran: boolean;
  /** Its checks all passed the last time they were evaluated. */
  passed: boolean;
  checks: CheckResult[];
  checkedAt?: number;
  lastRun?: { code: number; ms: number; at: number; timedOut: boolean };
}

export interface LabProgress {
  sessionId: string;
  lab: string;
  /** Index of the first step not yet passed; steps.length when the lab is done. */
  current: number;
  steps: StepProgress[];
}

export function labStateDir(sessionDir: string): string {
  return path.join(sessionDir, 'lab');
}

const file = (sessionDir: string) => path.join(labStateDir(sessionDir), 'progress.json');

export function emptyProgress(sessionId: string, lab: string, steps: number): LabProgress {
  return { sessionId, lab, current: 0, steps: Array.from({ length: steps }, () => ({ ran: false, passed: false, checks: [] })) };
}

export function readProgress(sessionDir: string, sessionId: string, lab: string, steps: number): LabProgress {
  try {
    const p = JSON.parse(fs.readFileSync(file(sessionDir), 'utf8')) as LabProgress;
    if (p.lab === lab && p.sessionId === sessionId && p.steps.length === steps) return p;
  } catch { /* none yet, or torn: start over */ }
  return emptyProgress(sessionId, lab, steps);
}

export function writeProgress(sessionDir: string, p: LabProgress): void {
  fs.mkdirSync(labStateDir(sessionDir), { recursive: true });
  const tmp = `${file(sessionDir)}.${process.pid}`;
  fs.writeFileSync(tmp, JSON.stringify(p, null, 2));
  fs.renameSync(tmp, file(sessionDir));
}

/** The first step that has not passed. */
export function currentStep(p: LabProgress): number {
  const i = p.steps.findIndex((s) => !s.passed);
  return i < 0 ? p.steps.length : i;
}
