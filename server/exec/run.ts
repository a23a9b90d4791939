// Running one argv without a shell. A command result is a value; nothing here throws on a non-zero exit.
import { execa } from 'execa';

export interface CommandResult {
  argv: string[];
  code: number;
  stdout: string;
  stderr: string;
  ms: number;
}

export interface RunOptions {
  input?: string;
  timeoutMs?: number;
  env?: Record<string, string>;
}

export type Runner = (argv: string[], opts?: RunOptions) => Promise<CommandResult>;

const DEFAULT_TIMEOUT_MS = 30_000;

export const runCommand: Runner = async (argv, opts = {}) => {
  const started = performance.now();
  const r = await execa(argv[0], argv.slice(1), {
    input: opts.input,
    timeout: opts.timeoutMs ?? DEFAULT_TIMEOUT_MS,
    killSignal: 'SIGKILL',
    reject: false,
    stripFinalNewline: false,
    env: opts.env,
    stdin: opts.input === undefined ? 'ignore' : 'pipe',
    maxBuffer: 64 * 1024 * 1024,
  });
  const timedOut = r.timedOut ? `\n(nsplay: killed after ${opts.timeoutMs ?? DEFAULT_TIMEOUT_MS} ms)` : '';
  const failedToStart = r.exitCode === undefined && !r.timedOut ? `${r.shortMessage ?? 'could not start'}` : '';
  return {
    argv,
    code: r.exitCode ?? (r.timedOut ? 124 : 127),
    stdout: String(r.stdout ?? ''),
    stderr: `${String(r.stderr ?? '')}${timedOut}${failedToStart && !r.stderr ? failedToStart : ''}`,
    ms: performance.now() - started,
  };
};
