// The session's `docker`: Podman on the session's own store, refusing what could reach the machine's
// configuration or a registry, with Docker's defaults (NET_RAW, `remove`). The runtime is replaced by a
// printer of its argv; a fake holder process stands in for the session.
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { shimScript } from '../../server/runtime/shim.ts';
import { prepareContainerStore, storageConf } from '../../server/runtime/store.ts';

const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'nsplay-shim-'));
let holder: ChildProcess;
let shim = '';

beforeAll(async () => {
  holder = spawn('bash', ['-c', `exec -a nsplay-holder:${dir} sleep 60`], { stdio: 'ignore' });
  await new Promise((r) => setTimeout(r, 100));
  shim = path.join(dir, 'docker');
  fs.writeFileSync(shim, shimScript({ sessionId: 's0a1b2c', dir, holderPid: holder.pid!, runtime: 'podman', execInstead: "printf '<%s>'" }), { mode: 0o755 });
});
afterAll(() => {
  holder.kill('SIGKILL');
  fs.rmSync(dir, { recursive: true, force: true });
});

const docker = (...args: string[]) => {
  const r = spawnSync(shim, args, { encoding: 'utf8' });
  return { code: r.status, out: r.stdout, err: r.stderr };
};

describe('the session\'s docker', () => {
  it('is valid bash', () => {
    expect(spawnSync('bash', ['-n', shim]).status).toBe(0);
  });

  it('runs containers with no network unless told, Docker\'s NET_RAW, no registry, the session label', () => {
    const r = docker('run', '-d', '--rm', '--name', 'alpine1', '-t', 'nginx:alpine');
    expect(r.code).toBe(0);
    expect(r.out).toBe('<run><--pull=never><--cap-add><NET_RAW><--ulimit><nofile=20000:20000><--ulimit><nproc=1000:1000><--label><nsplay.session=s0a1b2c><--network><none><-d><--rm><--name><alpine1><-t><nginx:alpine>');
    expect(docker('run', '--network', 'none', 'x').out).toMatch(/^<run><--pull=never>.*<--network><none><x>$/);
    expect(docker('run', '--network=host', 'x').code).toBe(0);
    expect(docker('container', 'run', 'x').out).toMatch(/^<container><run><--pull=never>.*<--network><none><x>$/);
  });

  it('knows Docker 23\'s `remove`', () => {
    expect(docker('remove', '-f', 'alpine1').out).toBe('<rm><-f><alpine1>');
    expect(docker('container', 'remove', 'alpine1').out).toBe('<container><rm><alpine1>');
  });

  it('passes the everyday commands through', () => {
    expect(docker('inspect', '-f', '{{.State.Pid}}', 'alpine1').out).toBe('<inspect><-f><{{.State.Pid}}><alpine1>');
    expect(docker('exec', 'alpine1', 'ip', 'a').out).toBe('<exec><alpine1><ip><a>');
    expect(docker('ps').code).toBe(0);
  });

  it.each([
    [['network', 'create', 'x'], 'not available'],
    [['pull', 'alpine'], 'no registry'],
    [['system', 'reset'], 'not available'],
    [['image', 'rm', 'nginx:alpine'], 'not available'],
    [['run', '--network', 'bridge', 'x'], 'no docker networks'],
    [['run', '--net=ns:/proc/1/ns/net', 'x'], 'no docker networks'],
  ])('refuses %j', (args, message) => {
    const r = docker(...args);
    expect(r.code).toBe(125);
    expect(r.err).toContain(message);
    expect(r.out).toBe('');
  });

  it('refuses to act for a session whose holder is gone', () => {
    const other = path.join(dir, 'other');
    fs.writeFileSync(other, shimScript({ sessionId: 's0a1b2c', dir: '/run/nsplay/sessions/s0a1b2c', holderPid: holder.pid!, runtime: 'podman', execInstead: 'echo' }), { mode: 0o755 });
    const r = spawnSync(other, ['ps'], { encoding: 'utf8' });
    expect(r.status).toBe(125);
    expect(r.stderr).toContain('session s0a1b2c has ended');
  });
});

describe('the session\'s container store', () => {
  it('keeps containers in the session and reads images from the machine\'s store', () => {
    const text = storageConf('/run/nsplay/sessions/s0a1b2c', '/var/lib/containers/storage');
    expect(text).toContain('graphroot = "/run/nsplay/sessions/s0a1b2c/containers/storage"');
    expect(text).toContain('runroot = "/run/nsplay/sessions/s0a1b2c/containers/run"');
    expect(text).toContain('additionalimagestores = ["/var/lib/containers/storage"]');
  });

  it('refuses paths it would have to quote', () => {
    expect(() => prepareContainerStore({ sessionId: 's0a1b2c', dir: '/tmp/a"b', holderPid: 99, runtime: 'podman', imageStore: '/var/lib/containers/storage' }))
      .toThrow(/characters/);
    expect(() => prepareContainerStore({ sessionId: 'x', dir, holderPid: 99, runtime: 'podman', imageStore: '/var/lib/containers/storage' })).toThrow(/session id/);
  });

  it('writes storage.conf and an executable docker', () => {
    const d = path.join(dir, 'sess');
    prepareContainerStore({ sessionId: 's0a1b2c', dir: d, holderPid: holder.pid!, runtime: 'podman', imageStore: '/var/lib/containers/storage' });
    expect(fs.statSync(path.join(d, 'bin', 'docker')).mode & 0o111).toBeTruthy();
    expect(fs.readFileSync(path.join(d, 'containers', 'storage.conf'), 'utf8')).toContain(`graphroot = "${d}/containers/storage"`);
  });
});
