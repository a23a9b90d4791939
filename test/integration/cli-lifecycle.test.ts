// The CLI's contract with the machine: clear refusal without root, background processes that outlive
// `nsplay exec` but not the session, crashes that leave nothing `destroy`/`reclaim` cannot remove.
import { execa } from 'execa';
import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { createSession, hostSh, nsplay } from './cli.ts';
import { ROOT, TEST_STATE_DIR } from './env.ts';

function pidsMatching(needle: string): number[] {
  return fs.readdirSync('/proc').filter((p) => /^\d+$/.test(p)).filter((p) => {
    try { return fs.readFileSync(`/proc/${p}/cmdline`, 'utf8').includes(needle); } catch { return false; }
  }).map(Number);
}

/** Gone or a zombie (killed, waiting for its parent to reap it). */
function alive(pid: number): boolean {
  try { return !/\) Z /.test(fs.readFileSync(`/proc/${pid}/stat`, 'utf8')); } catch { return false; }
}

describe('nsplay CLI lifecycle', () => {
  it('refuses without root in one sentence, making nothing', async () => {
    const r = await execa('setpriv', ['--reuid=65534', '--regid=65534', '--clear-groups', process.execPath, path.join(ROOT, 'bin/nsplay.js'), 'session', 'create'], {
      reject: false, env: { NSPLAY_STATE_DIR: `${TEST_STATE_DIR}-nonroot` },
    });
    expect(r.exitCode).toBe(1);
    expect(String(r.stderr).trim()).toMatch(/^nsplay: nsplay needs root: [^\n]+$/);
    expect(fs.existsSync(`${TEST_STATE_DIR}-nonroot`)).toBe(false);
    const setup = await execa('setpriv', ['--reuid=65534', '--regid=65534', '--clear-groups', 'bash', path.join(ROOT, 'scripts/setup.sh')], { reject: false });
    expect(setup.exitCode).toBe(1);
    expect(String(setup.stderr)).toContain('nsplay needs root');
  });

  it('keeps a background process started through exec alive until the session is destroyed', async () => {
    const id = await createSession();
    try {
      const marker = `nsplay-bg-${id}`;
      const r = await hostSh(id, `ip netns add bg; ip netns exec bg bash -c 'exec -a ${marker} sleep 600' >/dev/null 2>&1 &`);
      expect(r.code).toBe(0);
      await new Promise((res) => setTimeout(res, 300));
      expect(pidsMatching(marker)).toHaveLength(1);
      const listed = await hostSh(id, 'ip netns list');
      expect(listed.stdout).toContain('bg');
      await nsplay(['session', 'destroy', id]);
      expect(pidsMatching(marker)).toHaveLength(0);
    } finally {
      await nsplay(['session', 'destroy', id]);
    }
  });

  it('shows hand-made namespaces only inside the session, never in the machine', async () => {
    const id = await createSession();
    try {
      await hostSh(id, 'ip netns add foo');
      const machine = await execa('ip', ['netns', 'list']);
      expect(String(machine.stdout).split('\n')).not.toContain('foo');
      const st = JSON.parse((await nsplay(['status', id, '--json'])).stdout);
      expect(Object.keys(st.observed.namespaces)).toContain('foo');
      const sys = await hostSh(id, 'ls /sys/class/net');
      expect(sys.stdout.split(/\s+/)).toContain('enp0s3');
    } finally {
      await nsplay(['session', 'destroy', id]);
    }
  });

  it('an apply killed mid-way leaves a session that destroy removes completely', async () => {
    const id = await createSession();
    const dir = path.join(TEST_STATE_DIR, 'sessions', id);
    const star = { version: 1, nodes: [{ name: 'br0', kind: 'bridge', addresses: ['10.9.0.1/16'] }, ...Array.from({ length: 30 }, (_, i) => ({ name: `n${i}`, kind: 'netns' }))],
      links: Array.from({ length: 30 }, (_, i) => ({ a: { node: 'br0', ifname: `v${i}` }, b: { node: `n${i}`, ifname: 'eth0', addresses: [`10.9.1.${i + 1}/16`] } })) };
    const file = path.join(TEST_STATE_DIR, `star-${id}.json`);
    fs.writeFileSync(file, JSON.stringify(star));
    const child = execa(process.execPath, [path.join(ROOT, 'bin/nsplay.js'), 'apply', id, file], { reject: false, env: { NSPLAY_STATE_DIR: TEST_STATE_DIR } });
    // Kill as soon as some namespaces exist.
    for (let i = 0; i < 200 && fs.readdirSync(path.join(dir, 'netns')).length < 5; i++) await new Promise((r) => setTimeout(r, 10));
    child.kill('SIGKILL');
    await child;
    const holder = JSON.parse(fs.readFileSync(path.join(dir, 'session.json'), 'utf8')).holder.pid as number;
    expect((await nsplay(['session', 'destroy', id])).code).toBe(0);
    expect(fs.existsSync(dir)).toBe(false);
    expect(alive(holder)).toBe(false);
    fs.rmSync(file, { force: true });
  });

  it('reclaims the sessions of a crashed server, and only those', async () => {
    const keep = await createSession();
    try {
      const script = `import { createEngine } from ${JSON.stringify(path.join(ROOT, 'server/session/engine.ts'))};
        const e = createEngine({ stateDir: ${JSON.stringify(TEST_STATE_DIR)} });
        const s = await e.create({ owner: 'server:test' });
        console.log(s.id);
        setInterval(() => {}, 1000);`;
      const server = execa(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script], { reject: false, cwd: ROOT });
      let crashedId = '';
      server.stdout!.on('data', (d) => { crashedId ||= String(d).trim(); });
      for (let i = 0; i < 300 && !crashedId; i++) await new Promise((r) => setTimeout(r, 20));
      expect(crashedId).toMatch(/^s[0-9a-f]{6}$/);
      server.kill('SIGKILL');
      await server;
      const r = await nsplay(['reclaim']);
      expect(r.stdout).toContain(crashedId);
      const list = JSON.parse((await nsplay(['session', 'list', '--json'])).stdout).map((s: { id: string }) => s.id);
      expect(list).toContain(keep);
      expect(list).not.toContain(crashedId);
      expect(pidsMatching(`sessions/${crashedId}`)).toHaveLength(0);
    } finally {
      await nsplay(['session', 'destroy', keep]);
    }
  });
});
