'use client';
// The page's side of probes and captures: the probe results every page of the session receives (to
// animate), the session's captures with their latest lines, and dots for the canvas. Held by the
// playground (not the panel) so a closed panel loses nothing.
import { useCallback, useEffect, useRef, useState } from 'react';
import type { CaptureInfo, PageBatch, ProbeEvent } from '@/server/realtime/contract';
import type { PacketSummary } from '@/server/capture/parse-tcpdump';
import type { CaptureStats, MatrixResult, ProbeResult } from '@/server/realtime/contract';
import { packetMove, type CanvasMap } from '@/lib/packet-route';
import { request, type PageSocket } from '@/lib/socket';
import type { Dot, ProbeShow } from '../canvas/PacketLayer';

/** Lines kept per capture in the page (the pcap has them all). */
const KEEP_LINES = 400;
/** Dots in flight at once on the canvas; more are skipped (the panel still lists them). */
const MAX_DOTS = 24;
const DOT_LIFE_MS = 800;

export interface CaptureView {
  info: CaptureInfo;
  lines: PacketSummary[];
  stats: CaptureStats;
  note?: string;
  running: boolean;
  /** Summaries the server did not send because this page fell behind (never silent). */
  unsent?: number;
}

export interface ProbeLine { id: number; from: string; to: string; result?: ProbeResult; error?: string; mine: boolean }

export interface Packets {
  probes: ProbeLine[];
  show?: ProbeShow;
  dismiss(): void;
  runProbe(from: string, to: string): Promise<void>;
  matrix?: MatrixResult;
  matrixBusy: boolean;
  runMatrix(nodes?: string[]): Promise<void>;
  captures: CaptureView[];
  startCapture(node: string, iface: string, filter: string): Promise<void>;
  stopCapture(id: string): Promise<void>;
  dots: Dot[];
  /** Dots sent flying since the session opened (a test hook, and a count for the curious). */
  flown: number;
}

export function usePackets(socket: PageSocket | null, sessionId: string | undefined, map: CanvasMap, onError: (text: string) => void): Packets {
  const [probes, setProbes] = useState<ProbeLine[]>([]);
  const [show, setShow] = useState<ProbeShow | undefined>();
  const [matrix, setMatrix] = useState<MatrixResult | undefined>();
  const [matrixBusy, setMatrixBusy] = useState(false);
  const [captures, setCaptures] = useState<CaptureView[]>([]);
  const [dots, setDots] = useState<Dot[]>([]);
  const [flown, setFlown] = useState(0);
  const nodeOf = useRef(new Map<string, string>());
  const mapRef = useRef(map);
  mapRef.current = map;
  const dotSeq = useRef(0);

  // A new session: nothing of the old one applies.
  useEffect(() => { setProbes([]); setShow(undefined); setMatrix(undefined); setCaptures([]); setDots([]); nodeOf.current.clear(); }, [sessionId]);

  useEffect(() => {
    if (!socket) return;
    const onProbe = (e: ProbeEvent) => {
      setProbes((ps) => {
        const line: ProbeLine = { id: e.id, from: e.from, to: e.to, result: e.result, error: e.error, mine: e.by === socket.id };
        const rest = ps.filter((p) => p.id !== e.id);
        return [line, ...rest].slice(0, 8);
      });
      if (e.result) setShow({ key: e.id, result: e.result });
    };
    const onPackets = (b: PageBatch) => {
      setCaptures((cs) => cs.map((c) => (c.info.captureId !== b.captureId ? c : {
        ...c, stats: b.stats, note: b.note, running: b.stats.running, lines: [...c.lines, ...b.packets].slice(-KEEP_LINES),
        ...(b.unsent ? { unsent: b.unsent } : {}),
      })));
      const node = nodeOf.current.get(b.captureId);
      if (!node || b.packets.length === 0) return;
      const fresh: Dot[] = [];
      for (const p of b.packets.slice(-6)) {
        const m = packetMove(mapRef.current, node, p);
        if (m) fresh.push({ key: ++dotSeq.current, cable: m.cable, from: m.from, proto: p.proto });
      }
      if (!fresh.length) return;
      setDots((ds) => [...ds, ...fresh].slice(-MAX_DOTS));
      setFlown((n) => n + fresh.length);
      const keys = new Set(fresh.map((d) => d.key));
      setTimeout(() => setDots((ds) => ds.filter((d) => !keys.has(d.key))), DOT_LIFE_MS);
    };
    const onEnd = (e: { captureId: string; stats: CaptureStats }) => {
      setCaptures((cs) => cs.map((c) => (c.info.captureId === e.captureId ? { ...c, stats: e.stats, running: false } : c)));
    };
    socket.on('probe:result', onProbe);
    socket.on('capture:packets', onPackets);
    socket.on('capture:end', onEnd);
    return () => {
      socket.off('probe:result', onProbe);
      socket.off('capture:packets', onPackets);
      socket.off('capture:end', onEnd);
    };
  }, [socket]);

  // After a reload the session's captures are still listed (stopped, their pcaps downloadable).
  useEffect(() => {
    if (!socket || !sessionId) return;
    request(socket, 'capture:list', {}).then((list) => {
      for (const c of list) nodeOf.current.set(c.captureId, c.node);
      setCaptures((cs) => {
        const known = new Set(cs.map((c) => c.info.captureId));
        return [...cs, ...list.filter((c) => !known.has(c.captureId)).map((info) => ({ info, lines: [], stats: info.stats, running: info.stats.running }))];
      });
    }).catch(() => {});
  }, [socket, sessionId]);

  const runProbe = useCallback(async (from: string, to: string) => {
    if (!socket) return;
    try { await request(socket, 'probe:run', { from, to }, 60_000); } catch (e) { onError(`probe ${from} → ${to}: ${(e as Error).message}`); }
  }, [onError, socket]);

  const runMatrix = useCallback(async (nodes?: string[]) => {
    if (!socket) return;
    setMatrixBusy(true);
    // The table with the route walk's reasons comes fastest; a click on a red cell confirms it with a full probe.
    try { setMatrix(await request(socket, 'probe:matrix', nodes?.length ? { nodes, detail: 0 } : { detail: 0 }, 120_000)); }
    catch (e) { onError(`matrix: ${(e as Error).message}`); } finally { setMatrixBusy(false); }
  }, [onError, socket]);

  const startCapture = useCallback(async (node: string, iface: string, filter: string) => {
    if (!socket) return;
    try {
      const info = await request(socket, 'capture:start', filter.trim() ? { node, iface, filter: filter.trim() } : { node, iface }, 30_000);
      nodeOf.current.set(info.captureId, info.node);
      setCaptures((cs) => [{ info, lines: [], stats: info.stats, running: true }, ...cs.filter((c) => c.info.captureId !== info.captureId)]);
    } catch (e) { onError(`capture on ${node}:${iface}: ${(e as Error).message}`); }
  }, [onError, socket]);

  const stopCapture = useCallback(async (id: string) => {
    if (!socket) return;
    try {
      const stats = await request(socket, 'capture:stop', { captureId: id }, 15_000);
      setCaptures((cs) => cs.map((c) => (c.info.captureId === id ? { ...c, stats, running: false } : c)));
    } catch (e) { onError(`stop capture: ${(e as Error).message}`); }
  }, [onError, socket]);

  return { probes, show, dismiss: () => setShow(undefined), runProbe, matrix, matrixBusy, runMatrix, captures, startCapture, stopCapture, dots, flown };
}
