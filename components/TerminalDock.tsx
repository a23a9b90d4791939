'use client';
// The terminal dock: one tab per shell (xterm.js over socket.io to a node-pty on the server).
// The page acks what xterm has written, which is what the server's flow control waits for.
import { useEffect } from 'react';
import dynamic from 'next/dynamic';
import type { PageSocket } from '@/lib/socket';
import { Icon } from './icons';

export interface TermTab { id: number; node: string; exited?: string }

type Sink = (data: string, done: () => void) => void;

/** Routes `term:data` to the view of each terminal; keeps what arrives before a view is mounted. */
export class TerminalHub {
  private sinks = new Map<number, Sink>();
  private early = new Map<number, string[]>();
  constructor(private socket: PageSocket) {
    socket.on('term:data', ({ id, data }) => {
      const sink = this.sinks.get(id);
      if (sink) sink(data, () => this.ack(id, data));
      else {
        const list = this.early.get(id) ?? [];
        if (list.length < 2000) list.push(data);
        this.early.set(id, list);
      }
    });
  }
  private ack(id: number, data: string) {
    this.socket.emit('term:ack', { id, bytes: new TextEncoder().encode(data).length });
  }
  attach(id: number, sink: Sink): () => void {
    this.sinks.set(id, sink);
    for (const data of this.early.get(id) ?? []) sink(data, () => this.ack(id, data));
    this.early.delete(id);
    return () => { if (this.sinks.get(id) === sink) this.sinks.delete(id); };
  }
  forget(id: number) { this.sinks.delete(id); this.early.delete(id); }
}

// xterm is loaded with the first terminal (and fetched in the background once the dock is shown).
const loadTerminalView = () => import('./TerminalView');
const TerminalView = dynamic(loadTerminalView, { ssr: false });

interface DockProps {
  socket: PageSocket | null;
  hub: TerminalHub | null;
  tabs: TermTab[];
  active?: number;
  onActivate(id: number): void;
  onClose(id: number): void;
  onOpen(node: string): void;
  nodes: string[];
  dark: boolean;
}

export default function TerminalDock({ socket, hub, tabs, active, onActivate, onClose, onOpen, nodes, dark }: DockProps) {
  useEffect(() => {
    const t = setTimeout(() => { void loadTerminalView(); }, 1500);
    return () => clearTimeout(t);
  }, []);
  return (
    <section className="panel flex min-h-0 min-w-0 flex-1 flex-col" data-testid="terminal-dock">
      <div className="flex h-9 flex-none items-center gap-1 overflow-x-auto border-b px-2" style={{ borderColor: 'var(--border)' }}>
        <span className="section-title mr-2 flex items-center gap-1">{Icon.terminal}Terminals</span>
        {tabs.map((t) => (
          <div key={t.id} className="flex h-7 items-center rounded pl-2 text-[12px]" data-testid={`terminal-tab-${t.node}`}
            style={{ background: t.id === active ? 'var(--panel-2)' : 'transparent', fontWeight: t.id === active ? 600 : 400 }}>
            <button onClick={() => onActivate(t.id)} className="mono" style={{ opacity: t.exited ? 0.6 : 1 }}>{t.node}</button>
            <button className="ml-1 grid h-6 w-6 place-items-center rounded hover:bg-[var(--border)]" title="close (kills the shell)" aria-label={`close terminal ${t.node}`}
              onClick={() => onClose(t.id)} data-testid={`terminal-close-${t.node}`}>
              <span style={{ transform: 'scale(.7)', display: 'inline-flex' }}>{Icon.close}</span>
            </button>
          </div>
        ))}
        {nodes.length > 0 && (
          <select className="input ml-1" style={{ width: 'auto', height: 26 }} value="" aria-label="open a terminal in…" data-testid="terminal-open-select"
            onChange={(e) => { if (e.target.value) onOpen(e.target.value); }}>
            <option value="">+ open in…</option>
            {nodes.map((n) => <option key={n} value={n}>{n}</option>)}
          </select>
        )}
      </div>
      <div className="relative min-h-0 flex-1">
        {socket && hub && tabs.map((t) => <TerminalView key={t.id} socket={socket} hub={hub} tab={t} active={t.id === active} dark={dark} />)}
        {tabs.length === 0 && (
          <div className="muted grid h-full place-items-center p-4 text-center" data-testid="terminal-empty">
            <div>
              <div className="font-semibold" style={{ color: 'var(--text)' }}>No terminal open</div>
              <div className="mt-1">Double-click a node (or right-click → Open terminal) for a root shell inside it.<br />
                The <span className="mono">host</span> shell sees this session&apos;s namespaces: <span className="mono">ip netns exec netns1 ping 10.0.0.102</span> works there.</div>
            </div>
          </div>
        )}
      </div>
    </section>
  );
}
