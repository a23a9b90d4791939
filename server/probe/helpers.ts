// Commands and helper processes inside a session's nodes, entered through the session's holder
// (engine.enterArgv). Helpers are owned by PID: stop() signals exactly that process and waits for it.
import { spawn, type ChildProcess } from 'node:child_process';
import type { Writable } from 'node:stream';
import { runCommand, type CommandResult } from '../exec/run.ts';
import type { Engine } from '../session/types.ts';

/** Runs argv in a node and returns its result (never throws on a non-zero exit). */
export async function runIn(engine: Engine, id: string, node: string, argv: string[], opts: { timeoutMs?: number; input?: string } = {}): Promise<CommandResult> {
  return runCommand(await engine.enterArgv(id, node, argv), { timeoutMs: opts.timeoutMs ?? 5000, input: opts.input });
}

export interface Helper {
  pid: number;
  node: string;
  argv: string[];
  /** stdout lines so far (bounded). */
  lines: string[];
  /** The process's stdin when started with `stdin: true`. */
  input: Writable | null;
  stderr(): string;
  exited(): boolean;
  /** Resolves true when a stdout (or stderr) line matches, false after `ms` or when the process exits. */
  waitFor(match: (line: string) => boolean, ms: number, stream?: 'stdout' | 'stderr'): Promise<boolean>;
  /** SIGTERM, then SIGKILL after `graceMs`; resolves when the process is gone. */
  stop(graceMs?: number): Promise<void>;
}

export interface HelperOptions {
  /** Called for every stdout line as it arrives. */
  onLine?: (line: string) => void;
  /** Keep at most this many stdout lines (oldest dropped). */
  maxLines?: number;
  /** Raw stdout instead of lines (pcap). When set, lines/onLine are not used. */
  onData?: (chunk: Buffer) => void;
  onExit?: (code: number | null) => void;
  /** Give the process a stdin pipe (else /dev/null). */
  stdin?: boolean;
}

function splitter(onLine: (l: string) => void): (chunk: Buffer) => void {
  let rest = '';
  return (chunk) => {
    const text = rest + chunk.toString('utf8');
    const parts = text.split('\n');
    rest = parts.pop() ?? '';
    if (rest.length > 64 * 1024) rest = '';
    for (const p of parts) onLine(p);
  };
}

export async function startHelper(engine: Engine, id: string, node: string, argv: string[], o: HelperOptions = {}): Promise<Helper> {
  const full = await engine.enterArgv(id, node, argv);
  const child: ChildProcess = spawn(full[0], full.slice(1), { stdio: [o.stdin ? 'pipe' : 'ignore', 'pipe', 'pipe'] });
  child.stdin?.on('error', () => undefined); // EPIPE when the process is gone
  if (child.pid === undefined) {
    await new Promise((r) => child.once('error', r));
    throw new Error(`could not start ${argv[0]} in ${node}`);
  }
  const pid = child.pid;
  const lines: string[] = [];
  const maxLines = o.maxLines ?? 5000;
  let stderr = '';
  let done = false;
  let reaped = false; // after 'exit' the PID may belong to someone else: never signal it again
  child.once('exit', () => { reaped = true; });
  const waiters = new Set<{ match: (l: string) => boolean; stream: 'stdout' | 'stderr'; resolve: (v: boolean) => void }>();
  // 'close': the process exited and its stdout/stderr are read to the end.
  const exitP = new Promise<void>((resolve) => child.once('close', (code) => {
    done = true;
    for (const w of waiters) w.resolve(false);
    waiters.clear();
    o.onExit?.(code);
    resolve();
  }));
  child.on('error', () => undefined);
  const feed = (stream: 'stdout' | 'stderr') => (line: string) => {
    if (stream === 'stdout') {
      lines.push(line);
      if (lines.length > maxLines) lines.shift();
      o.onLine?.(line);
    } else if (stderr.length < 64 * 1024) stderr += `${line}\n`;
    for (const w of waiters) if (w.stream === stream && w.match(line)) { waiters.delete(w); w.resolve(true); }
  };
  if (o.onData) child.stdout!.on('data', o.onData);
  else child.stdout!.on('data', splitter(feed('stdout')));
  child.stderr!.on('data', splitter(feed('stderr')));
  return {
    pid, node, argv, lines,
    input: child.stdin ?? null,
    stderr: () => stderr,
    exited: () => done,
    waitFor(match, ms, stream = 'stdout') {
      if (done) return Promise.resolve(false);
      if (stream === 'stdout' && lines.some(match)) return Promise.resolve(true);
      if (stream === 'stderr' && stderr.split('\n').some(match)) return Promise.resolve(true);
      return new Promise((resolve) => {
        const w = { match, stream, resolve: (v: boolean) => { clearTimeout(timer); resolve(v); } };
        const timer = setTimeout(() => { waiters.delete(w); resolve(false); }, ms);
        waiters.add(w);
      });
    },
    async stop(graceMs = 300) {
      if (done) return;
      // The child is not reaped before its 'exit' event, so until then this PID is still ours.
      if (!reaped) { try { process.kill(pid, 'SIGTERM'); } catch { /* gone */ } }
      const timer = setTimeout(() => { if (!reaped) { try { process.kill(pid, 'SIGKILL'); } catch { /* gone */ } } }, graceMs);
      await exitP;
      clearTimeout(timer);
    },
  };
}

/** Stops every helper, in parallel; never throws. */
export async function stopAll(helpers: Helper[], graceMs?: number): Promise<void> {
  await Promise.all(helpers.map((h) => h.stop(graceMs).catch(() => undefined)));
}
