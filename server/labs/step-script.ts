// Running a step's commands as a learner would: one bash in the session's host namespace, in its work
// directory, each line echoed as it is read (set -v), shell variables carried from step to step
// (the seed's $container_id, $gw_dev …) through <session>/lab/vars.sh. Output goes to a log file, not
// a pipe, so a server the step leaves running in the background (`… http.server &`) cannot hold us.
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';

export interface StepScriptRun {
  code: number;
  output: string;
  ms: number;
  timedOut: boolean;
}

const q = (s: string) => `'${s.replace(/'/g, `'\\''`)}'`;

/** The script text. Pure. `commands` are the lab's, verbatim; paths are the session's own. */
export function stepScript(o: { title: string; commands: string; workDir: string; varsFile: string }): string {
  return [
    `# nsplay lab step: ${o.title.replace(/\n/g, ' ')}`,
    '__nsplay_base=" $(compgen -v | tr \'\\n\' \' \') "',
    `__nsplay_vars=${q(o.varsFile)}`,
    `cd ${q(o.workDir)} || exit 1`,
    '[ -f "$__nsplay_vars" ] && . "$__nsplay_vars"',
    // Lowercase-initial variables the learner's commands made, for the next step.
    '__nsplay_save() { for __nsplay_v in $(compgen -v); do case "$__nsplay_v" in [a-z]*) ;; *) continue ;; esac;'
      + ' case "$__nsplay_base" in *" $__nsplay_v "*) continue ;; esac; declare -p "$__nsplay_v" 2>/dev/null; done > "$__nsplay_vars.tmp" && mv -f "$__nsplay_vars.tmp" "$__nsplay_vars"; }',
    'trap __nsplay_save EXIT',
    'set -v',
    o.commands.replace(/\s+$/, ''),
    '',
  ].join('\n');
}

/**
 * Runs `argv` (the session's host shell entry + `bash SCRIPT`) with output to `logFile`.
 * On timeout the whole process group is killed (by its id: the group we created).
 */
export async function runStepScript(argv: string[], logFile: string, timeoutMs: number, onOutput?: (text: string) => void): Promise<StepScriptRun> {
  fs.mkdirSync(path.dirname(logFile), { recursive: true });
  const fd = fs.openSync(logFile, 'w');
  const started = performance.now();
  let sent = 0;
  const flush = () => {
    if (!onOutput) return;
    const text = fs.readFileSync(logFile, 'utf8');
    if (text.length > sent) onOutput(text.slice(sent));
    sent = text.length;
  };
  try {
    const child = spawn(argv[0], argv.slice(1), { stdio: ['ignore', fd, fd], detached: true });
    const poll = setInterval(flush, 150);
    let timedOut = false;
    const timer = setTimeout(() => {
      timedOut = true;
      try { process.kill(-child.pid!, 'SIGKILL'); } catch { /* gone */ }
    }, timeoutMs);
    const code = await new Promise<number>((resolve) => {
      child.on('error', () => resolve(127));
      child.on('exit', (c, sig) => resolve(c ?? (sig ? 128 + 9 : 1)));
    });
    clearTimeout(timer);
    clearInterval(poll);
    flush();
    // The EXIT trap's own name is echoed by set -v; it is ours, not the learner's.
    const output = fs.readFileSync(logFile, 'utf8').replace(/^__nsplay_save\n/m, '') + (timedOut ? `\n(nsplay: stopped after ${Math.round(timeoutMs / 1000)} s)\n` : '');
    return { code: timedOut ? 124 : code, output, ms: Math.round(performance.now() - started), timedOut };
  } finally {
    fs.closeSync(fd);
  }
}
