'use client';
// The packets drawer: probe (ping / TCP from any node to any node or address), the all-pairs matrix,
// and live captures with tcpdump-like lines, counters when sampling, and the pcap to download.
import { useEffect, useMemo, useRef, useState } from 'react';
import { formatSummary } from '@/server/capture/parse-tcpdump';
import type { SessionStatus } from '@/server/session/types';
import type { CaptureView, Packets, ProbeLine } from './usePackets';

interface Props {
  packets: Packets;
  /** Nodes a probe can start from / a capture can run in (drawn, sandbox, made by hand). */
  nodes: string[];
  status?: SessionStatus;
  /** Appends the page's access token to a download URL when the server needs one. */
  withToken(url: string): string;
  onClose(): void;
}

const num = (n: number) => n.toLocaleString('en-US');

export default function PacketsPanel({ packets, nodes, status, withToken, onClose }: Props) {
  const observed = status?.observed.namespaces ?? {};
  const sources = useMemo(() => nodes.filter((n) => observed[n]), [nodes, observed]);
  const [from, setFrom] = useState('');
  const [to, setTo] = useState('');
  const fromValue = sources.includes(from) ? from : sources[0] ?? '';
  // Targets: every other node, and every address the kernel shows.
  const targets = useMemo(() => {
    const addrs = Object.values(observed).flatMap((ns) => ns.links.filter((l) => l.kind !== 'loopback').flatMap((l) => l.addresses.map((a) => a.split('/')[0])));
    return [...new Set([...sources.filter((n) => n !== fromValue), ...addrs])];
  }, [observed, sources, fromValue]);
  const [busy, setBusy] = useState(false);

  const [capNode, setCapNode] = useState('');
  const capNodeValue = sources.includes(capNode) ? capNode : sources[0] ?? '';
  const ifaces = useMemo(() => ['any', ...(observed[capNodeValue]?.links.filter((l) => l.kind !== 'loopback').map((l) => l.ifname) ?? [])], [observed, capNodeValue]);
  const [iface, setIface] = useState('any');
  const ifaceValue = ifaces.includes(iface) ? iface : 'any';
  const [filter, setFilter] = useState('');

  const run = async () => {
    if (!fromValue || !to.trim()) return;
    setBusy(true);
    try { await packets.runProbe(fromValue, to.trim()); } finally { setBusy(false); }
  };

  return (
    <aside className="panel flex min-h-0 w-[340px] flex-none flex-col border-l" data-testid="packets-panel">
      <div className="flex h-9 flex-none items-center gap-2 border-b px-3" style={{ borderColor: 'var(--border)' }}>
        <span className="section-title">Packets</span>
        <span className="muted text-xs">real packets from the kernel</span>
        <button className="btn ml-auto" style={{ height: 24 }} onClick={onClose} title="back to the inspector" data-testid="packets-close">Inspector ›</button>
      </div>
      <div className="min-h-0 flex-1 overflow-auto">
        <section className="border-b p-3" style={{ borderColor: 'var(--border)' }}>
          <div className="section-title mb-2">Probe</div>
          <form className="flex items-end gap-2" onSubmit={(e) => { e.preventDefault(); void run(); }}>
            <label className="flex min-w-0 flex-1 flex-col gap-1 text-xs">
              <span className="muted">from</span>
              <select className="input" value={fromValue} onChange={(e) => setFrom(e.target.value)} data-testid="probe-from">
                {sources.map((n) => <option key={n} value={n}>{n}</option>)}
              </select>
            </label>
            <label className="flex min-w-0 flex-[1.4] flex-col gap-1 text-xs">
              <span className="muted">to (node, address, addr:port)</span>
              <input className="input mono" list="probe-targets" value={to} onChange={(e) => setTo(e.target.value)} placeholder="10.0.0.102 or 1.1.1.1:80"
                data-testid="probe-to" spellCheck={false} />
              <datalist id="probe-targets">{targets.map((t) => <option key={t} value={t} />)}</datalist>
            </label>
            <button className="btn btn-primary" type="submit" disabled={busy || !fromValue || !to.trim()} data-testid="probe-run">{busy ? 'Probing…' : 'Probe'}</button>
          </form>
          <ul className="mt-2 space-y-1" data-testid="probe-results">
            {packets.probes.map((p) => <ProbeRow key={p.id} p={p} />)}
          </ul>
          <div className="mt-3 flex items-center gap-2">
            <button className="btn" onClick={() => void packets.runMatrix()} disabled={packets.matrixBusy || sources.length < 2} data-testid="matrix-run">
              {packets.matrixBusy ? 'Probing all pairs…' : 'Reachability matrix'}
            </button>
            {packets.matrix && <span className="muted text-xs">{packets.matrix.cells.filter((c) => c.ok).length}/{packets.matrix.cells.length} pairs reach · {Math.round(packets.matrix.ms.total)} ms · click a cell to probe it</span>}
          </div>
          {packets.matrix?.note && <p className="mt-1 text-xs" style={{ color: 'var(--warn)' }} data-testid="matrix-note">{packets.matrix.note}</p>}
          {packets.matrix && <MatrixTable m={packets.matrix} onCell={(from, address) => void packets.runProbe(from, address)} />}
        </section>

        <section className="p-3">
          <div className="section-title mb-2">Capture</div>
          <form className="grid grid-cols-[1fr_1fr] gap-2" onSubmit={(e) => { e.preventDefault(); if (capNodeValue) void packets.startCapture(capNodeValue, ifaceValue, filter); }}>
            <label className="flex flex-col gap-1 text-xs">
              <span className="muted">node</span>
              <select className="input" value={capNodeValue} onChange={(e) => setCapNode(e.target.value)} data-testid="capture-node">
                {sources.map((n) => <option key={n} value={n}>{n}</option>)}
              </select>
            </label>
            <label className="flex flex-col gap-1 text-xs">
              <span className="muted">interface</span>
              <select className="input mono" value={ifaceValue} onChange={(e) => setIface(e.target.value)} data-testid="capture-iface">
                {ifaces.map((i) => <option key={i} value={i}>{i}</option>)}
              </select>
            </label>
            <label className="col-span-2 flex flex-col gap-1 text-xs">
              <span className="muted">filter (tcpdump syntax, optional)</span>
              <div className="flex gap-2">
                <input className="input mono min-w-0 flex-1" value={filter} onChange={(e) => setFilter(e.target.value)} placeholder="icmp or tcp port 80" spellCheck={false} data-testid="capture-filter" />
                <button className="btn btn-primary" type="submit" disabled={!capNodeValue} data-testid="capture-start">Capture</button>
              </div>
            </label>
          </form>
          <div className="mt-3 space-y-3">
            {packets.captures.map((c) => (
              <CaptureBox key={c.info.captureId} c={c} onStop={() => void packets.stopCapture(c.info.captureId)} download={withToken(c.info.pcapUrl)} />
            ))}
            {packets.captures.length === 0 && (
              <p className="muted text-xs">Pick a node and interface and press Capture: every packet tcpdump sees is listed here (and flies along its cable on the canvas); download the pcap for Wireshark.</p>
            )}
          </div>
        </section>
      </div>
    </aside>
  );
}

function ProbeRow({ p }: { p: ProbeLine }) {
  const r = p.result;
  const state = p.error ? 'error' : !r ? 'running' : r.ok ? 'ok' : 'fail';
  return (
    <li className="rounded border px-2 py-1 text-xs" style={{ borderColor: 'var(--border)' }} data-testid="probe-result" data-state={state} data-reason={r?.reason ?? ''}>
      <div className="flex gap-2">
        <span style={{ color: state === 'ok' ? 'var(--ok)' : state === 'running' ? 'var(--muted)' : 'var(--bad)' }}>{state === 'ok' ? '✓' : state === 'running' ? '…' : '✗'}</span>
        <span className="mono">{p.from} → {p.to}</span>
        <span className="muted ml-auto">{r ? `${r.ms} ms` : ''}</span>
      </div>
      {r?.ok && <div className="muted">{r.rtt_ms !== undefined ? `rtt ${r.rtt_ms} ms` : 'answered'}{r.http ? ` · HTTP ${r.http.status}` : ''} · {r.path.filter((h) => h.leg === 'request').length} hops out</div>}
      {r && !r.ok && (
        <div>
          <b>{r.reason}</b> at <span className="mono">{r.hop?.node}{r.hop?.interface ? `:${r.hop.interface}` : ''}</span>
          {r.detail && <div className="muted">{r.detail}</div>}
        </div>
      )}
      {p.error && <div style={{ color: 'var(--bad)' }}>{p.error}</div>}
    </li>
  );
}

function MatrixTable({ m, onCell }: { m: NonNullable<Packets['matrix']>; onCell(from: string, address: string): void }) {
  const cell = (from: string, to: string) => m.cells.find((c) => c.from === from && c.to === to);
  return (
    <div className="mt-2 overflow-auto">
      <table className="mono text-[11px]" data-testid="matrix-table">
        <thead>
          <tr><th className="muted px-1 text-left">from \ to</th>{m.nodes.map((n) => <th key={n} className="px-1">{n}</th>)}</tr>
        </thead>
        <tbody>
          {m.nodes.map((f) => (
            <tr key={f}>
              <th className="px-1 text-left">{f}</th>
              {m.nodes.map((t) => {
                const c = cell(f, t);
                if (!c) return <td key={t} className="muted px-1 text-center">·</td>;
                const title = c.ok ? `${f} → ${t} (${c.address}) ok${c.rtt_ms !== undefined ? `, ${c.rtt_ms} ms` : ''}`
                  : `${f} → ${t} (${c.address}): ${c.reason ?? 'fails'}${c.hop ? ` at ${c.hop.node}${c.hop.interface ? `:${c.hop.interface}` : ''}` : ''}${c.detail ? `\n${c.detail}` : ''}${c.evidence === 'walk' ? '\n(from the route walk; click to probe it for real)' : ''}`;
                return (
                  <td key={t} title={title} className="cursor-pointer px-1 text-center" data-testid="matrix-cell" data-ok={c.ok}
                    onClick={() => onCell(f, c.address)}
                    style={{ background: c.ok ? 'color-mix(in srgb, var(--ok) 22%, transparent)' : 'color-mix(in srgb, var(--bad) 22%, transparent)' }}>
                    {c.ok ? '✓' : '✗'}
                  </td>
                );
              })}
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}

function CaptureBox({ c, onStop, download }: { c: CaptureView; onStop(): void; download: string }) {
  const list = useRef<HTMLDivElement | null>(null);
  const [follow, setFollow] = useState(true);
  useEffect(() => { if (follow && list.current) list.current.scrollTop = list.current.scrollHeight; }, [c.lines, follow]);
  const s = c.stats;
  return (
    <div className="rounded border" style={{ borderColor: 'var(--border)' }} data-testid="capture" data-running={c.running} data-capture={c.info.captureId}>
      <div className="flex items-center gap-2 border-b px-2 py-1 text-xs" style={{ borderColor: 'var(--border)' }}>
        <span className={`inline-block h-2 w-2 rounded-full ${c.running ? 'animate-pulse' : ''}`} style={{ background: c.running ? 'var(--bad)' : 'var(--muted)' }} />
        <span className="mono font-semibold">{c.info.node}:{c.info.iface}</span>
        {c.info.filter && <span className="mono muted truncate">{c.info.filter}</span>}
        <span className="ml-auto flex gap-1">
          {c.running && <button className="btn" style={{ height: 22 }} onClick={onStop} data-testid="capture-stop">Stop</button>}
          <a className="btn" style={{ height: 22 }} href={download} download data-testid="capture-download">pcap</a>
        </span>
      </div>
      <div className="muted flex flex-wrap gap-x-3 px-2 py-1 text-[11px]" data-testid="capture-stats">
        <span>{num(s.packets)} packets</span>
        {s.sampling > 1 && <span style={{ color: 'var(--warn)' }}>showing 1 in {s.sampling}</span>}
        {s.dropped > 0 && <span style={{ color: 'var(--warn)' }}>{num(s.dropped)} not shown (decoder busy)</span>}
        {(c.unsent ?? 0) > 0 && <span style={{ color: 'var(--warn)' }}>{num(c.unsent!)} not sent (this page fell behind)</span>}
        {s.kernelDropped > 0 && <span style={{ color: 'var(--bad)' }}>{num(s.kernelDropped)} dropped by the kernel</span>}
        <span>pcap {num(s.pcapPackets)} packets{s.pcapCapped ? ' (size cap reached)' : ''}</span>
      </div>
      {c.note && <div className="px-2 text-[11px]" style={{ color: 'var(--warn)' }}>{c.note}</div>}
      <div ref={list} className="mono max-h-[220px] overflow-auto px-2 pb-1 text-[11px] leading-[1.45]"
        onScroll={(e) => { const el = e.currentTarget; setFollow(el.scrollTop + el.clientHeight >= el.scrollHeight - 8); }} data-testid="capture-lines">
        {c.lines.map((p, i) => <div key={i} className="whitespace-pre" data-testid="capture-line" data-proto={p.proto}>{formatSummary(p)}</div>)}
        {c.lines.length === 0 && <div className="muted py-1">{c.running ? 'Waiting for packets… (try a ping)' : 'No packets.'}</div>}
      </div>
    </div>
  );
}
