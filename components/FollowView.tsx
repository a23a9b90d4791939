'use client';
// Following the instructor: their canvas (drawing + live kernel state), their probes riding the
// cables, and their terminal output — read-only. "Fork" copies the drawing into a sandbox of one's own.
import { useCallback, useEffect, useMemo, useRef, useState } from 'react';
import { ReactFlowProvider, useReactFlow } from '@xyflow/react';
import { checkDocument } from '@/lib/errors';
import { deriveLive } from '@/lib/live';
import { canvasMap } from '@/lib/packet-route';
import type { PageSocket } from '@/lib/socket';
import { viewOf } from '@/lib/view';
import type { FollowInfo } from '@/server/realtime/contract';
import type { SessionStatus } from '@/server/session/types';
import type { Topology } from '@/server/topology/schema';
import Canvas, { type Selection } from './canvas/Canvas';
import { usePackets } from './packets/usePackets';

interface Props {
  socket: PageSocket;
  info: FollowInfo;
  dark: boolean;
  themeToggle: React.ReactNode;
  /** Fork: the drawing, the lab, and the instructor's current step (0-based; steps before it are replayed). */
  onFork(doc: Topology, lab?: string, step?: number): void;
  onLeave(): void;
}

const EMPTY: Topology = { version: 1, nodes: [], links: [] };
// Terminal output as text: colours and cursor moves dropped, carriage returns folded.
// eslint-disable-next-line no-control-regex
const ANSI = /\u001b\[[0-9;?]*[ -/]*[@-~]|\u001b\][^\u0007]*\u0007|\u001b[()][0-9A-Za-z]|\u001b[=>]/g;
const KEEP = 20_000;

export default function FollowView(props: Props) {
  return (
    <ReactFlowProvider>
      <FollowInner {...props} />
    </ReactFlowProvider>
  );
}

function FollowInner({ socket, info, dark, themeToggle, onFork, onLeave }: Props) {
  const [doc, setDoc] = useState<Topology>(info.doc ?? EMPTY);
  const [status, setStatus] = useState<SessionStatus>(info.state);
  const [ended, setEnded] = useState(false);
  const [output, setOutput] = useState('');
  const [step, setStep] = useState<number | undefined>(info.progress?.current);
  const [selection, setSelection] = useState<Selection>({ nodes: [] });
  const pre = useRef<HTMLPreElement | null>(null);
  const rf = useReactFlow();

  useEffect(() => {
    const onDoc = ({ topology }: { topology: Topology }) => setDoc(topology);
    const onState = (s: SessionStatus) => { if (s.info.id === info.sessionId) setStatus(s); };
    const onTerm = ({ data }: { data: string }) => setOutput((o) => (o + data.replace(ANSI, '').replace(/\r+\n/g, '\n').replace(/\r/g, '')).slice(-KEEP));
    const onLive = (d: { live: boolean }) => { if (!d.live) setEnded(true); };
    const onProgress = (p: { sessionId: string; current: number }) => { if (p.sessionId === info.sessionId) setStep(p.current); };
    socket.on('lab:progress', onProgress);
    socket.on('follow:doc', onDoc);
    socket.on('topology:state', onState);
    socket.on('follow:term', onTerm);
    socket.on('demo:live', onLive);
    return () => {
      socket.off('follow:doc', onDoc);
      socket.off('topology:state', onState);
      socket.off('follow:term', onTerm);
      socket.off('demo:live', onLive);
      socket.off('lab:progress', onProgress);
    };
  }, [info.sessionId, socket]);
  useEffect(() => { if (pre.current) pre.current.scrollTop = pre.current.scrollHeight; }, [output]);

  const view = useMemo(() => viewOf(info.sandbox, doc), [info.sandbox, doc]);
  // Keep the whole drawing in view as the instructor adds and removes nodes.
  const shape = `${view.doc.nodes.length}`;
  useEffect(() => {
    const timers = [150, 700].map((ms) => setTimeout(() => rf.fitView({ padding: 0.15, maxZoom: 1.1, duration: 150 }), ms));
    return () => timers.forEach(clearTimeout);
  }, [shape, rf]);
  const live = useMemo(() => deriveLive(view.doc, status), [view, status]);
  const problems = useMemo(() => checkDocument(doc), [doc]);
  const map = useMemo(() => canvasMap(view.doc, live), [view.doc, live]);
  const noop = useCallback(() => {}, []);
  const packets = usePackets(socket, info.sessionId, map, noop);

  return (
    <div className="flex h-full flex-col" data-testid="follow-view" data-session={info.sessionId} data-ended={ended}>
      <header className="panel flex h-12 flex-none items-center gap-2 border-b px-3" style={{ borderColor: 'var(--border)' }}>
        <span className="inline-block h-2.5 w-2.5 animate-pulse rounded-full" style={{ background: ended ? 'var(--muted)' : 'var(--bad)' }} />
        <span className="font-bold">{ended ? 'The demo ended' : 'Following the instructor'}</span>
        <span className="muted truncate text-[12px]" data-testid="follow-step" data-step={step ?? ''}>
          {info.lab ? `lab ${info.lab}${step !== undefined ? ` · step ${step + 1}` : ''}` : 'their canvas'} · read-only: nothing you do here reaches their sandbox
        </span>
        <span className="ml-auto flex items-center gap-2">
          {themeToggle}
          <button className="btn btn-primary" onClick={() => onFork(doc, info.lab, step)}
            title={info.lab ? 'a sandbox of your own at the instructor\'s step (the steps before it are run for you), and continue there' : 'copy this drawing into a sandbox of your own, and continue there'}
            data-testid="fork-button">
            Fork into my sandbox
          </button>
          <button className="btn" onClick={onLeave} data-testid="unfollow-button">Stop following</button>
        </span>
      </header>
      <div className="relative min-h-0 flex-1">
        <Canvas doc={doc} view={view} live={live} problems={problems} selection={selection} onSelect={setSelection} edit={noop}
          actions={{ adopt: noop, openTerminal: noop }} dark={dark}
          packets={{ show: packets.show, dots: packets.dots, flown: packets.flown, dismiss: packets.dismiss }} />
      </div>
      <section className="panel flex h-[30%] min-h-[140px] flex-none flex-col border-t" style={{ borderColor: 'var(--border)' }}>
        <div className="section-title flex h-8 flex-none items-center border-b px-3" style={{ borderColor: 'var(--border)' }}>Instructor&apos;s terminal (read-only)</div>
        <pre ref={pre} className="mono min-h-0 flex-1 overflow-auto whitespace-pre-wrap px-3 py-2 text-[12.5px]" data-testid="follow-terminal">
          {output || 'Nothing typed yet.'}
        </pre>
      </section>
    </div>
  );
}
