// The container runtime behind one small interface: Docker where an engine runs, else Podman.
// With a session scope, Podman keeps the session's containers in the session's own store (see
// store.ts) and always runs inside the session's holder namespaces: two sessions can each have an
// `alpine1`, the machine's `podman ps` never sees them, and their mounts live and die with the holder.
import fs from 'node:fs';
import { runCommand, type Runner } from '../exec/run.ts';
import { storageConfPath } from './store.ts';

export interface ContainerRuntime {
  name: 'docker' | 'podman';
  /** Starts a container with no network; returns its id and init PID. */
  run(opts: { name: string; image: string; session: string; hostname: string }): Promise<{ id: string; pid: number }>;
  /** Removes it at once (no grace period); true when it existed. */
  remove(name: string): Promise<boolean>;
  /** Names of the containers labelled with this session. */
  list(session: string): Promise<string[]>;
  /** Init PID of a running container, null when it is not running or does not exist. */
  pid(name: string): Promise<number | null>;
  /** Removes every container of the session (no grace period); returns their names. */
  removeAll(session: string): Promise<string[]>;
}

/** Where a session's containers live: its directory (the store) and its holder (the namespaces). */
export interface RuntimeScope {
  sessionId: string;
  dir: string;
  holderPid: number;
}

export const IMAGE = 'localhost/nsplay/busybox:1';
export const IMAGE_ALIASES = ['nginx:alpine', 'alpine', 'busybox'];
/** The machine's own image store: sessions read images from it, never write to it. */
export const MACHINE_IMAGE_STORE = '/var/lib/containers/storage';
/** Settings this machine kind needs for Podman (see STACK.md): runc, cgroupfs, modest ulimits. */
export const PODMAN_GLOBAL = ['--runtime', 'runc', '--cgroup-manager', 'cgroupfs'];
export const PODMAN_RUN_DEFAULTS = ['--ulimit', 'nofile=20000:20000', '--ulimit', 'nproc=1000:1000'];

export function dockerEngineRuns(): boolean {
  return fs.existsSync('/var/run/docker.sock');
}

/** The argv prefix of every runtime command: the machine's Docker, or Podman (scoped to a session). */
export function runtimeBase(scope?: RuntimeScope): { name: 'docker' | 'podman'; base: string[] } {
  if (dockerEngineRuns()) return { name: 'docker', base: ['docker'] };
  if (!scope) return { name: 'podman', base: ['podman', ...PODMAN_GLOBAL] };
  return {
    name: 'podman',
    base: ['nsenter', '-t', String(scope.holderPid), '-m', '-n', '--',
      'env', `CONTAINERS_STORAGE_CONF=${storageConfPath(scope.dir)}`, 'podman', ...PODMAN_GLOBAL],
  };
}

export function detectRuntime(run: Runner = runCommand, scope?: RuntimeScope): ContainerRuntime {
  const { name: bin, base } = runtimeBase(scope);
  const limits = bin === 'podman' ? PODMAN_RUN_DEFAULTS : [];
  const lines = (s: string) => s.split('\n').map((l) => l.trim()).filter(Boolean);
  const rt: ContainerRuntime = {
    name: bin,
    async run({ name, image, session, hostname }) {
      const r = await run([...base, 'run', '-d', '--network', 'none', '--name', name, '--hostname', hostname,
        '--label', `nsplay.session=${session}`, '--cap-add', 'NET_RAW', '--env', `NSPLAY_NAME=${hostname}`,
        ...(bin === 'podman' ? ['--pull', 'never'] : []), ...limits, image], { timeoutMs: 60_000 });
      if (r.code !== 0) throw new Error(`${bin} run failed: ${r.stderr.trim()}`);
      const id = lines(r.stdout).pop()!;
      const pid = await rt.pid(id);
      if (!pid) throw new Error(`${bin} inspect gave no PID for ${name}`);
      return { id, pid };
    },
    async remove(name) {
      const r = await run([...base, 'rm', '-f', '-t', '0', name], { timeoutMs: 60_000 });
      return r.code === 0 && r.stdout.trim() !== '';
    },
    async list(session) {
      const r = await run([...base, 'ps', '-a', '--filter', `label=nsplay.session=${session}`, '--format', '{{.Names}}']);
      return lines(r.stdout);
    },
    async pid(name) {
      const r = await run([...base, 'inspect', '-f', '{{.State.Pid}}', name], { timeoutMs: 20_000 });
      const pid = Number(r.stdout.trim());
      return r.code === 0 && Number.isInteger(pid) && pid > 0 ? pid : null;
    },
    async removeAll(session) {
      // In a session's own store every container is the session's, labelled or not (typed `docker run`).
      const names = scope && bin === 'podman'
        ? lines((await run([...base, 'ps', '-a', '--format', '{{.Names}}'])).stdout)
        : await rt.list(session);
      if (names.length === 0) return [];
      await run([...base, 'rm', '-f', '-t', '0', ...names], { timeoutMs: 60_000 });
      return names;
    },
  };
  return rt;
}
