// Who may open a socket, in a real browser. A tokened nsplay of the spec's own (loopback, NSPLAY_TOKEN and
// NSPLAY_INSTRUCTOR_TOKEN set, its own state directory) serves four browser contexts: the instructor's URL
// and the attendees' URL get in with their roles; a wrong token and no token are refused with a sentence on
// the page and open no session; a page of another origin (https://evil.test, served by Playwright) cannot
// open a socket even with the valid token — nor to the token-less loopback server the other specs use.
import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { expect, test, type Browser, type Page } from '@playwright/test';

const ROOT = path.resolve(import.meta.dirname, '..');
const PORT = 3124;
const SERVER = `http://127.0.0.1:${PORT}`;
const STATE = '/run/nsplay-e2e-tokened';
const ATTENDEE = `e2e-attendee-${randomBytes(8).toString('hex')}`;
const INSTRUCTOR = `e2e-instructor-${randomBytes(8).toString('hex')}`;
// The build it serves: .next, or NSPLAY_NEXT_DIST's (next.config.js), which both servers inherit.
const BUILT = fs.existsSync(path.join(ROOT, process.env.NSPLAY_NEXT_DIST || '.next', 'BUILD_ID'));

let server: ChildProcess | undefined;
let log = '';
const opened: string[] = [];

/** The sessions in the tokened server's state directory (names like s1a2b3c). */
const sessionsOnDisk = () => {
  try { return fs.readdirSync(path.join(STATE, 'sessions')).filter((n) => /^s[0-9a-f]{6}$/.test(n)).sort(); } catch { return []; }
};

async function startServer(): Promise<ChildProcess> {
  const env: NodeJS.ProcessEnv = { ...process.env };
  for (const k of ['HOST', 'PORT', 'NSPLAY_DEV', 'NSPLAY_VIEWER_TOKEN']) delete env[k];
  Object.assign(env, { NSPLAY_STATE_DIR: STATE, NSPLAY_TOKEN: ATTENDEE, NSPLAY_INSTRUCTOR_TOKEN: INSTRUCTOR, NEXT_TELEMETRY_DISABLED: '1' });
  const child = spawn(process.execPath, ['--import', 'tsx', 'server/index.ts', '--port', String(PORT), '--host', '127.0.0.1'],
    { cwd: ROOT, env, stdio: ['ignore', 'pipe', 'pipe'] });
  await new Promise<void>((ok, fail) => {
    const timer = setTimeout(() => fail(new Error(`the tokened server did not start in 90 s:\n${log}`)), 90_000);
    const seen = (d: Buffer) => {
      log += d.toString();
      if (/instructor: \S+\?token=/.test(log)) { clearTimeout(timer); ok(); }
    };
    child.stdout!.on('data', seen);
    child.stderr!.on('data', seen);
    child.once('exit', (code) => { clearTimeout(timer); fail(new Error(`the tokened server exited (${code}):\n${log}`)); });
  });
  // Should the runner die without afterAll, the server still goes (SIGTERM: it destroys its sessions).
  process.once('exit', () => { if (child.exitCode === null && child.signalCode === null) process.kill(child.pid!, 'SIGTERM'); });
  return child;
}

/** SIGTERM by PID (the server destroys its sessions on the way out); SIGKILL only after 60 s. */
async function stopServer(child: ChildProcess) {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise<void>((ok) => child.once('exit', () => ok()));
  process.kill(child.pid!, 'SIGTERM');
  const late = setTimeout(() => { try { process.kill(child.pid!, 'SIGKILL'); } catch { /* gone */ } }, 60_000);
  await exited;
  clearTimeout(late);
}

test.describe.configure({ mode: 'serial' });
test.skip(!BUILT, 'needs the production build (.next/BUILD_ID): run `npm run build` or scripts/setup.sh first');

test.beforeAll(async ({}, info) => {
  info.setTimeout(120_000);
  server = await startServer();
});

test.afterAll(async ({}, info) => {
  info.setTimeout(90_000);
  if (server) await stopServer(server);
  await info.attach('tokened server log', { body: log });
  const left = sessionsOnDisk();
  // Only remove the directory when the server took every session with it; otherwise its next start reclaims them.
  if (left.length === 0) fs.rmSync(STATE, { recursive: true, force: true });
  expect(left, 'sessions the tokened server left behind').toEqual([]);
});

async function openBlank(browser: Browser, token: string): Promise<{ page: Page; session: string }> {
  const ctx = await browser.newContext();
  const page = await ctx.newPage();
  await page.goto(`${SERVER}/?canvas=blank&token=${token}`);
  await expect(page.getByTestId('playground')).toBeVisible({ timeout: 90_000 });
  await expect(page.getByTestId('canvas')).toBeVisible();
  const session = await page.getByTestId('playground').getAttribute('data-session');
  expect(session).toMatch(/^s[0-9a-f]{6}$/);
  opened.push(session!);
  return { page, session: session! };
}

test('the instructor URL and the attendee URL open sessions with their roles', async ({ browser }) => {
  const [a, b] = await Promise.all([openBlank(browser, INSTRUCTOR), openBlank(browser, ATTENDEE)]);
  expect(b.session).not.toBe(a.session);
  await expect(a.page.getByTestId('present-button')).toBeVisible();
  await expect(a.page.getByTestId('present-button')).toBeEnabled({ timeout: 30_000 });
  // An attendee may not present: the page asks the server for its role and hides the button.
  await expect(b.page.getByTestId('apply-button')).toBeVisible();
  await expect(b.page.getByTestId('present-button')).toHaveCount(0, { timeout: 30_000 });
  expect(sessionsOnDisk()).toEqual([...opened].sort());
  await a.page.context().close();
  await b.page.context().close();
});

test('a wrong token or none is refused with a sentence, and opens no session', async ({ browser }, info) => {
  const ctx = await browser.newContext();
  const page = await ctx.newPage();
  for (const url of [`${SERVER}/?canvas=blank&token=wrong-${randomBytes(8).toString('hex')}`, `${SERVER}/?canvas=blank`]) {
    await page.goto(url);
    const refusal = page.getByTestId('connect-refused');
    await expect(refusal).toBeVisible({ timeout: 30_000 });
    await expect(refusal).toContainText('needs the access token printed at start');
    await expect(page.getByTestId('playground')).toHaveCount(0);
  }
  await page.screenshot({ path: info.outputPath('refused-no-token.png') });
  // Nothing the refused pages did reached the engine: only the two sessions of the first test exist.
  await page.waitForTimeout(1000);
  expect(sessionsOnDisk()).toEqual([...opened].sort());
  await ctx.close();
});

/**
 * A page of https://evil.test (fulfilled by Playwright, never resolved) that tries both ways to reach
 * `target`: the socket.io client with `token`, and a raw Engine.IO websocket that asks for the default
 * namespace. It writes what happened into #sio and #raw.
 * Chromium's Local Network Access check already blocks a public page's websocket to 127.0.0.1
 * (net::ERR_BLOCKED_BY_LOCAL_NETWORK_ACCESS_CHECKS) — unless the page is https and the user allowed it at
 * the prompt; other browsers have no such check. The context grants it, so what is tested is nsplay's own
 * Origin check, not Chromium's.
 */
async function evilPage(browser: Browser, target: string, token?: string): Promise<Page> {
  const ctx = await browser.newContext({ permissions: ['local-network-access'] });
  const client = fs.readFileSync(path.join(ROOT, 'node_modules/socket.io-client/dist/socket.io.min.js'), 'utf8');
  const auth = JSON.stringify(token ? { token } : {});
  const ws = `${target.replace(/^http/, 'ws')}/socket.io/?EIO=4&transport=websocket`;
  const html = `<!doctype html><meta charset="utf-8"><title>evil</title><script src="/sio.js"></script>
<pre id="sio">pending</pre><pre id="raw">pending</pre>
<script>
const sio = io(${JSON.stringify(target)}, { transports: ['websocket'], auth: ${auth}, reconnection: false });
sio.on('connect', () => { document.getElementById('sio').textContent = 'connected ' + sio.id; });
sio.on('connect_error', (e) => { document.getElementById('sio').textContent = 'connect_error: ' + e.message; });
const raw = document.getElementById('raw');
const w = new WebSocket(${JSON.stringify(ws)});
raw.textContent = '';
w.onmessage = (m) => { raw.textContent += 'message ' + m.data + '\\n'; if (String(m.data).startsWith('0')) w.send('40' + ${JSON.stringify(auth)}); };
w.onerror = () => { raw.textContent += 'error\\n'; };
w.onclose = (c) => { raw.textContent += 'close ' + c.code + '\\n'; };
</script>`;
  await ctx.route('https://evil.test/**', (route) => {
    const url = new URL(route.request().url());
    if (url.pathname === '/sio.js') return route.fulfill({ contentType: 'text/javascript', body: client });
    return route.fulfill({ contentType: 'text/html', body: html });
  });
  const page = await ctx.newPage();
  await page.goto('https://evil.test/');
  return page;
}

for (const [name, target, token] of [
  ['the tokened server, with the valid attendee token', SERVER, ATTENDEE],
  ['the token-less loopback server', 'http://127.0.0.1:3123', undefined],
] as const) {
  test(`a page of another origin cannot open a socket to ${name}`, async ({ browser }, info) => {
    const page = await evilPage(browser, target, token);
    const refusal = /origin https:\/\/evil\.test is not this server/;
    await expect(page.locator('#sio')).toHaveText(new RegExp(`^connect_error: ${refusal.source}`), { timeout: 30_000 });
    // The raw websocket: Engine.IO opens (packet 0), the namespace connect is refused (packet 44).
    await expect(page.locator('#raw')).toContainText(/message 0\{"sid"/, { timeout: 30_000 });
    await expect(page.locator('#raw')).toContainText(new RegExp(`message 44\\{"message":"${refusal.source}"\\}`));
    await page.screenshot({ path: info.outputPath('foreign-origin.png') });
    if (target === SERVER) {
      // The server refused it (not the browser), and nothing was opened.
      expect(log).toContain('refused a socket from 127.0.0.1: origin https://evil.test is not this server');
      expect(sessionsOnDisk()).toEqual([...opened].sort());
    }
    await page.context().close();
  });
}
