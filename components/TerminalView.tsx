'use client';
// One terminal's view: xterm.js bound to a shell through the TerminalHub. Its own module so the page
// loads xterm (the largest library it uses) only when a terminal is shown, not before the start screen.
import { useEffect, useRef } from 'react';
import { Terminal } from '@xterm/xterm';
import { FitAddon } from '@xterm/addon-fit';
import type { PageSocket } from '@/lib/socket';
import type { TermTab, TerminalHub } from './TerminalDock';

const THEMES = {
  dark: { background: '#0b0f14', foreground: '#d8e1ea', cursor: '#7dd3fc', selectionBackground: '#33415580' },
  light: { background: '#fbfbfc', foreground: '#1b1f24', cursor: '#2563eb', selectionBackground: '#93c5fd80', black: '#1b1f24', white: '#8b98a8', brightWhite: '#5f6b7a' },
};

export default function TerminalView({ socket, hub, tab, active, dark }: { socket: PageSocket; hub: TerminalHub; tab: TermTab; active: boolean; dark: boolean }) {
  const el = useRef<HTMLDivElement>(null);
  const term = useRef<Terminal | null>(null);
  const fit = useRef<FitAddon | null>(null);

  useEffect(() => {
    const t = new Terminal({
      fontFamily: 'ui-monospace, "DejaVu Sans Mono", Menlo, monospace', fontSize: 13, cursorBlink: true, scrollback: 5000,
      theme: dark ? THEMES.dark : THEMES.light, allowProposedApi: false,
    });
    const f = new FitAddon();
    t.loadAddon(f);
    t.open(el.current!);
    term.current = t;
    fit.current = f;
    let last = '';
    const resize = () => {
      if (!el.current || el.current.offsetParent === null) return; // hidden tab
      try { f.fit(); } catch { return; }
      const size = `${t.cols}x${t.rows}`;
      if (size !== last && t.cols > 0 && t.rows > 0) {
        last = size;
        socket.emit('term:resize', { id: tab.id, cols: Math.min(500, t.cols), rows: Math.min(500, t.rows) });
      }
    };
    resize();
    const detach = hub.attach(tab.id, (data, done) => t.write(data, done));
    const input = t.onData((data) => socket.emit('term:input', { id: tab.id, data }));
    const onExit = (p: { id: number; code: number }) => { if (p.id === tab.id) t.write(`\r\n\x1b[2m[shell exited with code ${p.code}]\x1b[0m\r\n`); };
    let droppedShown = 0;
    const onDropped = (p: { id: number; bytes: number }) => {
      if (p.id !== tab.id || Date.now() - droppedShown < 2000) return;
      droppedShown = Date.now();
      t.write(`\r\n\x1b[33m[output too fast: ${p.bytes} bytes dropped]\x1b[0m\r\n`);
    };
    socket.on('term:exit', onExit);
    socket.on('term:dropped', onDropped);
    const ro = new ResizeObserver(() => resize());
    ro.observe(el.current!);
    return () => {
      ro.disconnect();
      detach();
      input.dispose();
      socket.off('term:exit', onExit);
      socket.off('term:dropped', onDropped);
      t.dispose();
    };
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [tab.id]);

  useEffect(() => { if (term.current) term.current.options.theme = dark ? THEMES.dark : THEMES.light; }, [dark]);
  useEffect(() => {
    if (!active) return;
    requestAnimationFrame(() => { try { fit.current?.fit(); } catch { /* hidden */ } term.current?.focus(); });
  }, [active]);

  return <div ref={el} className="absolute inset-0" style={{ display: active ? 'block' : 'none', background: dark ? THEMES.dark.background : THEMES.light.background }}
    data-testid={`terminal-${tab.node}`} data-term-id={tab.id} />;
}
