// The page's figures (issue 3): Apply click → every step ✓ for the N = 50 star next to the CLI's
// `nsplay apply` of the same file; page load → interactive canvas next to loading a static file; frame
// time while panning a 200-node canvas next to panning the blank canvas. Debian's Chromium driven by
// Playwright against the real server, started here on a free port with a bench-only state directory
// and stopped by its PID (SIGTERM destroys its sessions). Needs the Next build (.next).
import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium, type Browser, type BrowserContext, type Page } from 'playwright-core';
import { stringify as toYaml } from 'yaml';
import type { Topology } from '../server/topology/schema.ts';
import { nsName, starTopology } from './star.ts';
import { fmtNumber, median, percentile, summarize, type Summary } from './stats.ts';
import type { Figure } from './figure.ts';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const STATE_DIR = '/run/nsplay-bench-ui';
const CHROMIUM = '/usr/bin/chromium';
const NSPLAY = path.join(ROOT, 'node_modules', '.bin', 'nsplay');
const SCREENSHOT = path.join(ROOT, 'test-results', 'bench-ui-canvas-200.png');
const APPLY_N = 50;
/** Nodes drawn for the frame-time figure: br0 + 199 namespaces (the sandbox adds host, internet, external). */
const CANVAS_NODES = 200;
const PAN_MS = 3000;

export type UiFigure = Figure;

export interface UiContext {
  log(line?: string): void;
  figures: UiFigure[];
  skipped: string[];
  failures: string[];
  repsFor(n?: number): number;
}

const ms = (x: number) => `${fmtNumber(x)} ms`;
const sleep = (t: number) => new Promise((r) => setTimeout(r, t));

// ---------------------------------------------------------------- the server, by PID

interface Server { child: ChildProcess; pid: number; url: string; output: () => string }

async function startServer(): Promise<Server> {
  const child = spawn(process.execPath, ['--import', 'tsx', 'server/index.ts', '--port', '0', '--host', '127.0.0.1'], {
    cwd: ROOT,
    env: { ...process.env, NSPLAY_STATE_DIR: STATE_DIR, NEXT_TELEMETRY_DISABLED: '1', NSPLAY_DEV: '' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  if (!child.pid) throw new Error('could not start the server');
  let out = '';
  child.stdout!.on('data', (d) => (out += String(d)));
  child.stderr!.on('data', (d) => (out += String(d)));
  const deadline = Date.now() + 120_000;
  for (;;) {
    const m = /nsplay listening on (http:\/\/[^\s/]+)\//.exec(out);
    if (m) return { child, pid: child.pid, url: m[1], output: () => out };
    if (child.exitCode !== null || child.signalCode !== null) throw new Error(`the server exited (${child.exitCode ?? child.signalCode}): ${out.trim().slice(-600)}`);
    if (Date.now() > deadline) {
      await stopServer({ child, pid: child.pid, url: '', output: () => out }, () => {});
      throw new Error(`the server did not listen within 120 s: ${out.trim().slice(-600)}`);
    }
    await sleep(50);
  }
}

/** Children of a process (its engine process among them), from /proc. */
function childrenOf(pid: number): number[] {
  try {
    return fs.readdirSync(`/proc/${pid}/task`).flatMap((t) => {
      try { return fs.readFileSync(`/proc/${pid}/task/${t}/children`, 'utf8').trim().split(/\s+/).filter(Boolean).map(Number); } catch { return []; }
    });
  } catch { return []; }
}
const comm = (pid: number) => { try { return fs.readFileSync(`/proc/${pid}/comm`, 'utf8').trim(); } catch { return ''; } };
const alive = (pid: number) => { try { process.kill(pid, 0); return true; } catch { return false; } };

/** SIGTERM to the server's PID (it destroys its sessions), then wait; SIGKILL by PID after 30 s. */
async function stopServer(s: Server, log: (l: string) => void): Promise<void> {
  const kids = childrenOf(s.pid);
  const exited = new Promise<void>((r) => { if (s.child.exitCode !== null || s.child.signalCode !== null) r(); else s.child.once('exit', () => r()); });
  try { process.kill(s.pid, 'SIGTERM'); } catch { /* gone */ }
  const done = await Promise.race([exited.then(() => true), sleep(30_000).then(() => false)]);
  if (!done) {
    log(`  (server ${s.pid} still running 30 s after SIGTERM: SIGKILL)`);
    try { process.kill(s.pid, 'SIGKILL'); } catch { /* gone */ }
    await exited;
  }
  // Its engine process ends with it; give it a moment, then end any straggler by its PID.
  for (const k of kids) {
    for (let i = 0; i < 50 && alive(k); i++) await sleep(100);
    if (alive(k)) {
      log(`  (server child ${k} outlived the server: SIGTERM)`);
      try { process.kill(k, 'SIGTERM'); } catch { /* gone */ }
    }
  }
}

// ---------------------------------------------------------------- the CLI

interface Ran { code: number; stdout: string; stderr: string; ms: number }

function runCli(args: string[]): Promise<Ran> {
  return new Promise((resolve) => {
    const t0 = performance.now();
    const c = spawn(NSPLAY, args, { cwd: ROOT, env: { ...process.env, NSPLAY_STATE_DIR: STATE_DIR }, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    c.stdout!.on('data', (d) => (stdout += String(d)));
    c.stderr!.on('data', (d) => (stderr += String(d)));
    c.on('error', (e) => resolve({ code: 127, stdout, stderr: `${stderr}${e.message}`, ms: performance.now() - t0 }));
    c.on('exit', (code) => resolve({ code: code ?? 1, stdout, stderr, ms: performance.now() - t0 }));
  });
}

async function cliOk(args: string[]): Promise<Ran> {
  const r = await runCli(args);
  if (r.code !== 0) throw new Error(`nsplay ${args.join(' ')}: exit ${r.code}: ${(r.stderr || r.stdout).trim().slice(0, 400)}`);
  return r;
}

// ---------------------------------------------------------------- files

/** The 200-node canvas: star of 199 namespaces on br0, placed on a grid (sandbox nodes on top). */
function canvasTopology(): Topology {
  const n = CANVAS_NODES - 1;
  const t = starTopology(n);
  const cols = 20;
  const layout: Record<string, { x: number; y: number }> = {
    internet: { x: 1600, y: 0 }, external: { x: 2200, y: 0 }, host: { x: 1900, y: 200 }, br0: { x: 1870, y: 400 },
  };
  for (let i = 1; i <= n; i++) layout[nsName(i)] = { x: ((i - 1) % cols) * 210, y: 560 + Math.floor((i - 1) / cols) * 130 };
  return { ...t, name: `bench canvas ${CANVAS_NODES}`, layout };
}

// ---------------------------------------------------------------- the page

const node = (page: Page, name: string) => page.locator(`.react-flow__node[data-id="${name}"]`);

async function openBlank(page: Page, base: string): Promise<void> {
  await page.goto(`${base}/`);
  await page.getByTestId('blank-canvas').click({ timeout: 60_000 });
  await page.getByTestId('playground').waitFor({ timeout: 60_000 });
  await node(page, 'host').waitFor({ timeout: 30_000 });
  await waitApplyEnabled(page);
}

async function waitApplyEnabled(page: Page): Promise<void> {
  await page.waitForFunction(() => {
    const b = document.querySelector('[data-testid="apply-button"]') as HTMLButtonElement | null;
    return !!b && !b.disabled;
  }, undefined, { timeout: 60_000 });
}

/** Load a file the way a learner does: the toolbar's Open, a file chooser. */
async function openFile(page: Page, file: string): Promise<void> {
  const [chooser] = await Promise.all([page.waitForEvent('filechooser'), page.getByTestId('load-button').click()]);
  await chooser.setFiles(file);
}

/**
 * Click Apply, confirm the preview as soon as it shows, stop when the panel is done and every step
 * ✓. Times are taken in the page (performance.now at the click's capture, at the first DOM state with
 * every step ok), so the automation's round trips are not in them — except for the confirm click.
 */
async function uiApply(page: Page): Promise<{ total: number; preview: number; run: number; steps: number }> {
  await page.evaluate(() => {
    const w = window as unknown as { __bench: Record<string, number | undefined> };
    w.__bench = {};
    const mark = (k: string) => { w.__bench[k] ??= performance.now(); };
    document.addEventListener('click', (e) => {
      const t = e.target as Element | null;
      if (t?.closest('[data-testid="apply-button"]')) mark('click');
      if (t?.closest('[data-testid="apply-confirm"]')) mark('confirm');
    }, { capture: true });
    const check = () => {
      const panel = document.querySelector('[data-testid="apply-panel"]');
      const phase = panel?.getAttribute('data-phase');
      if (phase === 'confirm') mark('shown');
      if (phase !== 'done') return;
      const steps = [...document.querySelectorAll('[data-testid="apply-step"]')];
      w.__bench.steps = steps.length;
      if (steps.length > 0 && steps.every((s) => s.getAttribute('data-status') === 'ok')) mark('allOk');
      else mark('doneNotOk');
    };
    new MutationObserver(check).observe(document.body, { subtree: true, childList: true, attributes: true, attributeFilter: ['data-phase', 'data-status'] });
  });
  await page.getByTestId('apply-button').click();
  const panel = page.getByTestId('apply-panel');
  await page.locator('[data-testid="apply-panel"][data-phase="confirm"], [data-testid="apply-panel"][data-phase="error"]').waitFor({ timeout: 60_000 });
  if ((await panel.getAttribute('data-phase')) === 'error') throw new Error(`apply refused: ${await page.getByTestId('apply-error').textContent()}`);
  await page.getByTestId('apply-confirm').click();
  await page.locator('[data-testid="apply-panel"][data-phase="done"], [data-testid="apply-panel"][data-phase="error"]').waitFor({ timeout: 300_000 });
  const b = await page.evaluate(() => (window as unknown as { __bench: Record<string, number | undefined> }).__bench);
  if (b.allOk === undefined) {
    const outcome = await page.getByTestId('apply-panel').innerText();
    throw new Error(`the apply panel did not show every step ✓: ${outcome.slice(0, 400)}`);
  }
  const outcome = (await page.getByTestId('apply-outcome').textContent()) ?? '';
  if (!outcome.startsWith('Done')) throw new Error(`apply outcome: ${outcome}`);
  return { total: b.allOk - b.click!, preview: b.shown! - b.click!, run: b.allOk - b.confirm!, steps: b.steps ?? 0 };
}

/**
 * Pan with the mouse (button held on empty pane) for PAN_MS, back and forth, while a
 * requestAnimationFrame loop in the page records frame times and whether the view moved.
 */
async function panFrames(page: Page): Promise<{ intervals: number[]; moved: number; frames: number; moves: number }> {
  const pane = page.locator('.react-flow__pane');
  const box = (await pane.boundingBox())!;
  // A starting point on empty pane (not on a node, an edge, the minimap or the controls).
  const start = await page.evaluate(({ x, y, w, h }) => {
    for (let fy = 0.08; fy < 0.9; fy += 0.04) {
      for (let fx = 0.5; fx < 0.95; fx += 0.03) {
        for (const px of [x + w * fx, x + w * (1 - fx)]) {
          const py = y + h * fy;
          const el = document.elementFromPoint(px, py);
          if (el?.classList.contains('react-flow__pane')) return { x: px, y: py };
        }
      }
    }
    return null;
  }, { x: box.x, y: box.y, w: box.width, h: box.height });
  if (!start) throw new Error('no empty spot on the canvas to start a pan from');
  // The button goes down (and later up) with the real mouse; the moves in between come from a
  // requestAnimationFrame loop in the page, one per frame, like a mouse reporting at the display's rate
  // (moves sent one by one over the DevTools protocol arrive every 50+ ms on a loaded machine, which
  // would leave most frames with nothing to draw). d3-zoom, under React Flow, takes them as the drag.
  await page.mouse.move(start.x, start.y);
  await page.mouse.down();
  const f = await page.evaluate(({ x0, y0, duration }) => new Promise<{ t: number[]; moved: number; last: { x: number; y: number } }>((resolve) => {
    const vp = document.querySelector('.react-flow__viewport') as HTMLElement;
    const pane = document.querySelector('.react-flow__pane') as HTMLElement;
    const t: number[] = [];
    let moved = 0;
    let seen = vp.style.transform;
    let pos = { x: x0, y: y0 };
    let begin = -1;
    const tick = (now: number) => {
      t.push(now);
      if (vp.style.transform !== seen) { moved++; seen = vp.style.transform; }
      if (begin < 0) begin = now;
      const el = now - begin;
      if (el >= duration) { resolve({ t, moved, last: pos }); return; }
      // A slow figure of eight, 120 × 60 px, about 1.3 s per loop: the drawing stays in view.
      const a = (el / 1300) * 2 * Math.PI;
      pos = { x: x0 + 120 * Math.sin(a), y: y0 + 60 * Math.sin(2 * a) };
      pane.dispatchEvent(new MouseEvent('mousemove', { bubbles: true, cancelable: true, view: window, clientX: pos.x, clientY: pos.y, buttons: 1 }));
      requestAnimationFrame(tick);
    };
    requestAnimationFrame(tick);
  }), { x0: start.x, y0: start.y, duration: PAN_MS });
  await page.mouse.move(f.last.x, f.last.y);
  await page.mouse.up();
  const moves = f.t.length - 1;
  // Frames from the first to the last: intervals between consecutive rAF callbacks.
  const intervals = f.t.slice(1).map((t, i) => t - f.t[i]);
  return { intervals, moved: f.moved, frames: f.t.length, moves };
}

// ---------------------------------------------------------------- the figures

export async function figureUi(ctx: UiContext): Promise<void> {
  const { log } = ctx;
  if (!fs.existsSync(path.join(ROOT, '.next', 'BUILD_ID'))) {
    log('UI figures: skipped: no Next build (.next/BUILD_ID); `npm run build` (scripts/setup.sh runs it) makes one');
    ctx.skipped.push('UI: Apply click → all ✓, page load → canvas, 200-node pan: skipped: no Next build (.next is missing; run `npm run build`)');
    return;
  }
  if (!fs.existsSync(CHROMIUM)) {
    log(`UI figures: skipped: ${CHROMIUM} not found`);
    ctx.skipped.push(`UI: Apply click → all ✓, page load → canvas, 200-node pan: skipped: ${CHROMIUM} not found`);
    return;
  }
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'nsplay-bench-ui-'));
  const starFile = path.join(tmp, `star-${APPLY_N}.yaml`);
  fs.writeFileSync(starFile, toYaml(starTopology(APPLY_N)));
  const canvasFile = path.join(tmp, `canvas-${CANVAS_NODES}.yaml`);
  fs.writeFileSync(canvasFile, toYaml(canvasTopology()));

  log(`UI figures: server on a free port (state dir ${STATE_DIR}), ${CHROMIUM} headless via Playwright`);
  const server = await startServer();
  log(`  server pid ${server.pid} at ${server.url}`);
  let browser: Browser | null = null;
  let bpids: number[] = [];
  const cliSessions = new Set<string>();
  try {
    const mine = new Set(childrenOf(process.pid));
    browser = await chromium.launch({
      executablePath: CHROMIUM,
      headless: true,
      args: ['--no-sandbox', '--disable-gpu', '--disable-dev-shm-usage', '--disable-background-networking',
        '--disable-component-update', '--disable-sync', '--no-first-run', '--disable-quic'],
    });
    bpids = childrenOf(process.pid).filter((p) => !mine.has(p) && /chrom/.test(comm(p)));
    const newContext = async () => {
      const c = await browser!.newContext({ baseURL: server.url, viewport: { width: 1440, height: 900 } });
      // tsx (esbuild keepNames) wraps named functions in __name(); functions sent to page.evaluate need it in the page too.
      await c.addInitScript('globalThis.__name = (f) => f;');
      return c;
    };
    const part = async (name: string, fn: () => Promise<void>) => {
      try {
        await fn();
      } catch (e) {
        ctx.failures.push(`ui ${name}: ${(e as Error).message.split('\n')[0]}`);
        log(`  FAILED (${name}): ${(e as Error).stack ?? (e as Error).message}`);
      }
    };
    await part('apply', () => figureApply(ctx, newContext, server.url, starFile, cliSessions));
    await part('load', () => figureLoad(ctx, newContext, server.url));
    await part('pan', () => figurePan(ctx, newContext, server.url, canvasFile));
  } finally {
    await browser?.close().catch(() => {});
    for (const bpid of bpids) {
      for (let i = 0; i < 30 && alive(bpid); i++) await sleep(100);
      if (alive(bpid)) { log(`  (chromium ${bpid} still running after close: SIGKILL)`); try { process.kill(bpid, 'SIGKILL'); } catch { /* gone */ } }
    }
    for (const id of cliSessions) {
      const r = await runCli(['session', 'destroy', id]);
      if (r.code !== 0) log(`  (could not destroy CLI session ${id}: ${r.stderr.trim()})`);
    }
    await stopServer(server, log);
    const left = fs.existsSync(path.join(STATE_DIR, 'sessions')) ? fs.readdirSync(path.join(STATE_DIR, 'sessions')) : [];
    if (left.length) {
      ctx.failures.push(`ui: sessions left in ${STATE_DIR} after the server stopped: ${left.join(', ')}`);
      log(`  sessions left in ${STATE_DIR}: ${left.join(', ')} (destroying with the CLI)`);
      for (const id of left) await runCli(['session', 'destroy', id]);
    } else log(`  server stopped (pid ${server.pid}, SIGTERM); no sessions left in ${STATE_DIR}`);
    fs.rmSync(tmp, { recursive: true, force: true });
  }
}

type NewContext = () => Promise<BrowserContext>;

async function figureApply(ctx: UiContext, newContext: NewContext, base: string, file: string, cliSessions: Set<string>): Promise<void> {
  const reps = ctx.repsFor(APPLY_N);
  const { log } = ctx;
  log(`Apply click → every step ✓, star N=${APPLY_N} opened from a file in the page, vs \`nsplay apply ID FILE\` (${reps} run${reps > 1 ? 's' : ''} each, fresh sessions)`);
  const context = await newContext();
  const page = await context.newPage();
  const mine: number[] = [];
  const base_: number[] = [];
  const splits: string[] = [];
  let uiSteps = 0;
  let cliSteps = 0;
  try {
    await openBlank(page, base);
    await openFile(page, file);
    await node(page, nsName(APPLY_N)).waitFor({ timeout: 30_000 });
    for (let r = 0; r < reps; r++) {
      const order = r % 2 === 0 ? ['ui', 'cli'] : ['cli', 'ui'];
      for (const who of order) {
        if (who === 'ui') {
          if (r > 0) {
            // A fresh sandbox for the same drawing: the page's Destroy (keeps the drawing).
            const before = await page.getByTestId('playground').getAttribute('data-session');
            await page.getByTestId('apply-panel').waitFor({ state: 'detached', timeout: 1000 }).catch(() => {});
            await page.getByTestId('destroy-button').click();
            await page.waitForFunction((s) => {
              const p = document.querySelector('[data-testid="playground"]');
              return !!p && !!p.getAttribute('data-session') && p.getAttribute('data-session') !== s;
            }, before, { timeout: 60_000 });
            await waitApplyEnabled(page);
          }
          const x = await uiApply(page);
          uiSteps = x.steps;
          mine.push(x.total);
          splits.push(`click → preview shown ${ms(x.preview)}, confirm → all ✓ ${ms(x.run)}`);
          log(`  page     ${ms(x.total).padStart(9)}   ${x.steps} steps ✓ · click → preview shown ${ms(x.preview)} · confirm click → all ✓ ${ms(x.run)}`);
          await page.getByTestId('apply-close').click();
        } else {
          const created = await cliOk(['session', 'create', '--json']);
          const id = (JSON.parse(created.stdout) as { id: string }).id;
          cliSessions.add(id);
          try {
            const a = await cliOk(['apply', id, file]);
            const m = /applied: (\d+) command\(s\) ran/.exec(a.stdout);
            if (!m) throw new Error(`nsplay apply printed no summary: ${a.stdout.slice(-300)}`);
            cliSteps = Number(m[1]);
            base_.push(a.ms);
            log(`  CLI      ${ms(a.ms).padStart(9)}   ${cliSteps} commands ran (process start to exit; session create ${ms(created.ms)} not counted)`);
          } finally {
            await cliOk(['session', 'destroy', id]);
            cliSessions.delete(id);
          }
        }
      }
    }
  } finally {
    await page.getByTestId('back-button').click({ timeout: 5000 }).catch(() => {});
    await page.getByTestId('start-screen').waitFor({ timeout: 10_000 }).catch(() => {});
    await context.close();
  }
  if (uiSteps !== cliSteps) ctx.failures.push(`ui apply: the page ran ${uiSteps} steps, the CLI ${cliSteps}`);
  ctx.figures.push({
    name: `UI: Apply click → all steps ✓, star N=${APPLY_N}`, unit: 'ms', value: summarize(mine), baseline: summarize(base_),
    baselineWhat: `\`nsplay apply ID FILE\` of the same YAML in a fresh CLI session (process start to exit, node + tsx start-up included)`,
    goal: '–',
    note: `${uiSteps} steps; the page's time includes its preview (Apply → "N commands will run") and the bench's confirm click as soon as it shows; median run: ${splits[mine.indexOf([...mine].sort((a, b) => a - b)[Math.floor(mine.length / 2)])]}`,
  });
}

async function figureLoad(ctx: UiContext, newContext: NewContext, base: string): Promise<void> {
  const reps = ctx.repsFor();
  const { log } = ctx;
  log(`page load → interactive canvas: fresh browser context, ${base}/ → Blank canvas → React Flow rendered and a palette item clickable (${reps} runs each)`);
  const mine: number[] = [];
  const base_: number[] = [];
  const splits: string[] = [];
  for (let r = 0; r < reps; r++) {
    const order = r % 2 === 0 ? ['page', 'static'] : ['static', 'page'];
    for (const who of order) {
      const context = await newContext();
      const page = await context.newPage();
      try {
        if (who === 'static') {
          const t0 = performance.now();
          const res = await page.goto(`${base}/icon.svg`, { waitUntil: 'load' });
          const t1 = performance.now();
          if (!res?.ok()) throw new Error(`GET /icon.svg: ${res?.status()}`);
          base_.push(t1 - t0);
          log(`  static   ${ms(t1 - t0).padStart(9)}   (/icon.svg, ${(await res.body()).length} bytes)`);
        } else {
          const t0 = performance.now();
          await page.goto(`${base}/`, { waitUntil: 'commit' });
          const blank = page.getByTestId('blank-canvas');
          await blank.click({ trial: true, timeout: 60_000 }); // visible, enabled, stable: the start screen is interactive
          const t1 = performance.now();
          const nav = await page.evaluate(() => {
            const e = performance.getEntriesByType('navigation')[0] as PerformanceNavigationTiming | undefined;
            return e ? { html: e.responseEnd, dcl: e.domContentLoadedEventEnd, load: e.loadEventEnd } : null;
          });
          await blank.click();
          await page.locator('.react-flow__renderer').waitFor({ timeout: 60_000 });
          await node(page, 'host').waitFor({ timeout: 60_000 });
          await page.getByTestId('palette-netns').click({ trial: true, timeout: 60_000 });
          const t2 = performance.now();
          mine.push(t2 - t0);
          splits.push(`start screen interactive ${ms(t1 - t0)}, Blank canvas click → canvas ${ms(t2 - t1)}`);
          const navs = nav ? ` (in the page: HTML ${ms(nav.html)}, DOMContentLoaded ${ms(nav.dcl)}, load ${ms(nav.load)})` : '';
          log(`  page     ${ms(t2 - t0).padStart(9)}   start screen interactive ${ms(t1 - t0)}${navs} · Blank canvas click → canvas with palette ${ms(t2 - t1)} (session create included)`);
          await page.getByTestId('back-button').click();
          await page.getByTestId('start-screen').waitFor({ timeout: 30_000 });
        }
      } finally {
        await context.close();
      }
    }
  }
  const mid = mine.indexOf([...mine].sort((a, b) => a - b)[Math.floor(mine.length / 2)]);
  ctx.figures.push({
    name: 'UI: page load → interactive canvas (blank)', unit: 'ms', value: summarize(mine), baseline: summarize(base_),
    baselineWhat: 'a fresh browser context loading /icon.svg (a static file from the same server) until `load`',
    goal: '–',
    note: `fresh context (cold cache) each run; median run: ${splits[mid]}; the click → canvas part includes the server creating the session's sandbox`,
  });
}

async function figurePan(ctx: UiContext, newContext: NewContext, base: string, file: string): Promise<void> {
  const reps = ctx.repsFor(CANVAS_NODES);
  const { log } = ctx;
  log(`frame time while panning (${PAN_MS / 1000} s mouse drag, requestAnimationFrame intervals): ${CANVAS_NODES}-node drawing vs blank canvas (${reps} pans each)`);
  const context = await newContext();
  const page = await context.newPage();
  const med = { mine: [] as number[], base: [] as number[] };
  const p95 = { mine: [] as number[], base: [] as number[] };
  const notes: string[] = [];
  try {
    await openBlank(page, base);
    await sleep(1000); // the fit animation
    const pan = async (label: string, into: 'mine' | 'base') => {
      const x = await panFrames(page);
      if (x.moved < x.frames / 2) throw new Error(`${label}: the view moved in only ${x.moved} of ${x.frames} frames — the drag did not pan`);
      const m = median(x.intervals);
      const p = percentile(x.intervals, 95);
      med[into].push(m);
      p95[into].push(p);
      const line = `${x.frames} frames (${x.moved} moved the view), ${x.moves} moves dispatched, max ${ms(Math.max(...x.intervals))}`;
      notes.push(`${label}: ${line}`);
      log(`  ${label.padEnd(8)} median ${ms(m).padStart(8)} · p95 ${ms(p).padStart(8)} · ${line}`);
    };
    for (let r = 0; r < reps; r++) await pan('blank', 'base');
    await openFile(page, file);
    await node(page, nsName(CANVAS_NODES - 1)).waitFor({ state: 'attached', timeout: 60_000 });
    await sleep(1500); // fitSoon: two fits, 120 and 600 ms after the load, 150 ms animations
    const count = await page.locator('.react-flow__node').count();
    const edges = await page.locator('.react-flow__edge').count();
    log(`  canvas: ${count} nodes, ${edges} edges rendered (${CANVAS_NODES} drawn + the sandbox's)`);
    if (count < CANVAS_NODES) throw new Error(`only ${count} nodes on the canvas`);
    fs.mkdirSync(path.dirname(SCREENSHOT), { recursive: true });
    await page.screenshot({ path: SCREENSHOT });
    log(`  screenshot ${path.relative(ROOT, SCREENSHOT)}`);
    for (let r = 0; r < reps; r++) await pan(`${CANVAS_NODES} nodes`, 'mine');
    notes.push(`${count} nodes and ${edges} edges on the canvas (star of ${CANVAS_NODES - 1} namespaces on br0, grid layout, all in view)`);
  } finally {
    await page.getByTestId('back-button').click({ timeout: 5000 }).catch(() => {});
    await page.getByTestId('start-screen').waitFor({ timeout: 10_000 }).catch(() => {});
    await context.close();
  }
  const what = `panning the blank canvas (the sandbox's 3 nodes) the same way in the same page`;
  ctx.figures.push({
    name: `UI: pan ${CANVAS_NODES}-node canvas, frame time median`, unit: 'ms', value: summarize(med.mine), baseline: summarize(med.base),
    baselineWhat: what, goal: '–',
    note: `per pan: median of the requestAnimationFrame intervals during a ${PAN_MS / 1000} s mouse drag (headless Chromium, software rendering); ${notes[notes.length - 1]}`,
  });
  ctx.figures.push({
    name: `UI: pan ${CANVAS_NODES}-node canvas, frame time p95`, unit: 'ms', value: summarize(p95.mine), baseline: summarize(p95.base),
    baselineWhat: what, goal: '–',
    note: `per pan: 95th percentile of the frame intervals; ${notes.slice(0, -1).join('; ')}`,
  });
}
