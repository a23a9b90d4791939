'use client';
// Packets on the canvas: a probe rides its real path hop by hop (the cables it crossed turn green; on
// failure it stops red at the hop where it died, with the reason), and captured packets fly along
// their cable as dots. Positions are read from the drawn cables every frame, so panning and dragging
// never leave a packet behind. One requestAnimationFrame loop moves every dot through refs.
import { useEffect, useMemo, useRef, useState } from 'react';
import { ViewportPortal, useReactFlow } from '@xyflow/react';
import { placeOf, probeMoves, type CanvasMap, type Move, type Place } from '@/lib/packet-route';
import type { ProbeResult } from '@/server/probe/types';

export interface ProbeShow { key: number; result: ProbeResult }
/** A captured packet crossing cable `cable` (its edge id) from its end `from`. */
export interface Dot { key: number; cable: string; from: 'a' | 'b'; proto: string }

const WIRE_MS = 520;
const JUMP_MS = 240;
const DOT_MS = 700;

type Point = { x: number; y: number };

function edgePath(cable: string): SVGPathElement | null {
  return document.querySelector(`.react-flow__edge[data-id="${CSS.escape(cable)}"] path.react-flow__edge-path`);
}

function useGeometry() {
  const rf = useReactFlow();
  return useMemo(() => {
    const nodeCenter = (name: string): Point | undefined => {
      const n = rf.getInternalNode(name);
      if (!n) return undefined;
      const w = n.measured?.width ?? 0;
      const h = n.measured?.height ?? 0;
      return { x: n.internals.positionAbsolute.x + w / 2, y: n.internals.positionAbsolute.y + h / 2 };
    };
    const along = (cable: string, from: 'a' | 'b', t: number): Point | undefined => {
      const el = edgePath(cable);
      if (!el) return undefined;
      const len = el.getTotalLength();
      const p = el.getPointAtLength((from === 'a' ? t : 1 - t) * len);
      return { x: p.x, y: p.y };
    };
    const place = (p: Place): Point | undefined => ('end' in p ? along(p.end.cable, 'a', p.end.end === 'a' ? 0 : 1) : nodeCenter(p.node));
    const at = (m: Move, t: number): Point | undefined => {
      if (m.kind === 'wire') return along(m.cable, m.from, t);
      const a = place(m.from);
      const b = place(m.to);
      if (!a || !b) return a ?? b;
      return { x: a.x + (b.x - a.x) * t, y: a.y + (b.y - a.y) * t };
    };
    return { nodeCenter, along, place, at };
  }, [rf]);
}

const duration = (m: Move) => (m.kind === 'wire' ? WIRE_MS : JUMP_MS);

export default function PacketLayer({ map, probe, dots, flown, onDismiss }: { map: CanvasMap; probe?: ProbeShow; dots: Dot[]; flown: number; onDismiss(): void }) {
  const geo = useGeometry();
  // The ride is fixed when a probe's result arrives: later kernel refreshes (a new map every poll)
  // and new dots must not restart it.
  const ride = useMemo(() => {
    if (!probe) return undefined;
    const moves = probeMoves(map, probe.result.path);
    const starts: number[] = [];
    let total = 0;
    for (const m of moves) { starts.push(total); total += duration(m); }
    return { key: probe.key, result: probe.result, moves, starts, total, failAt: probe.result.hop ? placeForHop(map, probe.result) : undefined };
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [probe?.key]);
  const moves = ride?.moves ?? [];
  // How far the probe's packet got: moves completed, and whether it has arrived (the end state).
  const [done, setDone] = useState(0);
  const [finished, setFinished] = useState(false);
  const [endPoint, setEndPoint] = useState<Point | undefined>();
  const packetRef = useRef<SVGCircleElement | null>(null);
  const dotRefs = useRef(new Map<number, SVGCircleElement>());
  const born = useRef(new Map<number, number>());
  const dotsRef = useRef(dots);
  dotsRef.current = dots;

  useEffect(() => {
    setDone(0); setFinished(false); setEndPoint(undefined);
    let raf = 0;
    let start: number | undefined;
    let reported = -1;
    let ended = !ride;
    const tick = (now: number) => {
      // The probe's packet, until it arrives.
      if (ride && !ended && packetRef.current) {
        start ??= now;
        const t = now - start;
        let i = ride.starts.findIndex((s0, k) => t >= s0 && t < s0 + duration(ride.moves[k]));
        if (i < 0) i = ride.moves.length;
        if (i < ride.moves.length) {
          const p = geo.at(ride.moves[i], Math.min(1, (t - ride.starts[i]) / duration(ride.moves[i])));
          if (p) { packetRef.current.setAttribute('cx', String(p.x)); packetRef.current.setAttribute('cy', String(p.y)); packetRef.current.style.opacity = '1'; }
        }
        if (i !== reported) {
          reported = i;
          setDone(i);
          if (i === ride.moves.length) {
            ended = true;
            packetRef.current.style.opacity = '0';
            const last = ride.moves.at(-1);
            setEndPoint((last ? geo.at(last, 1) : undefined) ?? (ride.failAt ? geo.place(ride.failAt) : undefined) ?? geo.nodeCenter(ride.result.from.node));
            setFinished(true);
          }
        }
      }
      // Captured packets.
      for (const d of dotsRef.current) {
        const el = dotRefs.current.get(d.key);
        if (!el) continue;
        if (!born.current.has(d.key)) born.current.set(d.key, now);
        const t = (now - born.current.get(d.key)!) / DOT_MS;
        const p = t <= 1 ? geo.along(d.cable, d.from, t) : undefined;
        if (p) { el.setAttribute('cx', String(p.x)); el.setAttribute('cy', String(p.y)); el.style.opacity = '1'; } else el.style.opacity = '0';
      }
      raf = requestAnimationFrame(tick);
    };
    raf = requestAnimationFrame(tick);
    return () => cancelAnimationFrame(raf);
  }, [ride, geo]);

  // Forget dots that are gone.
  useEffect(() => {
    const keys = new Set(dots.map((d) => d.key));
    for (const k of born.current.keys()) if (!keys.has(k)) born.current.delete(k);
  }, [dots]);

  const result = ride?.result;
  const state = !result ? 'idle' : !finished ? 'running' : result.ok ? 'ok' : 'fail';
  const passedWires = moves.slice(0, done).filter((m): m is Extract<Move, { kind: 'wire' }> => m.kind === 'wire');
  const passedHops = result ? result.path.slice(0, moves.length ? (moves[Math.min(done, moves.length) - 1]?.hop ?? 0) + 1 : result.path.length) : [];
  const colour = result && finished && !result.ok ? 'var(--bad)' : 'var(--ok)';

  return (
    <ViewportPortal>
      <svg className="packet-layer" style={{ position: 'absolute', left: 0, top: 0, width: 1, height: 1, overflow: 'visible', pointerEvents: 'none', zIndex: 5 }}
        data-testid="probe-anim" data-state={state} data-probe={probe?.key ?? ''} data-flown={flown}>
        {passedWires.map((m, i) => (
          <Trail key={`${probe?.key}-${i}`} cable={m.cable} colour={m.leg === 'reply' ? 'var(--accent)' : 'var(--ok)'} />
        ))}
        {passedHops.map((h, i) => <HopMark key={`${probe?.key}-h${i}`} map={map} hop={h} geo={geo} />)}
        {probe && <circle ref={packetRef} r={7} fill={colour} stroke="white" strokeWidth={2} style={{ opacity: 0 }} className="probe-packet" />}
        {dots.map((d) => (
          <circle key={d.key} ref={(el) => { if (el) dotRefs.current.set(d.key, el); else dotRefs.current.delete(d.key); }} r={4.5}
            fill={d.proto === 'ICMP' ? 'var(--ok)' : d.proto === 'ARP' ? 'var(--warn)' : 'var(--accent)'} style={{ opacity: 0 }} data-testid="packet-dot" />
        ))}
        {finished && result && !result.ok && endPoint && (
          <circle cx={endPoint.x} cy={endPoint.y} r={11} fill="none" stroke="var(--bad)" strokeWidth={3} className="probe-fail-ring" />
        )}
      </svg>
      {finished && result && endPoint && (
        <div className="probe-label nodrag nopan" style={{ position: 'absolute', transform: `translate(${endPoint.x + 14}px, ${endPoint.y - 14}px)`, zIndex: 6 }}
          data-testid={result.ok ? 'probe-ok' : 'probe-fail'} data-reason={result.reason ?? ''} data-node={result.hop?.node ?? ''} data-iface={result.hop?.interface ?? ''}>
          <div className={`rounded-md border px-2 py-1 shadow-lg ${result.ok ? 'probe-label-ok' : 'probe-label-bad'}`}>
            <div className="flex items-start gap-2">
              <b>{result.ok ? `✓ ${result.to.input} answered` : `✗ ${result.reason}`}</b>
              <button className="muted ml-auto leading-none" onClick={onDismiss} aria-label="dismiss" style={{ pointerEvents: 'auto' }}>×</button>
            </div>
            {result.ok
              ? <div className="muted">{result.rtt_ms !== undefined ? `${result.rtt_ms} ms` : ''}{result.http ? ` · HTTP ${result.http.status}` : ''} · {result.proto === 'tcp' ? 'TCP' : 'ICMP'} from {result.from.node}</div>
              : <>
                  <div>at {result.hop?.node}{result.hop?.interface ? `:${result.hop.interface}` : ''}</div>
                  {result.detail && <div className="muted max-w-[300px]">{result.detail}</div>}
                </>}
          </div>
        </div>
      )}
    </ViewportPortal>
  );
}

/** Where the probe died: the hop the result names (a port, the bridge, else the node). */
function placeForHop(map: CanvasMap, r: ProbeResult): Place | undefined {
  const hop = r.path.find((h) => h.node === r.hop?.node && h.interface === r.hop?.interface) ?? r.hop;
  return hop ? placeOf(map, hop) : undefined;
}

/** A cable the probe crossed, drawn over it in green (request) or blue (reply). */
function Trail({ cable, colour }: { cable: string; colour: string }) {
  const [d, setD] = useState<string | null>(null);
  useEffect(() => { setD(edgePath(cable)?.getAttribute('d') ?? null); }, [cable]);
  if (!d) return null;
  return <path d={d} fill="none" stroke={colour} strokeWidth={5} strokeOpacity={0.55} strokeLinecap="round" data-testid="probe-trail" data-cable={cable} />;
}

/** A hop the packet reached: a small ring on the port. */
function HopMark({ map, hop, geo }: { map: CanvasMap; hop: ProbeResult['path'][number]; geo: ReturnType<typeof useGeometry> }) {
  const [p, setP] = useState<Point | undefined>();
  useEffect(() => {
    const place = placeOf(map, hop);
    setP(place ? geo.place(place) : undefined);
  }, [map, hop, geo]);
  if (!p) return null;
  return <circle cx={p.x} cy={p.y} r={4} fill="var(--panel)" stroke="var(--ok)" strokeWidth={2}
    data-testid="probe-hop" data-node={hop.node} data-iface={hop.interface ?? ''} data-leg={hop.leg} data-dir={hop.dir} />;
}
