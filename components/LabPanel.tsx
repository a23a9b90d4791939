'use client';
// The lab panel: the session's lab as a lesson beside the canvas. Each step shows its prose, its
// commands and the sentences of its checks; "Run" types the commands into the host terminal (the
// learner sees them run), then asks the server to evaluate the step's checks against the kernel
// (`lab:check`); "Check" evaluates without running. Progress lives on the server and survives a reload.
import { Fragment, useCallback, useEffect, useRef, useState } from 'react';
import type { LabProgress, LabState, LabView } from '@/server/realtime/contract';
import { request, type PageSocket } from '@/lib/socket';

type LabStepView = LabView['steps'][number];
type StepStatus = 'pending' | 'passed' | 'failed';

interface Props {
  socket: PageSocket;
  /** Changes when the page is attached to another session (or re-attached): reload the lab. */
  sessionId: string;
  /** The id of an open shell in the session's host, opening one when there is none. */
  hostTerminal(): Promise<number>;
  /** The lab was reset: the old shells are gone with the old namespaces. */
  onReset(): void;
  onError(text: string): void;
  /** A passing message (the instructor moved everyone to a step). */
  onInfo?(text: string): void;
}

/** Inline Markdown the labs use: `code` and **bold**; paragraphs on blank lines. */
function Prose({ text }: { text: string }) {
  return (
    <>
      {text.split(/\n{2,}/).map((para, i) => (
        <p key={i} className="mt-1.5 leading-snug">
          {para.split(/(`[^`]+`|\*\*[^*]+\*\*)/).map((part, j) => part.startsWith('`') && part.endsWith('`') && part.length > 1
            ? <code key={j} className="mono rounded px-1 text-[11.5px]" style={{ background: 'var(--panel-2)' }}>{part.slice(1, -1)}</code>
            : part.startsWith('**') && part.endsWith('**') && part.length > 4 ? <b key={j}>{part.slice(2, -2)}</b> : <Fragment key={j}>{part}</Fragment>)}
        </p>
      ))}
    </>
  );
}

const ANSI = /\x1b\[[0-9;?]*[ -/]*[@-~]|\x1b\][^\x07\x1b]*(?:\x07|\x1b\\)|\x1b[()][0-9A-Za-z]|\x1b[=>]/g;

/**
 * Types one line into a terminal and resolves when the shell shows its prompt again (the output ends
 * in `# ` or `$ ` and stays quiet a moment), or after `maxMs` at the latest.
 */
function typeLine(socket: PageSocket, id: number, line: string | null, maxMs: number): Promise<void> {
  return new Promise((resolve) => {
    let tail = '';
    let quiet: ReturnType<typeof setTimeout> | undefined;
    const finish = () => {
      clearTimeout(quiet);
      clearTimeout(limit);
      socket.off('term:data', onData);
      resolve();
    };
    const limit = setTimeout(finish, maxMs);
    const atPrompt = () => /[#$] ?$/.test(tail.replace(ANSI, '').replace(/\r/g, '').trimEnd() + ' ');
    const onData = (p: { id: number; data: string }) => {
      if (p.id !== id) return;
      tail = (tail + p.data).slice(-400);
      clearTimeout(quiet);
      if (atPrompt()) quiet = setTimeout(finish, 250);
    };
    socket.on('term:data', onData);
    // A fresh shell that printed its prompt before we listened: give up waiting once it is quiet.
    if (line === null) quiet = setTimeout(finish, 1500);
    else socket.emit('term:input', { id, data: `${line}\r` });
  });
}

export function stepStatus(p: LabProgress | undefined, i: number): StepStatus {
  const s = p?.steps[i];
  if (!s) return 'pending';
  if (s.passed) return 'passed';
  return s.checkedAt !== undefined && s.checks.length > 0 ? 'failed' : 'pending';
}

export default function LabPanel({ socket, sessionId, hostTerminal, onReset, onError, onInfo }: Props) {
  const [state, setState] = useState<LabState | null>(null);
  const [loadError, setLoadError] = useState<string | undefined>();
  const [busy, setBusy] = useState<{ step?: number; what: 'run' | 'check' | 'reset' } | null>(null);
  const [open, setOpen] = useState<Set<number>>(new Set());
  const busyRef = useRef(false);

  const setProgress = useCallback((progress: LabProgress) => {
    setState((s) => (s && s.progress.sessionId === progress.sessionId ? { ...s, progress } : s));
    setOpen((o) => (o.has(progress.current) ? o : new Set(o).add(progress.current)));
  }, []);

  useEffect(() => {
    let live = true;
    setLoadError(undefined);
    request(socket, 'lab:load', {}, 60_000)
      .then((s) => { if (live) { setState(s); setOpen(new Set([Math.min(s.progress.current, s.lab.steps.length - 1)])); } })
      .catch((e: Error) => { if (live) setLoadError(e.message); });
    const onProgress = (p: LabProgress) => setProgress(p);
    // The instructor sends everyone to a step: open it and bring it into view.
    const onGoto = ({ step }: { step: number }) => {
      setOpen((o) => new Set(o).add(step));
      setTimeout(() => listRef.current?.querySelector(`[data-testid="lab-step-${step + 1}"]`)?.scrollIntoView({ block: 'start', behavior: 'smooth' }), 50);
      (onInfo ?? onError)(`The instructor asks everyone to go to step ${step + 1}.`);
    };
    socket.on('lab:progress', onProgress);
    socket.on('lab:goto', onGoto);
    return () => { live = false; socket.off('lab:progress', onProgress); socket.off('lab:goto', onGoto); };
  }, [socket, sessionId, setProgress]);

  // Keep the step the learner is on in view as the lab moves on.
  const listRef = useRef<HTMLOListElement>(null);
  const current = state?.progress.current;
  useEffect(() => {
    if (current === undefined) return;
    listRef.current?.querySelector(`[data-testid="lab-step-${current + 1}"]`)?.scrollIntoView({ block: 'nearest', behavior: 'smooth' });
  }, [current]);

  const guard = async (b: NonNullable<typeof busy>, fn: () => Promise<void>) => {
    if (busyRef.current) return;
    busyRef.current = true;
    setBusy(b);
    try { await fn(); } catch (e) { onError((e as Error).message); } finally { busyRef.current = false; setBusy(null); }
  };

  const check = (i: number) => guard({ step: i, what: 'check' }, async () => {
    const r = await request(socket, 'lab:check', { step: i }, 180_000);
    setProgress(r.progress);
  });

  const run = (i: number, step: LabStepView) => guard({ step: i, what: 'run' }, async () => {
    setOpen((o) => new Set(o).add(i));
    const id = await hostTerminal();
    await typeLine(socket, id, null, 5000);
    const lines = (step.commands ?? '').split('\n').map((l) => l.trimEnd()).filter((l) => l.trim() !== '');
    const perLine = Math.min(step.timeoutSec, 120) * 1000;
    for (const line of lines) await typeLine(socket, id, line, perLine);
    const r = await request(socket, 'lab:check', { step: i }, 180_000);
    setProgress(r.progress);
  });

  const reset = () => guard({ what: 'reset' }, async () => {
    const progress = await request(socket, 'lab:reset', {}, 180_000);
    onReset();
    setProgress(progress);
    setOpen(new Set([0]));
  });

  if (!state) {
    return (
      <aside className="panel flex w-[380px] flex-none flex-col border-r p-3" style={{ borderColor: 'var(--border)' }} data-testid="lab-panel">
        <div className={loadError ? '' : 'muted'} style={loadError ? { color: 'var(--bad)' } : undefined}>{loadError ?? 'Loading the lab…'}</div>
      </aside>
    );
  }
  const { lab, progress } = state;
  const done = progress.steps.filter((s) => s.passed).length;

  return (
    <aside className="panel flex w-[380px] flex-none flex-col border-r" style={{ borderColor: 'var(--border)' }} data-testid="lab-panel" data-lab={lab.id}>
      <div className="flex-none border-b p-3" style={{ borderColor: 'var(--border)' }}>
        <div className="section-title">Lab {lab.id}</div>
        <div className="mt-0.5 text-[15px] font-bold leading-tight" data-testid="lab-title">{lab.title}</div>
        {lab.summary && <div className="muted mt-1 text-[12px] leading-snug">{lab.summary}</div>}
        <div className="mt-2 flex items-center gap-2">
          <div className="h-1.5 flex-1 overflow-hidden rounded" style={{ background: 'var(--panel-2)' }}>
            <div className="h-full" style={{ width: `${(100 * done) / Math.max(1, lab.steps.length)}%`, background: 'var(--ok)' }} />
          </div>
          <span className="muted text-[12px]" data-testid="lab-progress">{done}/{lab.steps.length}</span>
          <button className="btn" style={{ height: 26 }} disabled={!!busy} onClick={() => void reset()} data-testid="lab-reset"
            title="Back to the lab's start: new namespaces, progress cleared (terminals are closed)">
            {busy?.what === 'reset' ? 'Resetting…' : 'Reset lab'}
          </button>
        </div>
      </div>
      <ol ref={listRef} className="min-h-0 flex-1 overflow-y-auto p-2">
        {lab.steps.map((step, i) => {
          const st = stepStatus(progress, i);
          const sp = progress.steps[i];
          const expanded = open.has(i) || busy?.step === i;
          const isCurrent = i === progress.current;
          const mark = st === 'passed' ? '✓' : st === 'failed' ? '✗' : String(i + 1);
          const color = st === 'passed' ? 'var(--ok)' : st === 'failed' ? 'var(--bad)' : isCurrent ? 'var(--accent)' : 'var(--muted)';
          return (
            <li key={i} className="mb-2 rounded-lg border" data-testid={`lab-step-${i + 1}`} data-status={st}
              style={{ borderColor: isCurrent ? 'var(--accent)' : 'var(--border)' }}>
              <button className="flex w-full items-start gap-2 p-2 text-left" onClick={() => setOpen((o) => { const n = new Set(o); if (n.has(i)) n.delete(i); else n.add(i); return n; })}
                aria-expanded={expanded}>
                <span className="grid h-5 w-5 flex-none place-items-center rounded-full text-[11px] font-bold text-white" style={{ background: color }}>{mark}</span>
                <span className="font-semibold leading-tight">{step.title}</span>
              </button>
              {expanded && (
                <div className="px-2 pb-2 text-[12.5px]">
                  {step.body && <Prose text={step.body} />}
                  {step.commands && (
                    <pre className="mono mt-2 overflow-x-auto rounded p-2 text-[11.5px] leading-snug" style={{ background: 'var(--panel-2)' }} data-testid={`lab-commands-${i + 1}`}>{step.commands.trimEnd()}</pre>
                  )}
                  {step.adapted.length > 0 && (
                    <ul className="muted mt-1.5 text-[11.5px]">
                      {step.adapted.map((a, k) => <li key={k}><b>adapted:</b> {a}</li>)}
                    </ul>
                  )}
                  {step.hints.length > 0 && (
                    <ul className="mt-1.5 text-[12px]">{step.hints.map((h, k) => <li key={k}>💡 <Prose text={h} /></li>)}</ul>
                  )}
                  {step.notes.map((n, k) => (
                    <details key={k} className="mt-1.5 rounded border px-2 py-1" style={{ borderColor: 'var(--border)' }}>
                      <summary className="cursor-pointer font-semibold">{n.faq ? 'FAQ: ' : 'Note: '}{n.title}</summary>
                      <Prose text={n.text} />
                    </details>
                  ))}
                  <div className="section-title mt-2">Checks</div>
                  <ul className="mt-1 space-y-0.5" data-testid={`lab-checks-${i + 1}`}>
                    {step.checkLabels.map((label, k) => {
                      const r = sp?.checks.find((c) => c.index === k);
                      return (
                        <li key={k} className="flex gap-1.5 leading-snug" data-check-ok={r ? String(r.ok) : undefined}>
                          <span style={{ color: r ? (r.ok ? 'var(--ok)' : 'var(--bad)') : 'var(--muted)' }}>{r ? (r.ok ? '✓' : '✗') : '•'}</span>
                          <span>{label}{r && !r.ok && r.detail ? <span style={{ color: 'var(--bad)' }}> — {r.detail}</span> : null}</span>
                        </li>
                      );
                    })}
                  </ul>
                </div>
              )}
              <div className="px-2 pb-2">
                <div className="flex gap-2">
                  <button className="btn btn-primary" style={{ height: 26 }} disabled={!!busy || !step.commands} onClick={() => void run(i, step)} data-testid={`lab-run-${i + 1}`}
                    title="Type these commands into the host terminal, then check the kernel">
                    {busy?.step === i && busy.what === 'run' ? 'Running…' : 'Run'}
                  </button>
                  <button className="btn" style={{ height: 26 }} disabled={!!busy} onClick={() => void check(i)} data-testid={`lab-check-${i + 1}`}
                    title="Check the kernel now (typed by hand or drawn: the kernel decides)">
                    {busy?.step === i && busy.what === 'check' ? 'Checking…' : 'Check'}
                  </button>
                </div>
              </div>
            </li>
          );
        })}
      </ol>
    </aside>
  );
}
