// Containers in sessions: the seed's `docker run/inspect/exec/remove` in the host shell run Podman on
// the session's own store, inside its namespaces. Two sessions each have their own alpine1, the
// machine's store never sees them, and destroy removes them before it returns.
import fs from 'node:fs';
import { describe, expect, it } from 'vitest';
import { runCommand } from '../../server/exec/run.ts';
import { engine, expectGone } from './lab-walk.ts';

async function sh(id: string, line: string, timeoutMs = 60_000) {
  return runCommand(await engine.enterArgv(id, 'host', ['bash', '-c', line]), { timeoutMs });
}

describe('containers owned by sessions', () => {
  it('two sessions each run their own alpine1, like Docker, apart from the machine; destroy removes them at once', async () => {
    const a = (await engine.create({ owner: 'test' })).id;
    const b = (await engine.create({ owner: 'test' })).id;
    const pids: number[] = [];
    try {
      const runs = await Promise.all([a, b].map((id) => sh(id, 'docker run -d --rm --network none --name alpine1 -t nginx:alpine')));
      for (const r of runs) expect(r.code, r.stderr).toBe(0);
      const [idA, idB] = runs.map((r) => r.stdout.trim());
      expect(idA).not.toBe(idB);
      for (const [id, own] of [[a, idA], [b, idB]]) {
        const ps = await sh(id, "docker ps -a --no-trunc --format '{{.Names}} {{.ID}}'");
        expect(ps.stdout.trim()).toBe(`alpine1 ${own}`);
        const pid = Number((await sh(id, "docker inspect -f '{{.State.Pid}}' alpine1")).stdout.trim());
        expect(fs.existsSync(`/proc/${pid}`)).toBe(true);
        pids.push(pid);
      }
      const machine = await runCommand(['podman', 'ps', '-a', '--no-trunc', '--format', '{{.ID}}']);
      expect(machine.stdout).not.toContain(idA);
      expect(machine.stdout).not.toContain(idB);
      // Docker's defaults: CAP_NET_RAW (ping works inside), no network but a loopback.
      const ping = await sh(a, 'docker exec alpine1 ping -c 1 -W 1 127.0.0.1');
      expect(ping.code, ping.stdout + ping.stderr).toBe(0);
      expect((await sh(a, 'docker exec alpine1 ip -o link')).stdout.trim().split('\n')).toHaveLength(1);
      // Podman names no SandboxKey for --network none: why lab 6 uses /proc/$pid/ns/net.
      expect((await sh(a, "docker inspect alpine1 | jq -r '.[].NetworkSettings.SandboxKey'")).stdout.trim()).toBe('');
      // The default command serves a page naming the container, and stops at once on TERM.
      const started = Date.now();
      const stop = await sh(b, 'docker stop alpine1');
      expect(stop.code, stop.stderr).toBe(0);
      expect(Date.now() - started).toBeLessThan(8_000);
      // --rm: removed by the runtime's cleanup right after it stopped (asynchronously, as with Docker).
      let left = 'alpine1';
      for (let i = 0; i < 40 && left !== ''; i++) {
        left = (await sh(b, 'docker ps -a -q')).stdout.trim();
        if (left) await new Promise((r) => setTimeout(r, 250));
      }
      expect(left).toBe('');
    } finally {
      await Promise.all([engine.destroy(a), engine.destroy(b)]);
    }
    // Synchronously: the container's process was gone when destroy returned.
    expect(pids.filter((p) => fs.existsSync(`/proc/${p}`) && !fs.readFileSync(`/proc/${p}/stat`, 'utf8').includes(') Z '))).toEqual([]);
    expectGone(a);
    expectGone(b);
  }, 120_000);

  it('a container drawn on the canvas lives in its session\'s store, under its node name', async () => {
    const id = (await engine.create({ owner: 'test' })).id;
    try {
      const r = await engine.apply(id, { version: 1, nodes: [{ name: 'c1', kind: 'container' }], links: [] });
      expect(r.ok, JSON.stringify(r.error)).toBe(true);
      expect((await sh(id, "docker ps --format '{{.Names}}'")).stdout.trim()).toBe('c1');
      expect(Object.keys((await engine.status(id)).observed.namespaces)).toContain('c1');
      const http = await sh(id, 'ip netns exec c1 ip link set lo up; ip netns exec c1 wget -qO- http://127.0.0.1/ || ip netns exec c1 curl -s http://127.0.0.1/');
      expect(http.stdout).toContain('hello from c1');
    } finally {
      await engine.destroy(id);
    }
    expectGone(id);
  }, 120_000);

  it('refuses what would reach outside the sandbox', async () => {
    const id = (await engine.create({ owner: 'test' })).id;
    try {
      for (const line of ['docker network create x', 'docker pull alpine', 'docker run --network bridge nginx:alpine', 'docker system reset -f']) {
        const r = await sh(id, line);
        expect(r.code, line).toBe(125);
        expect(r.stderr, line).toMatch(/docker \(nsplay\)/);
      }
    } finally {
      await engine.destroy(id);
    }
  }, 60_000);
});
