// The container runtime behind one small interface: Docker where an engine runs, else Podman.
import fs from 'node:fs';
import { runCommand, type Runner } from '../exec/run.ts';

export interface ContainerRuntime {
  name: 'docker' | 'podman';
  /** Starts a container with no network; returns its id and init PID. */
  run(opts: { name: string; image: string; session: string; hostname: string }): Promise<{ id: string; pid: number }>;
  /** Removes it at once (no grace period); true when it existed. */
  remove(name: string): Promise<boolean>;
  /** Names of the containers labelled with this session. */
  list(session: string): Promise<string[]>;
}

export const IMAGE = 'localhost/nsplay/busybox:1';
export const IMAGE_ALIASES = ['nginx:alpine', 'alpine', 'busybox'];

function dockerEngineRuns(): boolean {
  return fs.existsSync('/var/run/docker.sock');
}

export function detectRuntime(run: Runner = runCommand): ContainerRuntime {
  const bin = dockerEngineRuns() ? 'docker' : 'podman';
  // Settings this machine kind needs for Podman (see STACK.md): runc, cgroupfs, modest ulimits.
  const base = bin === 'podman' ? ['podman', '--runtime', 'runc', '--cgroup-manager', 'cgroupfs'] : ['docker'];
  const limits = bin === 'podman' ? ['--ulimit', 'nofile=20000:20000', '--ulimit', 'nproc=1000:1000'] : [];
  return {
    name: bin,
    async run({ name, image, session, hostname }) {
      const r = await run([...base, 'run', '-d', '--network', 'none', '--name', name, '--hostname', hostname,
        '--label', `nsplay.session=${session}`, '--cap-add', 'NET_RAW', '--env', `NSPLAY_NAME=${hostname}`, ...limits, image], { timeoutMs: 60_000 });
      if (r.code !== 0) throw new Error(`${bin} run failed: ${r.stderr.trim()}`);
      const id = r.stdout.trim().split('\n').pop()!;
      const p = await run([...base, 'inspect', '-f', '{{.State.Pid}}', id]);
      const pid = Number(p.stdout.trim());
      if (!pid) throw new Error(`${bin} inspect gave no PID for ${name}: ${p.stderr.trim()}`);
      return { id, pid };
    },
    async remove(name) {
      const r = await run([...base, 'rm', '-f', '-t', '0', name], { timeoutMs: 60_000 });
      return r.code === 0 && r.stdout.trim() !== '';
    },
    async list(session) {
      const r = await run([...base, 'ps', '-a', '--filter', `label=nsplay.session=${session}`, '--format', '{{.Names}}']);
      return r.stdout.split('\n').map((s) => s.trim()).filter(Boolean);
    },
  };
}
