// Composition root: one Node process serving the Next.js page and socket.io on one port.
//   node --import tsx server/index.ts [--port 3000] [--host 127.0.0.1]   (PORT / HOST work too)
// NSPLAY_DEV=1 runs Next in dev mode (hot reload). Per-session limits and the idle grace come from
// NSPLAY_MAX_NODES, NSPLAY_MAX_LINKS, NSPLAY_MAX_TERMINALS, NSPLAY_MAX_CAPTURES, NSPLAY_PROBES_PER_MINUTE
// and NSPLAY_IDLE_MINUTES (server/realtime/limits.ts). Ctrl-C / SIGTERM: kill every pty, close sockets,
// destroy this process's sessions, exit.
import { randomBytes } from 'node:crypto';
import { createServer } from 'node:http';
import { isIPv4 } from 'node:net';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import next from 'next';
import { createEngineProxy } from './realtime/engine-proxy.ts';
import { createApplication } from './realtime/app.ts';
import { parseOptions } from './realtime/options.ts';
import { describeLimits, readLimits } from './realtime/limits.ts';
import { DEFAULT_PROFILE, loadLab, loadProfile } from './labs/catalog.ts';
import type { Topology } from './topology/schema.ts';
import { neighStartNote, readNeighTable } from './probe/neigh-table.ts';

// Only literal loopback addresses: a DNS name that merely starts with "127." gets a token like any other host.
const isLoopback = (host: string) => host === 'localhost' || host === '::1' || (isIPv4(host) && host.startsWith('127.'));

const EMPTY: Topology = { version: 1, nodes: [], links: [] };

/** The lab's machine and its starting drawing, as the engine builds them (for the canvas). */
function sandboxOf(lab?: string): { sandbox: Topology; start: Topology } {
  const l = lab ? loadLab(lab) : null;
  return { sandbox: loadProfile(l?.sandbox ?? DEFAULT_PROFILE), start: l?.start ?? EMPTY };
}

async function main() {
  const opts = parseOptions(process.argv.slice(2), process.env);
  const limits = readLimits(process.env); // before anything is built: a bad value stops the start
  const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
  const dev = process.env.NSPLAY_DEV === '1';
  process.env.NEXT_TELEMETRY_DISABLED ??= '1';

  // The engine runs in a process of its own: its many short-lived children must not stall the sockets.
  const engine = createEngineProxy({ log: (m) => console.error(`[nsplay] ${m}`) });
  const reclaimed = await engine.reclaim().catch((e: Error) => { console.error(`[nsplay] reclaim failed: ${e.message}`); return []; });
  if (reclaimed.length) console.log(`[nsplay] reclaimed what crashed runs left: ${reclaimed.join(', ')}`);

  const httpServer = createServer();
  const nextApp = next({ dev, dir: root, hostname: opts.host, port: opts.port, httpServer });
  await nextApp.prepare();
  const handle = nextApp.getRequestHandler();
  // Beyond loopback sockets always need a token (generated unless NSPLAY_TOKEN gives one); on loopback
  // only when NSPLAY_TOKEN is set (a shared machine whose other users must not drive it; the e2e refusals).
  const accessToken = process.env.NSPLAY_TOKEN || (isLoopback(opts.host) ? undefined : randomBytes(16).toString('hex'));
  // With a token a workshop has two URLs: the instructor's (may present) and the attendees'.
  const instructorToken = accessToken ? (process.env.NSPLAY_INSTRUCTOR_TOKEN || randomBytes(16).toString('hex')) : undefined;
  const viewerToken = accessToken ? process.env.NSPLAY_VIEWER_TOKEN || undefined : undefined;
  for (const [name, t] of [['NSPLAY_INSTRUCTOR_TOKEN', instructorToken], ['NSPLAY_VIEWER_TOKEN', viewerToken]] as const) {
    if (t !== undefined && !/^[A-Za-z0-9_-]{16,128}$/.test(t)) throw new Error(`${name} must be 16 to 128 letters, digits, _ or -`);
  }
  const app = createApplication(httpServer, { engine, root, accessToken, instructorToken, viewerToken, sandboxOf, limits, graceMs: limits.idleMs, next: { handle: (req, res) => handle(req, res) } });

  await new Promise<void>((ok, fail) => {
    httpServer.once('error', fail);
    httpServer.listen(opts.port, opts.host, () => ok());
  });
  const addr = httpServer.address();
  const port = typeof addr === 'object' && addr ? addr.port : opts.port;
  const shown = opts.host.includes(':') ? `[${opts.host}]` : opts.host;
  const url = `http://${shown}:${port}/${accessToken ? `?token=${accessToken}` : ''}`;
  console.log(`nsplay listening on ${url}${dev ? ' (dev)' : ''}`);
  if (instructorToken) {
    const base = `http://${shown}:${port}/`;
    console.log(`  attendees:  ${base}?token=${accessToken}`);
    console.log(`  instructor: ${base}?token=${instructorToken}   (may present; keep it to yourself)`);
    if (viewerToken) console.log(`  viewers:    ${base}?token=${viewerToken}   (follow only)`);
  }
  console.log(`[nsplay] ${describeLimits(limits)}`);
  const neigh = neighStartNote(readNeighTable());
  if (neigh) console.log(`[nsplay] note: ${neigh}`);

  // A stalled event loop stalls every page's socket (ping timeouts): say so when it happens.
  let tick = Date.now();
  setInterval(() => {
    const late = Date.now() - tick - 1000;
    if (late > 1500) console.warn(`[nsplay] event loop was blocked for ${late} ms`);
    tick = Date.now();
  }, 1000).unref();

  let stopping = false;
  const stop = async (signal: string) => {
    if (stopping) { console.log('[nsplay] second signal: exiting now'); process.exit(1); }
    stopping = true;
    console.log(`[nsplay] ${signal}: closing terminals, sockets and sessions…`);
    try { await app.close(); } catch (e) { console.error(`[nsplay] shutdown: ${(e as Error).message}`); }
    await engine.close();
    await nextApp.close?.().catch(() => {});
    // Let the killed ptys' SIGKILL follow-up run.
    setTimeout(() => process.exit(0), 300);
  };
  process.on('SIGINT', () => void stop('SIGINT'));
  process.on('SIGTERM', () => void stop('SIGTERM'));
}

main().catch((e: Error) => {
  console.error(`nsplay: ${e.message}`);
  process.exit(1);
});
