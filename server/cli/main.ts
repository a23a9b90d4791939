// nsplay CLI: the engine without the web server. Shares the state directory with the server.
import fs from 'node:fs';
import { spawn } from 'node:child_process';
import { describeErrors, loadTopology } from '../topology/load.ts';
import { compilePlan } from '../plan/compile.ts';
import { renderScript, commandLine } from '../plan/script.ts';
import { createEngine } from '../session/engine.ts';
import { InvalidTopology } from '../session/apply.ts';
import { SessionNotFound, type Engine, type StepEvent } from '../session/types.ts';
import { preflight } from './preflight.ts';
import { COMMANDS } from './commands/registry.ts';
import { formatSessionList } from './commands/session-list.ts';
import './commands/index.ts';

const BASE_USAGE = `usage: nsplay COMMAND …
  plan FILE                         print the setup/cleanup script of a topology (no root needed)
  session create [--lab ID] [--json]  make a sandbox; prints its id
  session list [--json]             sessions with owner, lab and age
  session destroy ID                end everything the session owns (idempotent)
  reclaim                           remove what crashed runs left behind (only nsplay's own)
  apply ID FILE                     build a topology in a session (only what is missing)
  status ID [--json]                what the kernel has, and drift from the drawing
  exec ID NODE -- CMD…              run a command in a node (host has the session's /run/netns)
  shell ID [NODE]                   interactive shell in a node (default host)`;

function usage(): string {
  const extra = [...COMMANDS.values()].flatMap((c) => c.usage.map((u) => `  ${u}`));
  return [BASE_USAGE, ...extra].join('\n');
}

class UsageError extends Error {}

function takeFlag(args: string[], flag: string): boolean {
  const i = args.indexOf(flag);
  if (i < 0) return false;
  args.splice(i, 1);
  return true;
}

function takeOption(args: string[], flag: string): string | undefined {
  const i = args.indexOf(flag);
  if (i < 0) return undefined;
  const v = args[i + 1];
  if (v === undefined) throw new UsageError(`${flag} needs a value`);
  args.splice(i, 2);
  return v;
}

function readTopologyFile(file: string | undefined) {
  if (!file) throw new UsageError('a topology FILE (YAML or JSON) is needed');
  const text = file === '-' ? fs.readFileSync(0, 'utf8') : fs.readFileSync(file, 'utf8');
  const r = loadTopology(text);
  if (!r.ok) throw new InvalidTopology(r.errors);
  return r.value;
}

function printStep(e: StepEvent): void {
  if (e.status === 'running') return;
  const mark = e.status === 'ok' ? '✓' : e.status === 'undone' ? '↶' : '✗';
  const ms = e.ms !== undefined ? ` (${e.ms.toFixed(1)} ms)` : '';
  process.stdout.write(`${mark} [${Math.min(e.index + 1, e.total)}/${e.total}] ${commandLine(e.step)}${ms}\n`);
  if (e.stderr) process.stdout.write(`    ${e.stderr.split('\n').join('\n    ')}\n`);
}

async function runInteractive(argv: string[]): Promise<number> {
  return new Promise((resolve) => {
    const child = spawn(argv[0], argv.slice(1), { stdio: 'inherit' });
    const forward = (sig: NodeJS.Signals) => () => child.kill(sig);
    process.on('SIGINT', forward('SIGINT'));
    process.on('SIGTERM', forward('SIGTERM'));
    child.on('error', () => resolve(127));
    // Resolve on exit, not on stream close: a background process started by the command may keep
    // our stdout open and must live on (until it exits or the session is destroyed).
    child.on('exit', (code, signal) => resolve(code ?? (signal ? 128 + (signal === 'SIGKILL' ? 9 : 15) : 1)));
  });
}

export async function main(argv: string[]): Promise<number> {
  const args = [...argv];
  const json = takeFlag(args, '--json');
  const [cmd, sub] = args;
  if (!cmd || cmd === 'help' || cmd === '--help' || cmd === '-h') {
    process.stdout.write(`${usage()}\n`);
    return cmd ? 0 : 2;
  }
  if (cmd === 'plan') {
    const topo = readTopologyFile(args[1]);
    const plan = compilePlan(topo, { tag: 'nsplay' });
    process.stdout.write(json ? `${JSON.stringify(plan, null, 2)}\n` : renderScript(plan, topo.name ?? args[1]));
    return 0;
  }
  const problem = preflight();
  if (problem) {
    process.stderr.write(`nsplay: ${problem}\n`);
    return 1;
  }
  const engine: Engine = createEngine();
  const feature = COMMANDS.get(cmd);
  if (feature) {
    return feature.run({ engine, args: args.slice(1), json, out: (t) => process.stdout.write(t), err: (t) => process.stderr.write(t) });
  }
  switch (`${cmd} ${sub ?? ''}`.trim()) {
    case 'session create': {
      const lab = takeOption(args, '--lab');
      const s = await engine.create({ lab, owner: 'cli' });
      process.stdout.write(json ? `${JSON.stringify({ id: s.id, lab: s.lab, nodes: s.nodes })}\n` : `${s.id}\n`);
      return 0;
    }
    case 'session list': {
      const list = await engine.list();
      if (json) process.stdout.write(`${JSON.stringify(list)}\n`);
      else process.stdout.write(formatSessionList(list));
      return 0;
    }
    case 'session destroy': {
      const id = args[2];
      if (!id) throw new UsageError('session destroy needs an ID');
      await engine.destroy(id);
      return 0;
    }
  }
  switch (cmd) {
    case 'reclaim': {
      const removed = await engine.reclaim();
      process.stdout.write(removed.length ? `removed: ${removed.join(', ')}\n` : 'nothing to reclaim\n');
      return 0;
    }
    case 'apply': {
      const [, id, file] = args;
      const topo = readTopologyFile(file);
      const r = await engine.apply(id, topo, json ? undefined : printStep);
      if (json) process.stdout.write(`${JSON.stringify(r)}\n`);
      else if (r.ok) process.stdout.write(`applied: ${r.results.length} command(s) ran, ${r.skipped} already in place\n`);
      else process.stdout.write(`failed at: ${commandLine(r.error!.step)}\n  ${r.error!.stderr}\nrolled back ${r.error!.rolledBack.length} step(s)\n`);
      return r.ok ? 0 : 1;
    }
    case 'status': {
      const st = await engine.status(args[1]);
      if (json) {
        process.stdout.write(`${JSON.stringify(st)}\n`);
        return 0;
      }
      process.stdout.write(`session ${st.info.id} (${st.info.phase}) lab=${st.info.lab ?? '-'}\n`);
      for (const [node, ns] of Object.entries(st.observed.namespaces)) {
        const links = ns.links.filter((l) => l.ifname !== 'lo').map((l) => `${l.ifname}${l.up ? '' : '(down)'}${l.addresses.length ? ` ${l.addresses.join(',')}` : ''}`);
        process.stdout.write(`  ${node}: ${links.join('  ') || '(no interfaces)'}\n`);
      }
      process.stdout.write(st.drift.length ? `drift:\n${st.drift.map((d) => `  ${d.kind}: ${d.message}`).join('\n')}\n` : 'no drift\n');
      return 0;
    }
    case 'exec': {
      const [, id, node] = args;
      const dash = args.indexOf('--');
      const command = dash >= 0 ? args.slice(dash + 1) : args.slice(3);
      if (!id || !node || command.length === 0) throw new UsageError('exec ID NODE -- CMD…');
      return runInteractive(await engine.enterArgv(id, node, command));
    }
    case 'shell': {
      const [, id, node = 'host'] = args;
      if (!id) throw new UsageError('shell ID [NODE]');
      return runInteractive(await engine.enterArgv(id, node));
    }
  }
  throw new UsageError(`unknown command '${args.join(' ')}'`);
}

export async function runCli(argv: string[]): Promise<void> {
  try {
    process.exitCode = await main(argv);
  } catch (e) {
    if (e instanceof UsageError) process.stderr.write(`nsplay: ${e.message}\n${usage()}\n`);
    else if (e instanceof InvalidTopology) process.stderr.write(`nsplay: ${e.message}\n`);
    else if (e instanceof SessionNotFound) process.stderr.write(`nsplay: ${e.message} (see: nsplay session list)\n`);
    else process.stderr.write(`nsplay: ${(e as Error).message}\n`);
    process.exitCode = e instanceof UsageError ? 2 : 1;
  }
}

export { describeErrors };
