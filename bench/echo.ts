// The terminal figure of issue 8 for `npm run bench`: a keystroke typed into a node's shell over
// socket.io → its echo back at the client (the page's terminal path: term:input → pty → term:data),
// next to the same shell on a bare node-pty in this process (what a local terminal gets). Lab 03's
// final drawing, a shell in netns1; the text typed is `: M<n>x` + Enter (a no-op command), timed to
// the first time the mark comes back. The session is destroyed before the figure returns.
import fs from 'node:fs';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import * as pty from 'node-pty';
import { io as connect } from 'socket.io-client';
import { createApplication, type Application } from '../server/realtime/app.ts';
import type { Engine } from '../server/session/types.ts';
import { loadTopology } from '../server/topology/load.ts';
import type { Figure } from './figure.ts';
import { fmtNumber, percentile, summarize } from './stats.ts';
import { must, request, type Client } from './wire.ts';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const LAB = '03-bridge';
const NODE = 'netns1';

export interface EchoContext {
  engine: Engine;
  quick: boolean;
  reps: number | null;
  log: (line?: string) => void;
  figures: { push(...f: Figure[]): number };
  failures: string[];
}

const ms = (x: number) => `${fmtNumber(x)} ms`;
const sleep = (t: number) => new Promise((r) => setTimeout(r, t));

/** A terminal's recent output, and whoever waits for something in it (woken by each chunk, no polling). */
class Screen {
  text = '';
  private readonly waiters = new Set<() => void>();
  add(chunk: string): void {
    this.text = (this.text + chunk).slice(-4096);
    for (const w of [...this.waiters]) w();
  }
  /** Resolves with performance.now() when the text includes `what`; rejects after `ms`. */
  until(what: string, ms: number): Promise<number> {
    if (this.text.includes(what)) return Promise.resolve(performance.now());
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => { this.waiters.delete(check); reject(new Error(`'${what}' did not come back within ${ms} ms`)); }, ms);
      const check = () => { if (this.text.includes(what)) { this.waiters.delete(check); clearTimeout(timer); resolve(performance.now()); } };
      this.waiters.add(check);
    });
  }
}

/** Types `: M<n>x⏎` with `send` and resolves with the ms until the mark comes back on `screen`. */
async function echoOnce(n: number, send: (s: string) => void, screen: Screen): Promise<number> {
  const mark = `M${n}x`;
  const t0 = performance.now();
  const back = screen.until(mark, 10_000);
  send(`: ${mark}\r`);
  return (await back) - t0;
}

export async function figureEcho(ctx: EchoContext): Promise<void> {
  const { log } = ctx;
  const samples = ctx.reps ? ctx.reps * 20 : ctx.quick ? 30 : 100;
  const loaded = loadTopology(fs.readFileSync(path.join(ROOT, 'labs', LAB, 'final.yaml'), 'utf8'));
  if (!loaded.ok) throw new Error(`lab ${LAB}'s final.yaml does not load`);
  log(`terminal echo: a keystroke over socket.io (term:input → pty → term:data) vs a bare node-pty of the same shell, ${NODE} of lab ${LAB} (${samples} each, alternating)`);
  const http = createServer();
  const app: Application = createApplication(http, { engine: ctx.engine, root: ROOT, log: () => {} });
  let client: Client | null = null;
  let id = '';
  let bare: pty.IPty | null = null;
  const mine: number[] = [];
  const base: number[] = [];
  try {
    await new Promise<void>((r) => http.listen(0, '127.0.0.1', () => r()));
    const c: Client = connect(`http://127.0.0.1:${(http.address() as AddressInfo).port}`, { transports: ['websocket'], forceNew: true, reconnection: false });
    client = c;
    await new Promise<void>((ok, fail) => { c.once('connect', () => ok()); c.once('connect_error', fail); });
    id = (await must<{ state: { info: { id: string } } }>(c, 'session:open', { lab: LAB }, 120_000)).state.info.id;
    const applied = await must<{ ok: boolean }>(c, 'topology:apply', { topology: loaded.value }, 180_000);
    if (!applied.ok) throw new Error(`topology:apply of ${LAB} failed`);
    const term = await must<{ id: number }>(c, 'term:open', { node: NODE, cols: 80, rows: 24 }, 30_000);
    const out = new Screen();
    c.on('term:data', (p) => {
      if (p.id !== term.id) return;
      out.add(p.data);
      c.emit('term:ack', { id: p.id, bytes: Buffer.byteLength(p.data) });
    });
    const argv = await ctx.engine.enterArgv(id, NODE);
    bare = pty.spawn(argv[0], argv.slice(1), { name: 'xterm-256color', cols: 80, rows: 24, cwd: '/', env: process.env as Record<string, string> });
    const bareOut = new Screen();
    bare.onData((d) => bareOut.add(d));
    // Both prompts first (the shells are up), then the samples, alternating.
    await Promise.all([out.until('#', 15_000), bareOut.until('#', 15_000)]);
    const b = bare;
    for (let i = 0; i < samples; i++) {
      const order = i % 2 === 0 ? ['mine', 'base'] : ['base', 'mine'];
      for (const who of order) {
        if (who === 'mine') mine.push(await echoOnce(2 * i, (s) => c.emit('term:input', { id: term.id, data: s }), out));
        else base.push(await echoOnce(2 * i + 1, (s) => b.write(s), bareOut));
        await sleep(20);
      }
    }
  } finally {
    if (bare) { try { process.kill(bare.pid, 'SIGKILL'); } catch { /* gone */ } }
    if (client?.connected && id) await request(client, 'session:destroy', {}, 60_000).catch(() => undefined);
    client?.disconnect();
    await app.close().catch(() => undefined);
    await new Promise<void>((r) => http.close(() => r()));
  }
  const dist = (xs: number[]) => `p50 ${ms(percentile(xs, 50))} p95 ${ms(percentile(xs, 95))} max ${ms(Math.max(...xs))}`;
  log(`  socket.io ${dist(mine)} · bare pty ${dist(base)} (n=${mine.length} each)`);
  ctx.figures.push({
    name: 'terminal keystroke echo over socket.io (p95)', unit: 'ms',
    value: summarize([percentile(mine, 95)]), baseline: summarize([percentile(base, 95)]),
    baselineWhat: `the same shell (${NODE}, entered the same way) on a bare node-pty in the bench process: what a local terminal gets`,
    goal: '≤ 20 ms',
    note: `${mine.length} keystrokes each, alternating: socket.io ${dist(mine)}; bare pty ${dist(base)}; client and server share the bench's event loop`,
  });
}
