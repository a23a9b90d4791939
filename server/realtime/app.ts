// createApplication: one http.Server serving the Next.js page and socket.io. Every handler parses
// its payload with the contract's schema first; a malformed event gets an error ack and changes nothing.
import fs from 'node:fs';
import path from 'node:path';
import type { IncomingMessage, Server as HttpServer, ServerResponse } from 'node:http';
import { Server, type Socket } from 'socket.io';
import { createCaptureRegistry, type Capture, type CaptureRegistry } from '../capture/index.ts';
import { stateDir } from '../sandbox/paths.ts';
import type { Engine } from '../session/types.ts';
import { validateTopology } from '../topology/load.ts';
import type { Topology } from '../topology/schema.ts';
import {
  CLIENT_EVENTS, invalidPayload, ROLE_EVENTS, schemas, type Ack, type CaptureInfo, type DemoStatus, type Role, type RosterEntry, type ClientToServerEvents, type ServerToClientEvents,
} from './contract.ts';
import type { LabService, ProbeService } from './engine-proxy.ts';
import { loadLabFile } from './files.ts';
import { checkTopologySize, createRateWindow, DEFAULT_LIMITS, limitCaptures, limitError, type Limits } from './limits.ts';
import { foreignRequest } from './origin.ts';
import { createSessionHub, type Binding } from './sessions.ts';
import { createTerminals, type TerminalOptions, type TerminalSet } from './terminals.ts';

export interface NextLike {
  handle(req: IncomingMessage, res: ServerResponse): unknown;
}

export interface AppDeps {
  engine: Engine;
  /** Serves everything that is not socket.io; absent in tests (404). */
  next?: NextLike;
  /** The project root; `file:load` paths must stay inside `<root>/labs`. */
  root: string;
  graceMs?: number;
  pollMs?: number;
  /** When set, sockets must present it (`auth.token`): required when listening beyond loopback. It is the attendees' token. */
  accessToken?: string;
  /** With accessToken: the instructor's token (may present and follow-lead), and optionally a viewer token (follow only). */
  instructorToken?: string;
  viewerToken?: string;
  terminals?: TerminalOptions;
  log?: (msg: string) => void;
  /** The lab runner (default: the engine proxy's, which runs it in the engine's process). */
  labs?: LabService;
  /** Probes and matrices (default: the engine proxy's, which runs them in the engine's process). */
  probes?: ProbeService;
  /** Live captures (default: a registry over `engine`, pcaps in <state dir>/pcap). */
  captures?: CaptureRegistry;
  /** The sandbox a lab's session runs in and the drawing it starts from (none in tests). */
  sandboxOf?: (lab?: string) => { sandbox: Topology; start: Topology };
  /** Per-session limits (default: DEFAULT_LIMITS; server/index.ts reads them from NSPLAY_* variables). */
  limits?: Partial<Limits>;
}

export interface Application {
  io: Server<ClientToServerEvents, ServerToClientEvents>;
  close(): Promise<void>;
  /** For tests and metrics: pids of every live pty. */
  ptyPids(): number[];
  sessions(): Binding[];
}

type AppSocket = Socket<ClientToServerEvents, ServerToClientEvents>;
const room = (id: string) => `session:${id}`;
/** Probes (and matrices) running at once in one session. */
const MAX_PROBES = 3;
/** A page with more than this waiting to be sent to it gets no capture batches until it catches up. */
export const CAPTURE_BACKLOG_LIMIT = 1024 * 1024;
/**
 * ...or whose last heartbeat ping has waited longer than this for its pong. Most of a slow page's
 * backlog sits in the kernel's send buffer (up to tcp_wmem's 4 MiB), invisible to Node; the ping
 * queues behind it, so its age is how far behind the page is. Without this, captures filled that
 * buffer until the heartbeat timed out (20 s) and the page was disconnected, terminals and all.
 */
export const CAPTURE_BEHIND_MS = 1000;

/** Bytes socket.io still holds for a page: engine.io's write buffer and the websocket's buffered amount. */
export function backlogBytes(s: AppSocket): number {
  const conn = s.conn as unknown as { writeBuffer?: { data?: unknown }[]; transport?: { socket?: { bufferedAmount?: unknown } } };
  let n = 0;
  for (const p of conn.writeBuffer ?? []) {
    if (typeof p.data === 'string') n += p.data.length;
    else if (p.data instanceof Uint8Array || p.data instanceof ArrayBuffer) n += p.data.byteLength;
  }
  const ws = conn.transport?.socket?.bufferedAmount;
  return n + (typeof ws === 'number' ? ws : 0);
}

/** Where a capture's pcap is downloaded: the session token proves the page owns it. */
export const pcapUrl = (captureId: string, token: string) => `/pcap/${captureId}.pcap?session=${token}`;
const PCAP_ROUTE = /^\/pcap\/([a-f0-9]{8})\.pcap\?session=([a-f0-9]{32})$/;

export function createApplication(httpServer: HttpServer, deps: AppDeps): Application {
  const log = deps.log ?? ((m: string) => console.log(`[nsplay] ${m}`));
  const limits: Limits = { ...DEFAULT_LIMITS, ...deps.limits };
  const probeBudget = createRateWindow(limits.probesPerMinute);
  const captures = limitCaptures(
    deps.captures ?? createCaptureRegistry({ engine: deps.engine, pcapDir: path.join(stateDir(), 'pcap'), maxPerSession: limits.maxCaptures }),
    limits.maxCaptures,
  );
  const probes = deps.probes ?? (deps.engine as Engine & { probe?: ProbeService }).probe;
  // The page handler must be registered before socket.io wraps the server's request listeners.
  httpServer.on('request', (req, res) => {
    if (req.url?.startsWith('/socket.io/')) return;
    if (req.url?.startsWith('/pcap/')) { servePcap(req, res); return; }
    if (deps.next) void deps.next.handle(req, res);
    else { res.statusCode = 404; res.end('not found\n'); }
  });
  const io = new Server<ClientToServerEvents, ServerToClientEvents>(httpServer, {
    destroyUpgrade: false, // Next's dev server owns its own upgrade path
    maxHttpBufferSize: 5 * 1024 * 1024,
    pingInterval: 10_000,
    pingTimeout: 10_000,
  });
  const terminals = new Map<string, TerminalSet>();
  const labService = deps.labs ?? (deps.engine as Engine & { lab?: LabService }).lab;
  const hub = createSessionHub(deps.engine, {
    graceMs: deps.graceMs ?? 15_000,
    pollMs: deps.pollMs ?? 1000,
    owner: `server:${process.pid}`,
    push: (b, state) => { io.to(room(b.id)).emit('topology:state', state); },
    closed: (b, reason) => {
      io.to(room(b.id)).emit('session:closed', { id: b.id, reason });
      void captures.removeSession(b.id).catch((e: Error) => log(`captures of ${b.id}: ${e.message}`));
      probeBudget.forget(b.id);
      for (const sid of b.sockets) {
        io.sockets.sockets.get(sid)?.leave(room(b.id));
        terminals.get(sid)?.closeAll();
      }
    },
    log,
  });

  const roleOf = new WeakMap<object, Role>();
  // Cross-site websocket hijacking: a page from another site (or a DNS-rebound name) must never drive
  // a sandbox, token or not — a browser connects to 127.0.0.1 from any page it shows.
  io.use((socket, next) => {
    const refusal = foreignRequest(socket.handshake.headers.origin, socket.handshake.headers.host, !deps.accessToken);
    if (refusal) {
      log(`refused a socket from ${socket.handshake.address}: ${refusal}`);
      return next(new Error(refusal));
    }
    next();
  });
  if (deps.accessToken) {
    const tokens = new Map<string, Role>([[deps.accessToken, 'attendee']]);
    if (deps.instructorToken) tokens.set(deps.instructorToken, 'instructor');
    if (deps.viewerToken) tokens.set(deps.viewerToken, 'viewer');
    io.use((socket, next) => {
      const given = (socket.handshake.auth as { token?: unknown })?.token;
      const role = typeof given === 'string' ? tokens.get(given) : undefined;
      if (!role) return next(new Error('this nsplay needs the access token printed at start (open the URL with ?token=…)'));
      roleOf.set(socket, role);
      next();
    });
  }

  /** GET /pcap/<capture>.pcap?session=<token>: the capture's pcap, to the page of its session only. */
  function servePcap(req: IncomingMessage, res: ServerResponse) {
    const m = PCAP_ROUTE.exec(req.url ?? '');
    const b = m ? hub.bindings().find((x) => x.token === m[2] && !x.closed) : undefined;
    const c = m && b ? captures.get(m[1]) : undefined;
    const file = c && c.sessionId === b!.id ? captures.pcapPath(c.id) : undefined;
    if (req.method !== 'GET' || !c || !file || !fs.existsSync(file)) {
      res.statusCode = 404;
      res.setHeader('content-type', 'text/plain; charset=utf-8');
      res.end('no such capture in your session (it ends with the session)\n');
      return;
    }
    res.statusCode = 200;
    res.setHeader('content-type', 'application/vnd.tcpdump.pcap');
    res.setHeader('content-disposition', `attachment; filename="nsplay-${c.node}-${c.iface}-${c.id}.pcap"`);
    res.setHeader('cache-control', 'no-store');
    fs.createReadStream(file).on('error', () => res.destroy()).pipe(res);
  }

  const pingSentAt = new WeakMap<AppSocket, number>();
  const pingAge = (s: AppSocket) => { const t = pingSentAt.get(s); return t ? Date.now() - t : 0; };
  const captureInfo = (c: Capture, token: string): CaptureInfo => ({
    captureId: c.id, node: c.node, iface: c.iface, filter: c.filter, stats: c.stats(), pcapUrl: pcapUrl(c.id, token),
  });
  /** Terminals open in a session, over all its pages: refused past limits.maxTerminals. */
  const checkTerminalRoom = (b: Binding) => {
    const open = [...b.sockets].reduce((n, sid) => n + (terminals.get(sid)?.pids().length ?? 0), 0);
    if (open >= limits.maxTerminals) {
      throw limitError('maxTerminals', limits.maxTerminals, `${open} terminals are open in this session, the most it may have; close one first`);
    }
  };
  const probing = new Map<string, number>();
  let probeSeq = 0;

  // The demo: one presenting page's session that any page may follow, read-only. Followers join the
  // session's room (its kernel state, apply steps, probes, captures, lab progress) and FOLLOW (the
  // presenter's drawing and terminal output); nothing they send reaches the presenter's session,
  // because every handler acts on the sending socket's own binding.
  const FOLLOW = 'followers';
  let demo: { presenter: string; sessionId: string; lab?: string; doc?: Topology } | null = null;
  const demoStatus = (): DemoStatus => (demo ? { live: true, lab: demo.lab, sessionId: demo.sessionId } : { live: false });
  /** Without tokens (a loopback server, one learner) everyone is the instructor. */
  const role = (s: AppSocket): Role => roleOf.get(s) ?? 'instructor';
  const endDemo = () => {
    if (!demo) return;
    const id = demo.sessionId;
    demo = null;
    for (const sid of io.sockets.adapter.rooms.get(FOLLOW) ?? []) {
      const s = io.sockets.sockets.get(sid);
      if (s && hub.of(sid)?.id !== id) s.leave(room(id));
    }
    io.emit('demo:live', demoStatus());
  };

  /** Runs `fn` as the session's only kernel-changing job (apply, lab run or reset), then re-reads its state. */
  async function exclusively<T>(b: Binding, fn: () => Promise<T>): Promise<T> {
    if (b.applying) throw new Error('an apply or a lab run is already going on in this session: wait for it');
    b.applying = true;
    try { return await fn(); } finally {
      b.applying = false;
      b.settledAt = Date.now();
      void hub.refresh(b, true);
    }
  }

  /** Back to the lab's start: a new holder, so every shell entered into the old one is closed first. */
  function resetLab(b: Binding, labs: LabService) {
    return exclusively(b, async () => {
      for (const sid of b.sockets) terminals.get(sid)?.closeAll();
      const progress = await labs.reset(b.id);
      io.to(room(b.id)).emit('lab:progress', progress);
      return progress;
    });
  }

  io.on('connection', (socket: AppSocket) => {
    // When the heartbeat ping now in flight was sent (absent: none outstanding): see CAPTURE_BEHIND_MS.
    socket.conn.on('packetCreate', (p: { type: string }) => { if (p.type === 'ping') pingSentAt.set(socket, Date.now()); });
    socket.conn.on('packet', (p: { type: string }) => { if (p.type === 'pong') pingSentAt.delete(socket); });
    const terms = createTerminals({
      data: (id, data) => {
        socket.emit('term:data', { id, data });
        if (demo?.presenter === socket.id) io.to(FOLLOW).emit('follow:term', { id, data });
      },
      exit: (id, code, signal) => socket.emit('term:exit', { id, code, signal }),
      dropped: (id, bytes) => socket.emit('term:dropped', { id, bytes }),
    }, { log, maxTerminals: limits.maxTerminals, ...deps.terminals });
    terminals.set(socket.id, terms);
    const bound = (): Binding => {
      const b = hub.of(socket.id);
      if (!b) throw new Error('no session yet: open a lab or a blank canvas first');
      return b;
    };

    // Registers a handler that parses its payload first and always answers through the ack.
    function on<E extends keyof typeof schemas, T>(event: E, run: (p: ReturnType<(typeof schemas)[E]['parse']>) => Promise<T> | T) {
      (socket as unknown as { on(e: string, f: (...a: unknown[]) => void): void }).on(event, (payload: unknown, ack?: unknown) => {
        const reply = typeof ack === 'function' ? (ack as (a: Ack<T>) => void) : undefined;
        // Authorization on every event, not only at connect.
        const r = role(socket);
        if (r !== 'instructor' && !ROLE_EVENTS[r].includes(event)) {
          const error = `${event}: ${r === 'viewer' ? 'a viewer can only follow the instructor' : 'only the instructor can do this'}`;
          if (reply) reply({ ok: false, error });
          else socket.emit('server:error', { event, error });
          return;
        }
        const parsed = schemas[event].safeParse(payload ?? {});
        if (!parsed.success) {
          const err = invalidPayload(event, parsed.error);
          if (reply) reply(err);
          else socket.emit('server:error', { event, error: err.error });
          return;
        }
        Promise.resolve()
          .then(() => run(parsed.data as ReturnType<(typeof schemas)[E]['parse']>))
          .then((data) => reply?.({ ok: true, data }))
          .catch((e: Error & { fields?: unknown }) => {
            const fields = Array.isArray(e.fields) ? (e.fields as { path: string; message: string }[]) : undefined;
            if (reply) reply({ ok: false, error: e.message, ...(fields ? { fields } : {}) });
            else socket.emit('server:error', { event, error: e.message });
          });
      });
    }

    socket.onAny((event: string, _p: unknown, ack?: unknown) => {
      if (!(CLIENT_EVENTS as string[]).includes(event) && typeof ack === 'function') {
        (ack as (a: Ack<never>) => void)({ ok: false, error: `unknown event '${event}'` });
      }
    });

    on('labs:list', () => deps.engine.labs());

    on('session:open', async (p) => {
      const before = hub.of(socket.id);
      const opened = await hub.open(socket.id, p);
      if (before && before.id !== opened.state.info.id) {
        socket.leave(room(before.id));
        terms.closeAll();
      }
      if (socket.disconnected) { hub.detach(socket.id); throw new Error('disconnected while opening'); }
      socket.join(room(opened.state.info.id));
      socket.emit('topology:state', opened.state);
      const { lab, ...rest } = opened;
      const empty: Topology = { version: 1, nodes: [], links: [] };
      const world = deps.sandboxOf?.(lab) ?? { sandbox: empty, start: empty };
      return { ...rest, ...world };
    });

    on('session:destroy', async () => {
      terms.closeAll();
      await hub.destroy(socket.id);
      return null;
    });

    on('file:load', (p) => loadLabFile(deps.root, p.path));

    on('topology:preview', async (p) => {
      const topology = checkedTopology(p.topology);
      checkTopologySize(topology, limits);
      return deps.engine.preview(bound().id, topology);
    });

    on('topology:apply', async (p) => {
      const b = bound();
      const topology = checkedTopology(p.topology);
      checkTopologySize(topology, limits);
      return exclusively(b, () => deps.engine.apply(b.id, topology, (e) => io.to(room(b.id)).emit('plan:step', e)));
    });

    on('term:open', async (p) => {
      const b = bound();
      checkTerminalRoom(b);
      const argv = await deps.engine.enterArgv(b.id, p.node);
      if (socket.disconnected) throw new Error('disconnected');
      checkTerminalRoom(b); // again: another page of the session may have opened one meanwhile
      const t = terms.open(argv, p.cols, p.rows, p.node);
      return { id: t.id, node: t.node };
    });
    on('term:input', (p) => {
      // Enter may have run a command that changed the kernel: the canvas should show it soon.
      if (terms.input(p.id, p.data) && /[\r\n]/.test(p.data)) {
        const b = hub.of(socket.id);
        if (b) hub.nudge(b);
      }
      return null;
    });
    on('term:ack', (p) => { terms.ack(p.id, p.bytes); return null; });
    on('term:resize', (p) => {
      if (!terms.resize(p.id, p.cols, p.rows)) throw new Error(`no terminal ${p.id}`);
      return null;
    });
    on('term:close', (p) => {
      if (!terms.close(p.id)) throw new Error(`no terminal ${p.id}`);
      return null;
    });

    const labOf = (): { b: Binding; lab: string; labs: LabService } => {
      const b = bound();
      if (!b.lab) throw new Error('this session was not opened for a lab');
      if (!labService) throw new Error('labs are not available on this server');
      return { b, lab: b.lab, labs: labService };
    };
    on('lab:load', async () => {
      const { b, lab, labs } = labOf();
      const [view, progress] = await Promise.all([labs.load(lab), labs.progress(b.id)]);
      return { lab: view, progress };
    });
    on('lab:progress', async () => {
      const { b, labs } = labOf();
      return labs.progress(b.id);
    });
    on('lab:check', async (p) => {
      const { b, labs } = labOf();
      const result = await labs.check(b.id, { step: p.step });
      io.to(room(b.id)).emit('lab:progress', result.progress);
      void hub.refresh(b, true);
      return result;
    });
    on('lab:runto', async (p) => {
      const { b, labs } = labOf();
      return exclusively(b, async () => {
        const r = await labs.runTo(b.id, p.step);
        io.to(room(b.id)).emit('lab:progress', r.progress);
        if (!r.ok) throw new Error(`step ${(r.stoppedAt ?? p.step) + 1} did not pass its checks; open the lab panel to see why`);
        return r.progress;
      });
    });
    on('lab:reset', async () => {
      const { b, labs } = labOf();
      return resetLab(b, labs);
    });

    async function limitedProbe<T>(b: Binding, run: () => Promise<T>): Promise<T> {
      if (!probes) throw new Error('probes are not available on this server');
      const n = probing.get(b.id) ?? 0;
      if (n >= MAX_PROBES) throw new Error(`${MAX_PROBES} probes are already running in this session; wait for one to finish`);
      probing.set(b.id, n + 1);
      try { return await run(); } finally {
        const left = (probing.get(b.id) ?? 1) - 1;
        if (left > 0) probing.set(b.id, left); else probing.delete(b.id);
      }
    }
    on('probe:run', async (p) => {
      const b = bound();
      probeBudget.take(b.id, 1);
      const id = ++probeSeq;
      io.to(room(b.id)).emit('probe:result', { id, from: p.from, to: p.to, by: socket.id });
      try {
        const result = await limitedProbe(b, () => probes!.run(b.id, p.from, p.to));
        io.to(room(b.id)).emit('probe:result', { id, from: p.from, to: p.to, by: socket.id, result });
        return result;
      } catch (e) {
        io.to(room(b.id)).emit('probe:result', { id, from: p.from, to: p.to, by: socket.id, error: (e as Error).message });
        throw e;
      }
    });
    on('probe:matrix', async (p) => {
      const b = bound();
      // A matrix costs its node count: the asked nodes up front, or (every node) one up front and the rest when known.
      probeBudget.take(b.id, Math.max(1, p.nodes?.length ?? 1));
      const result = await limitedProbe(b, () => probes!.matrix(b.id, p.nodes, p.detail));
      if (!p.nodes) probeBudget.charge(b.id, result.nodes.length - 1);
      return result;
    });

    on('capture:start', async (p) => {
      const b = bound();
      const c = await captures.start(socket.id, b.id, p.node, p.iface, p.filter ?? '');
      const to = io.to(room(b.id));
      // Per page, not to the room: a page whose connection is behind gets no more batches until it
      // catches up (socket.io would buffer them without limit); the summaries it missed are counted
      // and sent with its next batch as `unsent`.
      const unsent = new Map<string, number>();
      c.on('packets', (batch) => {
        for (const sid of io.sockets.adapter.rooms.get(room(b.id)) ?? []) {
          const s = io.sockets.sockets.get(sid);
          if (!s) continue;
          const missed = unsent.get(sid) ?? 0;
          if (backlogBytes(s) > CAPTURE_BACKLOG_LIMIT || pingAge(s) > CAPTURE_BEHIND_MS) { unsent.set(sid, missed + batch.packets.length); continue; }
          s.emit('capture:packets', missed ? { ...batch, unsent: missed } : batch);
        }
      });
      c.on('end', (stats) => to.emit('capture:end', { captureId: c.id, stats }));
      if (socket.disconnected) await captures.stop(c.id);
      return captureInfo(c, b.token);
    });
    on('capture:stop', async (p) => {
      const b = bound();
      const c = captures.get(p.captureId);
      if (!c || c.sessionId !== b.id) throw new Error(`no capture ${p.captureId} in this session`);
      return c.stop();
    });
    on('capture:list', () => {
      const b = bound();
      return captures.list(b.id).map((c) => captureInfo(c, b.token));
    });

    on('demo:start', () => {
      const b = bound();
      if (demo && demo.presenter !== socket.id) throw new Error('another page is presenting; it must stop first');
      demo = { presenter: socket.id, sessionId: b.id, lab: b.lab };
      io.emit('demo:live', demoStatus());
      return demoStatus();
    });
    on('demo:stop', () => {
      if (demo?.presenter !== socket.id) throw new Error('this page is not presenting');
      endDemo();
      return demoStatus();
    });
    on('demo:doc', (p) => {
      if (demo?.presenter !== socket.id) throw new Error('this page is not presenting');
      const topology = checkedTopology(p.topology);
      demo.doc = topology;
      io.to(FOLLOW).emit('follow:doc', { topology });
      return null;
    });
    on('demo:status', () => ({ ...demoStatus(), role: role(socket) }));
    on('follow:start', async () => {
      if (!demo) throw new Error('nobody is presenting right now');
      const d = demo;
      const state = await deps.engine.status(d.sessionId);
      if (demo !== d) throw new Error('the demo ended');
      socket.join(FOLLOW);
      socket.join(room(d.sessionId));
      const empty: Topology = { version: 1, nodes: [], links: [] };
      const world = deps.sandboxOf?.(d.lab) ?? { sandbox: empty, start: empty };
      const progress = d.lab && labService ? await labService.progress(d.sessionId).catch(() => undefined) : undefined;
      return { sessionId: d.sessionId, lab: d.lab, doc: d.doc, sandbox: world.sandbox, state, ...(progress ? { progress } : {}) };
    });
    on('follow:stop', () => {
      socket.leave(FOLLOW);
      if (demo && hub.of(socket.id)?.id !== demo.sessionId) socket.leave(room(demo.sessionId));
      return null;
    });

    // The roster (instructor only: see ROLE_EVENTS): every connected session and where it is in its lab.
    on('roster:list', async () => {
      const live = hub.bindings().filter((b) => !b.closed && b.sockets.size > 0);
      return Promise.all(live.map(async (b): Promise<RosterEntry> => {
        const row: RosterEntry = { sessionId: b.id, lab: b.lab, pages: b.sockets.size, presenter: demo?.sessionId === b.id, openedAt: b.openedAt ?? 0 };
        if (!b.lab || !labService) return row;
        const p = await labService.progress(b.id).catch(() => undefined);
        if (!p) return row;
        // On its current step since the previous one passed (or since the session opened).
        const before = p.steps.slice(0, p.current).map((st) => st.checkedAt ?? 0);
        return { ...row, step: p.current + 1, steps: p.steps.length, passed: p.steps.filter((st) => st.passed).length, since: Math.max(b.openedAt ?? 0, ...before) };
      }));
    });
    on('roster:goto', (p) => {
      socket.broadcast.emit('lab:goto', { step: p.step });
      return null;
    });
    on('roster:reset', async (p) => {
      const b = hub.bindings().find((x) => x.id === p.sessionId && !x.closed);
      if (!b) throw new Error(`no session ${p.sessionId} is connected`);
      if (!b.lab) throw new Error(`session ${p.sessionId} is not a lab session`);
      if (!labService) throw new Error('labs are not available on this server');
      return resetLab(b, labService);
    });

    socket.on('disconnect', (reason) => {
      if (demo?.presenter === socket.id) endDemo();
      void captures.stopOwner(socket.id).catch((e: Error) => log(`captures of ${socket.id}: ${e.message}`));
      if (terms.pids().length) log(`socket ${socket.id} disconnected (${reason}): closing its terminals`);
      terms.closeAll();
      terminals.delete(socket.id);
      hub.detach(socket.id);
    });
  });

  return {
    io,
    ptyPids: () => [...terminals.values()].flatMap((t) => t.pids()),
    sessions: () => hub.bindings(),
    async close() {
      for (const t of terminals.values()) t.closeAll();
      await Promise.all(hub.bindings().map((b) => captures.removeSession(b.id).catch(() => undefined)));
      await new Promise<void>((resolve) => {
        io.close(() => resolve());
        setTimeout(resolve, 2000).unref();
      });
      await Promise.race([hub.closeAll(), new Promise((r) => setTimeout(r, 8000).unref())]);
      log('stopped');
    },
  };
}

function checkedTopology(doc: unknown) {
  const r = validateTopology(doc);
  if (!r.ok) {
    const e = new Error(`the topology is not valid: ${r.errors[0].path}: ${r.errors[0].message}`) as Error & { fields: unknown };
    e.fields = r.errors;
    throw e;
  }
  return r.value;
}
