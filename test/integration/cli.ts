// Driving nsplay the way a user does: the real CLI as a child process, in the suite's state directory.
import { execa } from 'execa';
import path from 'node:path';
import { ROOT, TEST_STATE_DIR, WRAPPERS } from './env.ts';

export interface CliResult { code: number; stdout: string; stderr: string }

export async function nsplay(args: string[], opts: { input?: string; timeoutMs?: number } = {}): Promise<CliResult> {
  const r = await execa(process.execPath, [path.join(ROOT, 'bin/nsplay.js'), ...args], {
    reject: false,
    input: opts.input,
    timeout: opts.timeoutMs ?? 60_000,
    env: { NSPLAY_STATE_DIR: TEST_STATE_DIR, PATH: `${WRAPPERS}:${process.env.PATH}` },
    stdin: opts.input === undefined ? 'ignore' : 'pipe',
  });
  return { code: r.exitCode ?? 1, stdout: String(r.stdout), stderr: String(r.stderr) };
}

export async function createSession(lab?: string): Promise<string> {
  const r = await nsplay(['session', 'create', ...(lab ? ['--lab', lab] : []), '--json']);
  if (r.code !== 0) throw new Error(`session create failed: ${r.stderr}`);
  return (JSON.parse(r.stdout) as { id: string }).id;
}

/** One command line in the session's host shell, verbatim: `nsplay exec ID host -- bash -c LINE`. */
export async function hostSh(id: string, line: string): Promise<CliResult> {
  return nsplay(['exec', id, 'host', '--', 'bash', '-c', line]);
}

/** Runs the seed's lines one by one in host; returns each line's result. Stops at nothing. */
export async function seed(id: string, block: string): Promise<Map<string, CliResult>> {
  const results = new Map<string, CliResult>();
  const lines = block.split('\n').map((l) => l.trim()).filter((l) => l && !l.startsWith('#'));
  // One bash for the block keeps shell variables ($gw_dev) alive between lines, as in a terminal.
  const script = lines.map((l, i) => `echo "@@begin ${i}"; echo "@@begin ${i}" >&2; ${l}\necho "@@end ${i} $?"`).join('\n');
  const r = await nsplay(['exec', id, 'host', '--', 'bash', '-c', script], { timeoutMs: 120_000 });
  const outs = splitByMarker(r.stdout);
  const errs = splitByMarker(r.stderr);
  lines.forEach((l, i) => {
    const end = new RegExp(`@@end ${i} (\\d+)`).exec(r.stdout);
    results.set(l, { code: end ? Number(end[1]) : -1, stdout: outs[i] ?? '', stderr: errs[i] ?? '' });
  });
  return results;
}

function splitByMarker(text: string): string[] {
  const out: string[] = [];
  let current = -1;
  for (const line of text.split('\n')) {
    const m = /^@@begin (\d+)$/.exec(line);
    if (m) { current = Number(m[1]); out[current] = ''; continue; }
    if (/^@@end \d+ \d+$/.test(line)) continue;
    if (current >= 0) out[current] += `${line}\n`;
  }
  return out;
}
