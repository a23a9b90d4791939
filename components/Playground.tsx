'use client';
// The page: start screen, then the playground (toolbar, palette, canvas, inspector, terminals,
// commands). It owns the Topology document and its undo stack; the server owns the session.
import { useCallback, useEffect, useMemo, useRef, useState } from 'react';
import dynamic from 'next/dynamic';
import { ReactFlowProvider, useReactFlow } from '@xyflow/react';
import { stringify as toYaml } from 'yaml';
import { addNode, emptyTopology, proposeName, removeMany, setLayout } from '@/lib/commands';
import { checkDocument } from '@/lib/errors';
import { NODE_SIZE } from '@/lib/flow';
import { canRedo, canUndo, record, redo, startHistory, undo, type History } from '@/lib/history';
import { autoLayout } from '@/lib/layout';
import { deriveLive } from '@/lib/live';
import { canvasMap } from '@/lib/packet-route';
import { downloadText } from '@/lib/download';
import { connectSocket, request, type PageSocket } from '@/lib/socket';
import { coerceDocument, readStored, writeStored } from '@/lib/stored';
import { drawingLink, viewOf } from '@/lib/view';
import type { LabSummary, SessionStatus } from '@/server/session/types';
import type { NodeKind, Topology } from '@/server/topology/schema';
import ApplyPanel, { type ApplyState } from './ApplyPanel';
import Canvas, { type Selection } from './canvas/Canvas';
import CommandsPanel from './CommandsPanel';
import Inspector from './inspector/Inspector';
import Palette from './Palette';
import StartScreen from './StartScreen';
import TerminalDock, { TerminalHub, type TermTab } from './TerminalDock';
import LabPanel from './LabPanel';
import type { DemoStatus, FollowInfo, Role } from '@/server/realtime/contract';
import { usePackets } from './packets/usePackets';
import Toolbar, { ThemeToggle } from './Toolbar';

// Shown only on demand: loaded when first shown, so the start screen does not wait for them.
const FollowView = dynamic(() => import('./FollowView'), { ssr: false });
const RosterPanel = dynamic(() => import('./RosterPanel'), { ssr: false });
const PacketsPanel = dynamic(() => import('./packets/PacketsPanel'), { ssr: false });

interface SessionRef { token: string; id: string; lab?: string; source?: string }

/** A page URL that keeps the access token (when the server needs one) across our own navigations. */
function pageUrl(query: string): string {
  const token = new URLSearchParams(window.location.search).get('token');
  const params = new URLSearchParams(query);
  if (token) params.set('token', token);
  const q = params.toString();
  return q ? `/?${q}` : '/';
}
type Toast = { kind: 'error' | 'info'; text: string } | null;

export default function Playground() {
  return (
    <ReactFlowProvider>
      <PlaygroundInner />
    </ReactFlowProvider>
  );
}

function useTheme(): [boolean, () => void] {
  const [dark, setDark] = useState(false);
  useEffect(() => setDark(document.documentElement.classList.contains('dark')), []);
  const toggle = useCallback(() => {
    setDark((d) => {
      const next = !d;
      document.documentElement.classList.toggle('dark', next);
      try { localStorage.setItem('nsplay-theme', next ? 'dark' : 'light'); } catch { /* private mode */ }
      return next;
    });
  }, []);
  return [dark, toggle];
}

/** Give every node on the canvas (sandbox and drawing) a place; keeps the places it already has. */
function laidOut(sandbox: Topology, drawing: Topology): Topology {
  const v = viewOf(sandbox, drawing);
  if (!v.doc.nodes.some((n) => !drawing.layout?.[n.name])) return drawing;
  // Partly placed (e.g. a file that places only its own nodes): arrange everything together.
  return setLayout(drawing, autoLayout(v.doc));
}

function PlaygroundInner() {
  const rf = useReactFlow();
  const [dark, toggleTheme] = useTheme();
  const [socket, setSocket] = useState<PageSocket | null>(null);
  const [hub, setHub] = useState<TerminalHub | null>(null);
  const [conn, setConn] = useState<'connecting' | 'online' | 'offline'>('connecting');
  const [screen, setScreen] = useState<'loading' | 'start' | 'canvas'>('loading');
  const [labs, setLabs] = useState<LabSummary[] | null>(null);
  const [busy, setBusy] = useState<string | undefined>();
  const [startError, setStartError] = useState<string | undefined>();
  // The server refused this page's socket (bad token, foreign origin): socket.io will not retry, so say why.
  const [refused, setRefused] = useState<string | undefined>();
  const [session, setSession] = useState<SessionRef | null>(null);
  const sessionRef = useRef<SessionRef | null>(null);
  const [ended, setEnded] = useState<string | null>(null);
  const [status, setStatus] = useState<SessionStatus | undefined>();
  const [sandbox, setSandbox] = useState<Topology>(() => emptyTopology());
  const [history, setHistory] = useState<History>(() => startHistory(emptyTopology()));
  const historyRef = useRef(history);
  const [selection, setSelection] = useState<Selection>({ nodes: [] });
  const [apply, setApply] = useState<ApplyState | null>(null);
  const [tabs, setTabs] = useState<TermTab[]>([]);
  const [activeTab, setActiveTab] = useState<number | undefined>();
  const [toast, setToast] = useState<Toast>(null);
  const [packetsOpen, setPacketsOpen] = useState(false);
  const [demo, setDemo] = useState<DemoStatus>({ live: false });
  const [presenting, setPresenting] = useState(false);
  const [role, setRole] = useState<Role>('instructor');
  const [rosterOpen, setRosterOpen] = useState(false);
  const [follow, setFollow] = useState<FollowInfo | null>(null);
  const showToastRef = useRef<(t: Toast) => void>(() => {});
  const booted = useRef(false);

  const doc = history.present;
  const problems = useMemo(() => checkDocument(doc), [doc]);
  const view = useMemo(() => viewOf(sandbox, doc), [sandbox, doc]);
  const live = useMemo(() => deriveLive(view.doc, status), [view, status]);

  const packetError = useCallback((text: string) => showToastRef.current({ kind: 'error', text }), []);
  const cableMap = useMemo(() => canvasMap(view.doc, live), [view.doc, live]);
  const packets = usePackets(socket, session?.id, cableMap, packetError);

  const setHistoryBoth = useCallback((h: History) => { historyRef.current = h; setHistory(h); }, []);
  const edit = useCallback((label: string, fn: (d: Topology) => Topology, key?: string) => {
    const h = historyRef.current;
    setHistoryBoth(record(h, fn(h.present), label, key));
  }, [setHistoryBoth]);
  const doUndo = useCallback(() => { setHistoryBoth(undo(historyRef.current)); }, [setHistoryBoth]);
  const doRedo = useCallback(() => { setHistoryBoth(redo(historyRef.current)); }, [setHistoryBoth]);

  const showToast = useCallback((t: Toast) => {
    setToast(t);
    if (t) setTimeout(() => setToast((cur) => (cur === t ? null : cur)), t.kind === 'error' ? 9000 : 5000);
  }, []);
  showToastRef.current = showToast;

  const adoptSession = useCallback((opened: { token: string; state: SessionStatus; sandbox: Topology }, lab?: string) => {
    const s: SessionRef = { token: opened.token, id: opened.state.info.id, lab: opened.state.info.lab ?? lab };
    sessionRef.current = s;
    setSession(s);
    setStatus(opened.state);
    setSandbox(opened.sandbox);
    setEnded(null);
  }, []);

  // Fit once the new nodes are measured (and again a little later, for slow first renders).
  const fitSoon = useCallback(() => {
    for (const ms of [120, 600]) setTimeout(() => rf.fitView({ padding: 0.2, maxZoom: 1.1, duration: 150 }), ms);
  }, [rf]);

  const openSession = useCallback(async (s: PageSocket, req: { lab?: string; token?: string }, doc?: Topology) => {
    const opened = await request(s, 'session:open', req);
    adoptSession(opened, req.lab);
    setHistoryBoth(startHistory(laidOut(opened.sandbox, doc ?? opened.start)));
    setSelection({ nodes: [] });
    setTabs([]);
    setApply(null);
    setScreen('canvas');
    fitSoon();
    return opened;
  }, [adoptSession, fitSoon, setHistoryBoth]);

  const showStart = useCallback(async (s: PageSocket) => {
    setScreen('start');
    try { setLabs(await request(s, 'labs:list', {})); } catch (e) { setLabs([]); setStartError((e as Error).message); }
  }, []);

  const openLab = useCallback(async (lab: string) => {
    if (!socket) return;
    setBusy(lab);
    setStartError(undefined);
    try {
      await openSession(socket, { lab });
      window.history.replaceState(null, '', pageUrl(`lab=${encodeURIComponent(lab)}`));
    } catch (e) { setStartError((e as Error).message); setScreen('start'); } finally { setBusy(undefined); }
  }, [openSession, socket]);

  const openBlank = useCallback(async () => {
    if (!socket) return;
    setBusy('blank');
    setStartError(undefined);
    try {
      await openSession(socket, {}, emptyTopology());
      window.history.replaceState(null, '', pageUrl('canvas=blank'));
    } catch (e) { setStartError((e as Error).message); setScreen('start'); } finally { setBusy(undefined); }
  }, [openSession, socket]);

  // First connection: reattach (reload), or open what the URL says, or show the start screen.
  const boot = useCallback(async (s: PageSocket) => {
    const params = new URLSearchParams(window.location.search);
    request(s, 'demo:status', {}).then((d) => { setDemo(d); if (d.role) setRole(d.role); }).catch(() => {});
    const stored = readStored();
    try {
      if (stored?.token) {
        const opened = await openSession(s, { token: stored.token, lab: stored.lab }, stored.doc ?? undefined);
        if (!opened.reattached) showToast({ kind: 'info', text: 'Your earlier sandbox was gone; this is a fresh one. Apply to build your drawing again.' });
        return;
      }
      const lab = params.get('lab');
      const file = params.get('file');
      if (lab) { setBusy(lab); await openSession(s, { lab }); return; }
      if (file) {
        const topology = await request(s, 'file:load', { path: file });
        await openSession(s, {}, topology);
        if (sessionRef.current) { sessionRef.current = { ...sessionRef.current, source: file }; setSession(sessionRef.current); }
        return;
      }
      if (params.get('canvas') === 'blank') { await openSession(s, {}, emptyTopology()); return; }
      await showStart(s);
    } catch (e) {
      setStartError((e as Error).message);
      await showStart(s);
    } finally { setBusy(undefined); }
  }, [openSession, showStart, showToast]);

  // A reconnect (server restart, network blip): reattach and take the full snapshot.
  const reconnect = useCallback(async (s: PageSocket) => {
    const cur = sessionRef.current;
    if (!cur) return;
    setTabs((ts) => ts.map((t) => ({ ...t, exited: t.exited ?? 'connection lost' })));
    try {
      const opened = await request(s, 'session:open', { token: cur.token, lab: cur.lab });
      adoptSession(opened, cur.lab);
      if (!opened.reattached) showToast({ kind: 'info', text: 'The server restarted: this is a fresh sandbox. Your drawing is kept; Apply to build it again.' });
    } catch (e) { showToast({ kind: 'error', text: (e as Error).message }); }
  }, [adoptSession, showToast]);

  useEffect(() => {
    const token = new URLSearchParams(window.location.search).get('token') ?? undefined;
    const s = connectSocket(token);
    const h = new TerminalHub(s);
    setSocket(s);
    setHub(h);
    s.on('connect', () => {
      setConn('online');
      setRefused(undefined);
      if (!booted.current) { booted.current = true; void boot(s); } else void reconnect(s);
    });
    s.on('disconnect', (reason) => { setConn('offline'); console.warn(`nsplay: disconnected (${reason})`); });
    s.on('connect_error', (e) => {
      setConn('offline');
      if (!booted.current) setStartError(e.message);
      if (!s.active) setRefused(e.message);
    });
    s.on('topology:state', (st) => { if (st.info.id === sessionRef.current?.id) setStatus(st); });
    s.on('plan:step', (e) => setApply((a) => {
      if (!a || a.phase !== 'running') return a;
      const steps = a.steps.length === e.total && a.steps[e.index]?.id === e.step.id ? a.steps
        : Array.from({ length: e.total }, (_, i) => (i === e.index ? e.step : a.steps[i] ?? e.step));
      return { ...a, steps, events: { ...a.events, [e.index]: e } };
    }));
    s.on('session:closed', ({ id, reason }) => { if (id === sessionRef.current?.id) { setEnded(reason); setTabs([]); } });
    s.on('term:exit', ({ id, code }) => setTabs((ts) => ts.map((t) => (t.id === id ? { ...t, exited: `exited ${code}` } : t))));
    s.on('server:error', ({ event, error }) => showToast({ kind: 'error', text: `${event}: ${error}` }));
    s.on('demo:live', (d) => { setDemo(d); if (!d.live) setPresenting(false); });
    return () => { s.disconnect(); };
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, []);

  useEffect(() => {
    if (session && screen === 'canvas') writeStored({ token: session.token, lab: session.lab, doc });
  }, [doc, session, screen]);

  const openTerminal = useCallback(async (node: string, fresh = false) => {
    if (!socket) return;
    const existing = !fresh && tabs.find((t) => t.node === node && !t.exited);
    if (existing) { setActiveTab(existing.id); return; }
    try {
      const t = await request(socket, 'term:open', { node, cols: 100, rows: 24 });
      setTabs((ts) => [...ts, { id: t.id, node }]);
      setActiveTab(t.id);
    } catch (e) { showToast({ kind: 'error', text: `terminal in ${node}: ${(e as Error).message}` }); }
  }, [showToast, socket, tabs]);

  // The lab panel types into the host shell: the open one, or a new one (which becomes the active tab).
  const tabsRef = useRef<TermTab[]>(tabs);
  tabsRef.current = tabs;
  const hostTerminal = useCallback(async (): Promise<number> => {
    if (!socket) throw new Error('not connected');
    const existing = tabsRef.current.find((t) => t.node === 'host' && !t.exited);
    if (existing) { setActiveTab(existing.id); return existing.id; }
    const t = await request(socket, 'term:open', { node: 'host', cols: 100, rows: 24 });
    setTabs((ts) => [...ts, { id: t.id, node: 'host' }]);
    setActiveTab(t.id);
    return t.id;
  }, [socket]);

  const labWasReset = useCallback(() => {
    // The server closed every shell of the old holder.
    for (const t of tabsRef.current) hub?.forget(t.id);
    setTabs([]);
    setActiveTab(undefined);
  }, [hub]);

  const closeTerminal = useCallback((id: number) => {
    if (socket) request(socket, 'term:close', { id }, 5000).catch(() => {});
    hub?.forget(id);
    setTabs((ts) => {
      const rest = ts.filter((t) => t.id !== id);
      setActiveTab((a) => (a === id ? rest[rest.length - 1]?.id : a));
      return rest;
    });
  }, [hub, socket]);

  const adopt = useCallback((name: string) => {
    const ghost = live?.ghosts.find((g) => g.name === name);
    const y = Math.max(0, ...Object.values(view.doc.layout ?? {}).map((p) => p.y)) + 180;
    const addresses = (ghost?.ns.links ?? []).filter((l) => l.kind !== 'veth' && l.kind !== 'loopback')
      .flatMap((l) => l.addresses.map((address) => ({ dev: l.ifname, address })));
    edit(`adopt ${name}`, (d) => {
      const next = addNode(d, 'netns', { x: 80, y }, name);
      return addresses.length ? { ...next, nodes: next.nodes.map((n) => (n.name === name ? { ...n, addresses } : n)) } : next;
    });
    setSelection({ nodes: [name] });
  }, [view.doc.layout, edit, live]);

  const addFromPalette = useCallback((kind: NodeKind) => {
    const name = proposeName(view.doc, kind);
    if (!name) return;
    const el = document.querySelector('[data-testid="canvas"]')?.getBoundingClientRect();
    const c = el ? rf.screenToFlowPosition({ x: el.left + el.width / 2, y: el.top + el.height / 2 }) : { x: 200, y: 200 };
    const s = NODE_SIZE[kind] ?? NODE_SIZE.netns;
    const n = historyRef.current.present.nodes.length;
    edit(`add ${kind} ${name}`, (d) => addNode(d, kind, { x: c.x - s.w / 2 + (n % 5) * 24, y: c.y - s.h / 2 + (n % 5) * 24 }, name));
    setSelection({ nodes: [name] });
  }, [edit, rf, view.doc]);

  const deleteSelection = useCallback(() => {
    const names = selection.nodes.filter((n) => doc.nodes.some((x) => x.name === n) && !view.infra.has(n));
    const drawn = selection.link !== undefined ? drawingLink(view, selection.link) : undefined;
    const links = drawn !== undefined ? [drawn] : [];
    if (!names.length && !links.length) return;
    edit(`delete ${[...names, ...links.map((l) => `link ${l}`)].join(', ')}`, (d) => removeMany(d, names, links));
    setSelection({ nodes: [] });
  }, [doc.nodes, edit, selection, view]);

  // Keyboard: undo/redo everywhere except while typing in a field or a terminal.
  useEffect(() => {
    const onKey = (e: KeyboardEvent) => {
      const t = e.target as HTMLElement | null;
      if (t && (t.closest('input, textarea, select, [contenteditable="true"]') || t.closest('.xterm'))) return;
      const mod = e.ctrlKey || e.metaKey;
      if (mod && e.key.toLowerCase() === 'z') { e.preventDefault(); if (e.shiftKey) doRedo(); else doUndo(); }
      else if (mod && e.key.toLowerCase() === 'y') { e.preventDefault(); doRedo(); }
    };
    window.addEventListener('keydown', onKey);
    return () => window.removeEventListener('keydown', onKey);
  }, [doRedo, doUndo]);

  const startApply = useCallback(async () => {
    if (!socket || problems.list.length) return;
    setApply({ phase: 'previewing' });
    try {
      const p = await request(socket, 'topology:preview', { topology: doc as unknown as Record<string, unknown> });
      setApply({ phase: 'confirm', steps: p.steps });
    } catch (e) { setApply({ phase: 'error', message: (e as Error).message }); }
  }, [doc, problems.list.length, socket]);

  const confirmApply = useCallback(async () => {
    if (!socket || apply?.phase !== 'confirm') return;
    const steps = apply.steps;
    setApply({ phase: 'running', steps, events: {} });
    try {
      const result = await request(socket, 'topology:apply', { topology: doc as unknown as Record<string, unknown> }, 600_000);
      setApply((a) => ({ phase: 'done', steps: a && 'steps' in a && a.steps ? a.steps : steps, events: a && 'events' in a && a.events ? a.events : {}, result }));
    } catch (e) {
      setApply((a) => ({ phase: 'error', message: (e as Error).message, steps: a && 'steps' in a ? a.steps : steps, events: a && 'events' in a ? a.events : {} }));
    }
  }, [apply, doc, socket]);

  const destroy = useCallback(async () => {
    if (!socket || !session) return;
    setApply(null);
    try {
      await request(socket, 'session:destroy', {});
      setTabs([]);
      const opened = await request(socket, 'session:open', { lab: session.lab });
      adoptSession(opened, session.lab);
      showToast({ kind: 'info', text: 'Everything this session built is gone; a fresh sandbox is ready. Your drawing is kept.' });
    } catch (e) { showToast({ kind: 'error', text: (e as Error).message }); }
  }, [adoptSession, session, showToast, socket]);

  const restart = useCallback(async () => {
    if (!socket) return;
    try {
      const opened = await request(socket, 'session:open', { lab: sessionRef.current?.lab });
      adoptSession(opened, sessionRef.current?.lab);
    } catch (e) { showToast({ kind: 'error', text: (e as Error).message }); }
  }, [adoptSession, showToast, socket]);

  const back = useCallback(async () => {
    if (!socket) return;
    setTabs([]);
    setApply(null);
    writeStored(null);
    sessionRef.current = null;
    setSession(null);
    setStatus(undefined);
    window.history.replaceState(null, '', pageUrl(''));
    request(socket, 'session:destroy', {}).catch(() => {});
    await showStart(socket);
  }, [showStart, socket]);

  const save = useCallback((format: 'yaml' | 'json') => {
    const name = (doc.name ?? session?.lab ?? 'topology').replace(/[^A-Za-z0-9_.-]+/g, '-');
    if (format === 'json') downloadText(`${name}.json`, `${JSON.stringify(doc, null, 2)}\n`, 'application/json');
    else downloadText(`${name}.yaml`, toYaml(doc), 'application/yaml');
  }, [doc, session?.lab]);

  const load = useCallback((text: string, file: string) => {
    const r = coerceDocument(text);
    if (!r.ok) { showToast({ kind: 'error', text: `${file}: ${r.error}` }); return; }
    edit(`open ${file}`, () => laidOut(sandbox, r.doc));
    setSelection({ nodes: [] });
    fitSoon();
  }, [edit, fitSoon, sandbox, showToast]);

  const exportImage = useCallback(async (format: 'png' | 'svg') => {
    try {
      const { exportCanvas } = await import('@/lib/export-image'); // html-to-image, only when exporting
      await exportCanvas(rf.getNodes(), format, (doc.name ?? session?.lab ?? 'nsplay').replace(/[^A-Za-z0-9_.-]+/g, '-'));
    } catch (e) { showToast({ kind: 'error', text: `export: ${(e as Error).message}` }); }
  }, [doc.name, rf, session?.lab, showToast]);

  // In a lab the commands build the topology from a terminal: keep what the kernel grew in view.
  const ghostKey = live?.ghosts.map((g) => g.name).join(',') ?? '';
  const inLab = !!session?.lab;
  useEffect(() => { if (inLab && screen === 'canvas') fitSoon(); }, [ghostKey, inLab, screen, fitSoon]);

  // Workshop: while presenting, every change of the drawing goes to the followers.
  useEffect(() => {
    if (!presenting || !socket) return;
    const t = setTimeout(() => { request(socket, 'demo:doc', { topology: doc as unknown as Record<string, unknown> }).catch(() => {}); }, 120);
    return () => clearTimeout(t);
  }, [doc, presenting, socket]);

  const togglePresent = useCallback(async () => {
    if (!socket) return;
    try {
      if (presenting) { await request(socket, 'demo:stop', {}); setPresenting(false); }
      else {
        await request(socket, 'demo:start', {});
        setPresenting(true);
        showToast({ kind: 'info', text: 'Presenting: every page can follow this canvas and your terminals, read-only.' });
      }
    } catch (e) { showToast({ kind: 'error', text: (e as Error).message }); }
  }, [presenting, showToast, socket]);

  const startFollow = useCallback(async () => {
    if (!socket) return;
    try { setFollow(await request(socket, 'follow:start', {})); } catch (e) { showToast({ kind: 'error', text: (e as Error).message }); }
  }, [showToast, socket]);

  const stopFollow = useCallback(() => {
    if (socket) request(socket, 'follow:stop', {}).catch(() => {});
    setFollow(null);
  }, [socket]);

  const fork = useCallback(async (copy: Topology, lab?: string, step?: number) => {
    if (!socket) return;
    stopFollow();
    try {
      await openSession(socket, { lab }, copy);
      window.history.replaceState(null, '', pageUrl(lab ? `lab=${encodeURIComponent(lab)}` : 'canvas=blank'));
      if (lab && step !== undefined && step > 0) {
        // Catch up with the instructor: run the steps before theirs (with their checks) in this sandbox.
        showToast({ kind: 'info', text: `Forked: running steps 1–${step} in your sandbox to reach the instructor's step ${step + 1}…` });
        await request(socket, 'lab:runto', { step: step - 1 }, 600_000);
        showToast({ kind: 'info', text: `Your sandbox is at step ${step + 1}, like the instructor's. Carry on from there.` });
      } else {
        showToast({ kind: 'info', text: 'Forked: your own sandbox has the instructor\'s drawing. Press Apply to build it.' });
      }
    } catch (e) { showToast({ kind: 'error', text: (e as Error).message }); }
  }, [openSession, showToast, socket, stopFollow]);

  const themeToggle = <ThemeToggle dark={dark} onToggle={toggleTheme} />;

  if (follow && socket) {
    return <FollowView socket={socket} info={follow} dark={dark} themeToggle={themeToggle} onFork={(d, lab, step) => void fork(d, lab, step)} onLeave={stopFollow} />;
  }

  if (refused && screen !== 'canvas') {
    return (
      <div className="grid h-full place-items-center p-6">
        <div className="panel max-w-xl rounded-xl border p-5" style={{ borderColor: 'var(--bad)' }} role="alert" data-testid="connect-refused">
          <div className="text-[18px] font-bold">The nsplay server refused this page</div>
          <p className="mt-2">{refused}</p>
        </div>
      </div>
    );
  }

  if (screen !== 'canvas') {
    return screen === 'loading'
      ? <div className="muted grid h-full place-items-center" data-testid="loading">{busy ? `Preparing the sandbox for ${busy}…` : 'Connecting…'}</div>
      : <StartScreen labs={labs} error={startError} busy={busy} onOpenLab={openLab} onBlank={openBlank} themeToggle={themeToggle}
          demoLive={demo.live} onFollow={() => void startFollow()} />;
  }

  const labInfo = session?.lab ? labs?.find((l) => l.id === session.lab) : undefined;
  const labTitle = session?.lab ? (labInfo ? `${session.lab} · ${labInfo.title}` : `lab ${session.lab}`) : session?.source ?? (doc.name ? doc.name : 'Blank canvas');
  const singletons = new Set<NodeKind>(view.doc.nodes.some((n) => n.name === 'host') ? ['host'] : []);
  const terminalNodes = [...new Set([...(status?.info.nodes ?? []), ...view.doc.nodes.filter((n) => n.kind !== 'bridge').map((n) => n.name), ...(live?.ghosts.filter((g) => !g.bridge).map((g) => g.name) ?? [])])];

  return (
    <div className="flex h-full flex-col" data-testid="playground" data-observed-at={status?.observed.at} data-session={session?.id}>
      <Toolbar
        title={labTitle}
        conn={conn}
        canUndo={canUndo(history)}
        canRedo={canRedo(history)}
        undoLabel={history.label}
        redoLabel={history.future[0]?.label}
        hasSelection={selection.nodes.length > 0 || selection.link !== undefined}
        problems={problems.list.length}
        drift={live?.drift.length ?? 0}
        applying={apply?.phase === 'running'}
        sessionReady={!!session && !ended && conn === 'online'}
        onBack={back}
        onUndo={doUndo}
        onRedo={doRedo}
        onLayout={() => { edit('auto-layout', (d) => setLayout(d, autoLayout(viewOf(sandbox, d).doc))); fitSoon(); }}
        onFit={() => rf.fitView({ padding: 0.25, maxZoom: 1.1, duration: 200 })}
        onDelete={deleteSelection}
        onSave={save}
        onLoad={load}
        onExport={exportImage}
        onApply={startApply}
        onDestroy={destroy}
        packetsOpen={packetsOpen}
        presenting={presenting}
        canPresent={role === 'instructor'}
        onPresent={() => void togglePresent()}
        demoLive={demo.live}
        onFollow={() => void startFollow()}
        onPackets={() => { setPacketsOpen((o) => !o); setRosterOpen(false); }}
        rosterOpen={rosterOpen}
        onRoster={() => { setRosterOpen((o) => !o); setPacketsOpen(false); }}
        themeToggle={themeToggle}
      />
      <div className="flex min-h-0 flex-1">
        <Palette onAdd={addFromPalette} disabled={singletons} />
        <div className="flex min-w-0 flex-1 flex-col">
          <div className="flex min-h-0 flex-1">
          {socket && session?.lab && (
            <LabPanel socket={socket} sessionId={session.id} hostTerminal={hostTerminal} onReset={labWasReset}
              onError={(text) => showToast({ kind: 'error', text })} onInfo={(text) => showToast({ kind: 'info', text })} />
          )}
          <div className="relative min-h-0 min-w-0 flex-1">
            <Canvas doc={doc} view={view} live={live} problems={problems} selection={selection} onSelect={setSelection} edit={edit}
              actions={{ adopt, openTerminal: (n) => void openTerminal(n) }} dark={dark}
              packets={{ show: packets.show, dots: packets.dots, flown: packets.flown, dismiss: packets.dismiss }} />
            {apply && <ApplyPanel state={apply} onConfirm={confirmApply} onClose={() => setApply(null)} />}
            {ended && (
              <div className="panel absolute left-1/2 top-3 z-20 flex -translate-x-1/2 items-center gap-3 rounded-lg border px-3 py-2 shadow-lg" data-testid="session-ended">
                <span>This sandbox ended: {ended}.</span>
                <button className="btn btn-primary" onClick={restart}>Start a fresh sandbox</button>
              </div>
            )}
            {conn === 'offline' && !ended && (
              <div className="absolute left-1/2 top-3 z-20 -translate-x-1/2 rounded-lg px-3 py-1.5 text-white shadow" style={{ background: 'var(--warn)' }} data-testid="offline-banner">
                {refused ? `The server refused this page: ${refused}` : 'Connection to the server lost; reconnecting…'}
              </div>
            )}
            {toast && (
              <div className="absolute bottom-3 left-1/2 z-30 max-w-[70%] -translate-x-1/2 whitespace-pre-wrap rounded-lg px-3 py-2 text-white shadow-lg"
                style={{ background: toast.kind === 'error' ? 'var(--bad)' : '#334155' }} role="status" data-testid="toast" onClick={() => setToast(null)}>
                {toast.text}
              </div>
            )}
          </div>
          </div>
          <div className="flex h-[34%] min-h-[180px] flex-none border-t" style={{ borderColor: 'var(--border)' }}>
            <TerminalDock socket={socket} hub={hub} tabs={tabs} active={activeTab} onActivate={setActiveTab} onClose={closeTerminal}
              onOpen={(n) => void openTerminal(n, true)} nodes={terminalNodes} dark={dark} />
            <CommandsPanel doc={doc} valid={problems.list.length === 0} problems={problems.list.length} />
          </div>
        </div>
        {/* The packets drawer takes the inspector's column, so the canvas keeps its width. */}
        <Inspector doc={doc} view={view} live={live} problems={problems} selection={selection} onSelect={setSelection} edit={edit}
          openTerminal={(n) => void openTerminal(n)} adopt={adopt} hidden={packetsOpen || (rosterOpen && presenting)} />
        {rosterOpen && presenting && socket && (
          <RosterPanel socket={socket} onClose={() => setRosterOpen(false)} onError={(text) => showToast({ kind: 'error', text })} />
        )}
        {packetsOpen && !(rosterOpen && presenting) && (
          <PacketsPanel packets={packets} nodes={terminalNodes} status={status} withToken={(u) => u} onClose={() => setPacketsOpen(false)} />
        )}
      </div>
    </div>
  );
}
