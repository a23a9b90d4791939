// nsplay lab …: the labs as lessons. ID is a session made with `nsplay session create --lab LAB`;
// STEP counts from 1, as the lab panel shows it.
import { createLabRunner, LabError, type StepRun } from '../../labs/runner.ts';
import type { CheckResult } from '../../labs/checks/evaluate.ts';
import type { SessionEngine } from '../../session/engine.ts';
import { registerCommand } from './registry.ts';

const USAGE = [
  'lab list [--json]                 the labs',
  'lab show LAB                      a lab\'s steps, commands and checks',
  'lab check ID [--step N | --all] [--json]  evaluate the current step\'s checks (exit 0 when all pass)',
  'lab run ID [--to STEP] [--json]   run the lab\'s commands from the current step through STEP (default: all)',
  'lab progress ID [--json]          current step and which steps passed',
  'lab reset ID                      back to the lab\'s start (same session id)',
];

function option(args: string[], flag: string): string | undefined {
  const i = args.indexOf(flag);
  if (i < 0) return undefined;
  const v = args[i + 1];
  if (v === undefined) throw new LabError(`${flag} needs a value`);
  args.splice(i, 2);
  return v;
}

function flag(args: string[], name: string): boolean {
  const i = args.indexOf(name);
  if (i >= 0) args.splice(i, 1);
  return i >= 0;
}

/** "3" → 2 (0-based); anything else is refused before it reaches the runner. */
function stepNumber(text: string | undefined): number | undefined {
  if (text === undefined) return undefined;
  if (!/^[1-9][0-9]{0,2}$/.test(text)) throw new LabError(`'${text}' is not a step number (1, 2, …)`);
  return Number(text) - 1;
}

function checkLines(checks: CheckResult[]): string {
  return checks.map((c) => `    ${c.ok ? '✓' : '✗'} ${c.label}${c.detail ? ` — ${c.detail}` : ''}\n`).join('');
}

function runLines(r: StepRun, title: string): string {
  return `── step ${r.step + 1}: ${title} (${r.ms} ms${r.timedOut ? ', timed out' : ''})\n${r.output.replace(/\n?$/, '\n')}${checkLines(r.checks)}`
    + `${r.passed ? '  passed' : '  NOT passed'}\n`;
}

registerCommand('lab', {
  usage: USAGE,
  async run({ engine, args, json, out, err }) {
    if (!('reset' in engine && 'dir' in engine)) throw new Error('the lab commands need the session engine (createEngine)');
    const runner = createLabRunner({ engine: engine as SessionEngine });
    const rest = args.slice(1);
    try {
      switch (args[0]) {
        case 'list': {
          const labs = await runner.list();
          out(json ? `${JSON.stringify(labs)}\n` : labs.map((l) => `${l.id.padEnd(28)} ${String(l.steps).padStart(2)} steps  ${l.title}\n`).join(''));
          return 0;
        }
        case 'show': {
          const lab = runner.load(rest[0] ?? '');
          if (json) { out(`${JSON.stringify(lab)}\n`); return 0; }
          out(`${lab.id}: ${lab.title}\n${lab.summary}\n`);
          lab.steps.forEach((s, i) => {
            out(`\n${i + 1}. ${s.title}\n${(s.commands ?? '').trimEnd().replace(/^/gm, '   $ ')}\n`);
            for (const a of s.adapted) out(`   (adapted) ${a}\n`);
            for (const l of s.checkLabels) out(`   ☐ ${l}\n`);
          });
          return 0;
        }
        case 'check': {
          const id = rest[0];
          if (!id) throw new LabError('lab check needs a session ID');
          const all = flag(rest, '--all');
          const step = stepNumber(option(rest, '--step'));
          const r = await runner.check(id, { all, step });
          if (json) out(`${JSON.stringify(r)}\n`);
          else for (const s of r.steps) out(`step ${s.step + 1}: ${s.passed ? 'passed' : 'NOT passed'}\n${checkLines(s.checks)}`);
          return r.ok ? 0 : 1;
        }
        case 'run': {
          const id = rest[0];
          if (!id) throw new LabError('lab run needs a session ID');
          const to = stepNumber(option(rest, '--to'));
          const lab = runner.load((await engine.info(id)).lab ?? '');
          const r = await runner.runTo(id, { to, onStep: json ? undefined : (s) => out(runLines(s, lab.steps[s.step].title)) });
          if (json) out(`${JSON.stringify(r)}\n`);
          else out(r.ok ? `lab ${lab.id}: every step through ${(to ?? lab.steps.length - 1) + 1} passed\n` : `lab ${lab.id}: stopped at step ${(r.stoppedAt ?? 0) + 1}\n`);
          return r.ok ? 0 : 1;
        }
        case 'progress': {
          const p = await runner.progress(rest[0] ?? '');
          if (json) { out(`${JSON.stringify(p)}\n`); return 0; }
          out(`lab ${p.lab}: current step ${Math.min(p.current + 1, p.steps.length)} of ${p.steps.length}${p.current >= p.steps.length ? ' (done)' : ''}\n`);
          p.steps.forEach((s, i) => out(`  ${s.passed ? '✓' : s.ran ? '✗' : '·'} step ${i + 1}\n`));
          return 0;
        }
        case 'reset': {
          const p = await runner.reset(rest[0] ?? '');
          out(json ? `${JSON.stringify(p)}\n` : `lab ${p.lab}: back at step 1\n`);
          return 0;
        }
      }
    } catch (e) {
      if (e instanceof LabError) { err(`nsplay: ${e.message}\n`); return 2; }
      throw e;
    }
    err(`nsplay: unknown lab command '${args[0] ?? ''}'\n  ${USAGE.join('\n  ')}\n`);
    return 2;
  },
});
