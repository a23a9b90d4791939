// Steps that are more than one command: HTTP services (a long-lived process, journaled by PID) and
// containers (the runtime starts one; its hidden namespace is attached under the node's name).
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { enterNet, enterNode, ipIn, type SessionHandle } from '../exec/enter.ts';
import type { CommandResult, Runner } from '../exec/run.ts';
import type { StepEffects } from '../exec/steps.ts';
import type { Step } from '../plan/step.ts';
import { IMAGE, type ContainerRuntime } from '../runtime/runtime.ts';
import { processRef } from '../sandbox/procfs.ts';
import { appendJournal } from '../sandbox/store.ts';

export interface EffectsContext {
  sessionId: string;
  handle: SessionHandle;
  run: Runner;
  runtime: () => ContainerRuntime;
  root?: string;
}

/** A container node's name in the runtime: its node name (the session has a container store of its own). */
export function containerName(_sessionId: string, node: string): string {
  return node;
}

const done = (argv: string[], started: number, code = 0, stderr = ''): CommandResult => ({ argv, code, stdout: '', stderr, ms: performance.now() - started });

export function sessionEffects(c: EffectsContext): StepEffects {
  return {
    async runSpecial(step: Step): Promise<CommandResult> {
      if (step.tool === 'service') return startService(c, step);
      if (step.tool === 'runtime' && step.argv[1] === 'run') return startContainer(c, step);
      if (step.tool === 'runtime' && step.argv[1] === 'rm') return removeContainer(c, step);
      return done(step.argv, performance.now(), 1, `nsplay cannot run ${step.tool} step ${step.id}`);
    },
  };
}

async function startService(c: EffectsContext, step: Step): Promise<CommandResult> {
  const started = performance.now();
  const dir = step.argv[step.argv.indexOf('-h') + 1];
  const port = step.argv[step.argv.indexOf('-p') + 1];
  fs.mkdirSync(dir, { recursive: true });
  fs.writeFileSync(path.join(dir, 'index.html'), step.input ?? '');
  const argv = enterNode(c.handle, step.node, step.argv);
  const child = spawn(argv[0], argv.slice(1), { detached: true, stdio: 'ignore' });
  let exited: number | null = null;
  child.on('exit', (code) => (exited = code ?? 1));
  child.on('error', () => (exited = 127));
  child.unref();
  const ref = child.pid ? processRef(child.pid) : null;
  if (ref) appendJournal(c.sessionId, { op: 'spawn', pid: ref.pid, start: ref.start, node: step.node, what: `httpd :${port}` }, c.root);
  for (let i = 0; i < 100 && exited === null; i++) {
    const r = await c.run(enterNet(c.handle, step.node, ['ss', '-Hltn', `sport = :${port}`]));
    if (r.stdout.trim()) return done(argv, started);
    await new Promise((res) => setTimeout(res, 20));
  }
  return done(argv, started, 1, exited !== null ? `the HTTP server on port ${port} exited at once (is the port taken?)` : `the HTTP server did not listen on port ${port} within 2 s`);
}

/** The container node a runtime step is about (the step itself runs in host). */
function containerNode(step: Step): string {
  return step.fact.kind === 'container' ? step.fact.name : step.argv[step.argv.length - 1];
}

async function startContainer(c: EffectsContext, step: Step): Promise<CommandResult> {
  const started = performance.now();
  const node = containerNode(step);
  const name = containerName(c.sessionId, node);
  appendJournal(c.sessionId, { op: 'container', node, name }, c.root);
  try {
    const { pid } = await c.runtime().run({ name, image: IMAGE, session: c.sessionId, hostname: node });
    // Like the seed's `ln -s /proc/$pid/ns/net /var/run/netns/…`, but a bind mount that outlives the PID.
    const r = await c.run(ipIn(c.handle, 'host', ['netns', 'attach', node, String(pid)]));
    return done(step.argv, started, r.code, r.stderr);
  } catch (e) {
    return done(step.argv, started, 1, (e as Error).message);
  }
}

async function removeContainer(c: EffectsContext, step: Step): Promise<CommandResult> {
  const started = performance.now();
  const node = containerNode(step);
  await c.run(ipIn(c.handle, 'host', ['netns', 'del', node]));
  const name = containerName(c.sessionId, node);
  await c.runtime().remove(name).catch(() => false);
  appendJournal(c.sessionId, { op: 'container-removed', name }, c.root);
  return done(step.argv, started);
}
