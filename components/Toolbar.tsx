'use client';
// The bar above the canvas: where you are, edit history, view, files, and Apply / Destroy.
import { useRef, useState, type ReactNode } from 'react';
import { Icon } from './icons';

interface Props {
  title: string;
  conn: 'connecting' | 'online' | 'offline';
  canUndo: boolean;
  canRedo: boolean;
  undoLabel?: string;
  redoLabel?: string;
  hasSelection: boolean;
  problems: number;
  drift: number;
  applying: boolean;
  sessionReady: boolean;
  onBack(): void;
  onUndo(): void;
  onRedo(): void;
  onLayout(): void;
  onFit(): void;
  onDelete(): void;
  onSave(format: 'yaml' | 'json'): void;
  onLoad(text: string, name: string): void;
  onExport(format: 'png' | 'svg'): void;
  onApply(): void;
  onDestroy(): void;
  /** The packets drawer (probe, matrix, capture). */
  packetsOpen: boolean;
  onPackets(): void;
  /** Workshop: this page presents its session; or another page does and this one may follow. */
  presenting: boolean;
  /** Only the instructor's page may present (everyone's, on a loopback server without tokens). */
  canPresent: boolean;
  onPresent(): void;
  demoLive: boolean;
  onFollow(): void;
  rosterOpen: boolean;
  onRoster(): void;
  themeToggle: ReactNode;
}

export default function Toolbar(p: Props) {
  const file = useRef<HTMLInputElement>(null);
  const [menu, setMenu] = useState<'save' | 'export' | null>(null);
  const connColor = p.conn === 'online' ? 'var(--ok)' : p.conn === 'connecting' ? 'var(--warn)' : 'var(--bad)';
  const applyTitle = !p.sessionReady ? 'waiting for the sandbox' : p.problems ? `fix ${p.problems} problem${p.problems > 1 ? 's' : ''} first (see the inspector)` : 'build the drawing in the kernel';
  return (
    <header className="panel relative z-30 flex h-12 flex-none items-center gap-1.5 border-b px-2" data-testid="toolbar">
      <button className="btn btn-icon" onClick={p.onBack} title="back to the labs (ends this session)" aria-label="back to the labs" data-testid="back-button">{Icon.back}</button>
      <div className="mr-2 flex min-w-0 flex-col leading-tight">
        <span className="text-[13.5px] font-extrabold">nsplay</span>
        <span className="muted truncate text-[11px]" data-testid="session-title">{p.title}</span>
      </div>
      <span className="mr-1 inline-block h-2 w-2 rounded-full" style={{ background: connColor }} title={`server: ${p.conn}`} data-testid="conn-state" data-state={p.conn} />
      <Sep />
      <button className="btn btn-icon" disabled={!p.canUndo} onClick={p.onUndo} title={`undo ${p.undoLabel ?? ''} (Ctrl+Z)`} aria-label="undo" data-testid="undo-button">{Icon.undo}</button>
      <button className="btn btn-icon" disabled={!p.canRedo} onClick={p.onRedo} title={`redo ${p.redoLabel ?? ''} (Ctrl+Shift+Z)`} aria-label="redo" data-testid="redo-button">{Icon.redo}</button>
      <button className="btn btn-icon" disabled={!p.hasSelection} onClick={p.onDelete} title="delete the selection (Del)" aria-label="delete" data-testid="delete-button">{Icon.trash}</button>
      <Sep />
      <button className="btn" onClick={p.onLayout} title="arrange the nodes automatically" data-testid="layout-button">{Icon.layout}Layout</button>
      <button className="btn btn-icon" onClick={p.onFit} title="fit the drawing in view" aria-label="fit view" data-testid="fit-button">{Icon.fit}</button>
      <Sep />
      <div className="relative">
        <button className="btn" onClick={() => setMenu(menu === 'save' ? null : 'save')} data-testid="save-button">{Icon.save}Save</button>
        {menu === 'save' && (
          <Dropdown onClose={() => setMenu(null)}>
            <DropItem onClick={() => p.onSave('yaml')} testid="save-yaml">Topology as YAML</DropItem>
            <DropItem onClick={() => p.onSave('json')} testid="save-json">Topology as JSON</DropItem>
          </Dropdown>
        )}
      </div>
      <button className="btn" onClick={() => file.current?.click()} title="open a .yaml or .json topology" data-testid="load-button">{Icon.load}Open</button>
      <input ref={file} type="file" accept=".yaml,.yml,.json,application/json,text/yaml" hidden data-testid="load-input"
        onChange={async (e) => {
          const f = e.target.files?.[0];
          if (f) p.onLoad(await f.text(), f.name);
          e.target.value = '';
        }} />
      <div className="relative">
        <button className="btn" onClick={() => setMenu(menu === 'export' ? null : 'export')} data-testid="export-button">{Icon.image}Export</button>
        {menu === 'export' && (
          <Dropdown onClose={() => setMenu(null)}>
            <DropItem onClick={() => p.onExport('png')} testid="export-png">Canvas as PNG</DropItem>
            <DropItem onClick={() => p.onExport('svg')} testid="export-svg">Canvas as SVG</DropItem>
          </Dropdown>
        )}
      </div>
      <div className="ml-auto flex items-center gap-1.5">
        {p.problems > 0 && <span className="chip" style={{ color: 'var(--bad)', borderColor: 'var(--bad)' }} data-testid="problem-count">{p.problems} problem{p.problems > 1 ? 's' : ''}</span>}
        {p.drift > 0 && <span className="chip" style={{ color: 'var(--warn)', borderColor: 'var(--warn)' }} title="the kernel differs from the drawing" data-testid="drift-count">{p.drift} drift</span>}
        {p.themeToggle}
        {p.demoLive && !p.presenting
          ? <button className="btn" onClick={p.onFollow} title="watch the instructor's canvas, read-only" data-testid="follow-button">Follow instructor</button>
          : p.canPresent && <button className={`btn ${p.presenting ? 'btn-on' : ''}`} onClick={p.onPresent} disabled={!p.sessionReady} aria-pressed={p.presenting}
              title={p.presenting ? 'stop presenting' : 'let every page follow this canvas, read-only (workshops)'} data-testid="present-button">
              {p.presenting ? 'Presenting' : 'Present'}
            </button>}
        {p.presenting && (
          <button className="btn" onClick={() => document.documentElement.classList.toggle('presenter')}
            title="presenter view: the lab's steps and commands in large type, for the projector" data-testid="presenter-view">Big</button>
        )}
        {p.presenting && (
          <button className={`btn ${p.rosterOpen ? 'btn-on' : ''}`} onClick={p.onRoster} aria-pressed={p.rosterOpen}
            title="who is connected, which step each attendee is on" data-testid="roster-button">Roster</button>
        )}
        <button className={`btn ${p.packetsOpen ? 'btn-on' : ''}`} onClick={p.onPackets} disabled={!p.sessionReady} aria-pressed={p.packetsOpen}
          title="probe reachability, see where packets die, capture live traffic" data-testid="packets-button">{Icon.packets}Packets</button>
        <button className="btn btn-danger" onClick={p.onDestroy} disabled={!p.sessionReady || p.applying} title="tear down everything this session built" data-testid="destroy-button">{Icon.stop}Destroy</button>
        <button className="btn btn-primary" onClick={p.onApply} disabled={!p.sessionReady || p.applying || p.problems > 0} title={applyTitle} data-testid="apply-button">
          {Icon.play}{p.applying ? 'Applying…' : 'Apply'}
        </button>
      </div>
    </header>
  );
}

function Sep() {
  return <span className="mx-0.5 h-6 w-px" style={{ background: 'var(--border)' }} />;
}

function Dropdown({ children, onClose }: { children: ReactNode; onClose(): void }) {
  return (
    <>
      <div className="fixed inset-0 z-40" onClick={onClose} />
      <div className="panel absolute left-0 top-9 z-50 min-w-[180px] rounded-md border py-1 shadow-lg" onClick={onClose}>{children}</div>
    </>
  );
}

function DropItem({ children, onClick, testid }: { children: ReactNode; onClick(): void; testid?: string }) {
  return <button className="block w-full px-3 py-1.5 text-left hover:bg-[var(--panel-2)]" onClick={onClick} data-testid={testid}>{children}</button>;
}

export function ThemeToggle({ dark, onToggle }: { dark: boolean; onToggle(): void }) {
  return (
    <button className="btn btn-icon" onClick={onToggle} title={dark ? 'light theme' : 'dark theme'} aria-label="toggle theme" data-testid="theme-toggle">
      {dark ? Icon.sun : Icon.moon}
    </button>
  );
}
