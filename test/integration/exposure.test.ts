// Gate 9 (issue 7): exposure. The real server (`node --import tsx server/index.ts --port 0`, with the
// Next.js production build — scripts/test.sh runs setup.sh, which builds `.next`; without it these
// tests skip with a sentence) in a state directory of the suite's own:
// - by default it listens on 127.0.0.1 only: every listening socket of its process, as `ss -ltnp`
//   shows them, is on 127.0.0.1;
// - bound beyond loopback (--host 0.0.0.0) it never serves sockets without a token. The issue asks for
//   "a non-loopback bind without tokens refuses to start"; nsplay instead *generates* a token when none
//   is given (server/index.ts) and prints it in the URL — there is no way to start it open beyond
//   loopback, which is the property the gate protects, and it keeps `HOST=0.0.0.0 npm start` working
//   for a classroom. Checked with socket.io clients: no token, a wrong token, the right token from a
//   foreign Origin are refused; the right token is accepted; NSPLAY_TOKEN (with HOST=0.0.0.0) is
//   used when set (soak only: a third server start).
// - `npm audit --omit=dev --audit-level=high`: no high or critical advisory. Offline-safe: when the
//   registry or its audit endpoint cannot answer, the test skips and says why.
import { execa, type ResultPromise } from 'execa';
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { io as connect } from 'socket.io-client';
import { afterEach, describe, expect, it } from 'vitest';
import { ROOT, TEST_STATE_DIR } from './env.ts';

const BUILT = fs.existsSync(path.join(ROOT, '.next', 'BUILD_ID'));
const STATE = `${TEST_STATE_DIR}-exposure`;

interface Running { proc: ResultPromise; pid: number; url: string; port: number }
let running: Running | null = null;

async function startServer(args: string[], env: Record<string, string> = {}): Promise<Running> {
  const childEnv: Record<string, string | undefined> = { ...process.env };
  for (const k of ['HOST', 'PORT', 'NSPLAY_DEV', 'NSPLAY_TOKEN']) delete childEnv[k];
  Object.assign(childEnv, { NSPLAY_STATE_DIR: STATE, NEXT_TELEMETRY_DISABLED: '1' }, env);
  const proc = execa(process.execPath, ['--import', 'tsx', 'server/index.ts', ...args], {
    cwd: ROOT, reject: false, stdin: 'ignore', env: childEnv, extendEnv: false,
  });
  let out = '';
  const url = await new Promise<string>((resolve, fail) => {
    const timer = setTimeout(() => fail(new Error(`the server did not start in 60 s:\n${out}`)), 60_000);
    const seen = (d: unknown) => {
      out += String(d);
      const m = /nsplay listening on (\S+)/.exec(out);
      if (m) { clearTimeout(timer); resolve(m[1]); }
    };
    proc.stdout!.on('data', seen);
    proc.stderr!.on('data', seen);
    void proc.then(() => { clearTimeout(timer); fail(new Error(`the server exited:\n${out}`)); });
  });
  running = { proc, pid: proc.pid!, url, port: Number(new URL(url).port) };
  return running;
}

afterEach(async () => {
  if (running) {
    running.proc.kill('SIGTERM');
    const r = await Promise.race([running.proc, new Promise((res) => setTimeout(() => res(null), 10_000))]);
    if (r === null) { running.proc.kill('SIGKILL'); await running.proc; }
    running = null;
  }
  fs.rmSync(STATE, { recursive: true, force: true });
});

/** Local addresses of the TCP sockets PID listens on, per `ss -ltnp`. */
function listening(pid: number): string[] {
  const out = execFileSync('ss', ['-Hltnp'], { encoding: 'utf8' });
  return out.split('\n').filter((l) => l.includes(`pid=${pid},`)).map((l) => l.trim().split(/\s+/)[3]);
}

/** Connects a socket.io client; resolves 'connected' or the connect error's message. */
function tryConnect(port: number, auth?: Record<string, unknown>, origin?: string): Promise<string> {
  const c = connect(`http://127.0.0.1:${port}`, {
    transports: ['websocket'], forceNew: true, reconnection: false, auth, timeout: 10_000,
    ...(origin ? { extraHeaders: { origin } } : {}),
  });
  return new Promise((resolve) => {
    c.once('connect', () => { c.disconnect(); resolve('connected'); });
    c.once('connect_error', (e) => { c.disconnect(); resolve(e.message); });
  });
}

describe('gate 9: exposure', () => {
  it.skipIf(!BUILT)('listens on 127.0.0.1 only by default (ss -ltnp)', async () => {
    const s = await startServer(['--port', '0']);
    expect(s.url).toBe(`http://127.0.0.1:${s.port}/`); // no token on loopback
    const addrs = listening(s.pid);
    expect(addrs).toContain(`127.0.0.1:${s.port}`);
    expect(addrs.filter((a) => !a.startsWith('127.0.0.1:'))).toEqual([]);
    expect(await tryConnect(s.port)).toBe('connected');
  }, 90_000);

  it.skipIf(!BUILT)('beyond loopback, sockets need the token it generated (never open without one)', async () => {
    const s = await startServer(['--host', '0.0.0.0', '--port', '0']);
    const token = new URL(s.url).searchParams.get('token');
    expect(token).toMatch(/^[0-9a-f]{32}$/);
    expect(listening(s.pid)).toContain(`0.0.0.0:${s.port}`);
    expect(await tryConnect(s.port)).toMatch(/access token/);
    expect(await tryConnect(s.port, { token: 'f'.repeat(32) })).toMatch(/access token/);
    expect(await tryConnect(s.port, { token: [token] })).toMatch(/access token/);
    expect(await tryConnect(s.port, { token }, 'http://evil.example')).toMatch(/origin/);
    expect(await tryConnect(s.port, { token })).toBe('connected');
  }, 90_000);

  // A third server start (≈15 s on this machine): in the soak run only.
  it.skipIf(!BUILT || process.env.NSPLAY_SOAK !== '1')('HOST beyond loopback with NSPLAY_TOKEN uses that token', async () => {
    const given = 'a'.repeat(32);
    const s = await startServer(['--port', '0'], { HOST: '0.0.0.0', NSPLAY_TOKEN: given });
    expect(new URL(s.url).searchParams.get('token')).toBe(given);
    expect(await tryConnect(s.port)).toMatch(/access token/);
    expect(await tryConnect(s.port, { token: given })).toBe('connected');
  }, 90_000);

  it('npm audit --omit=dev: no high or critical advisories (skips when the registry cannot answer)', async (ctx) => {
    const r = await execa('npm', ['audit', '--omit=dev', '--audit-level=high', '--json'], { cwd: ROOT, reject: false, timeout: 60_000 });
    let report: { metadata?: { vulnerabilities?: Record<string, number> }; message?: string; error?: { code?: string; summary?: string } } = {};
    try { report = JSON.parse(String(r.stdout)); } catch { /* not JSON: an npm failure */ }
    const v = report.metadata?.vulnerabilities;
    if (!v) {
      const why = report.message ?? report.error?.summary ?? report.error?.code ?? (r.timedOut ? 'timed out' : String(r.stderr).split('\n').find((l) => l.includes('error')) ?? `exit ${r.exitCode}`);
      console.log(`[gate 9] npm audit skipped: the registry's audit endpoint could not answer (${why}).`);
      ctx.skip();
      return;
    }
    console.log(`[gate 9] npm audit --omit=dev: ${JSON.stringify(v)}`);
    expect({ high: v.high ?? 0, critical: v.critical ?? 0 }).toEqual({ high: 0, critical: 0 });
  }, 90_000);
});
