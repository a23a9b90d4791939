'use client';
// Apply, in two moves: a preview of what will run ("3 commands will run"), then per-step progress
// (command, ✓/✗, stderr, and what was rolled back when a step failed).
import type { Step } from '@/server/plan/step';
import { commandLine } from '@/server/plan/script';
import type { ApplyResult, StepEvent } from '@/server/session/types';
import { Icon } from './icons';

export type ApplyState =
  | { phase: 'previewing' }
  | { phase: 'confirm'; steps: Step[] }
  | { phase: 'running'; steps: Step[]; events: Record<number, StepEvent> }
  | { phase: 'done'; steps: Step[]; events: Record<number, StepEvent>; result: ApplyResult }
  | { phase: 'error'; message: string; steps?: Step[]; events?: Record<number, StepEvent> };

interface Props { state: ApplyState; onConfirm(): void; onClose(): void }

export default function ApplyPanel({ state, onConfirm, onClose }: Props) {
  const closable = state.phase !== 'running' && state.phase !== 'previewing';
  return (
    <div className="panel absolute right-3 top-3 z-20 flex max-h-[calc(100%-24px)] w-[520px] flex-col rounded-lg border shadow-xl" data-testid="apply-panel" data-phase={state.phase}>
      <div className="flex items-center gap-2 border-b px-3 py-2" style={{ borderColor: 'var(--border)' }}>
        <div className="font-bold">{title(state)}</div>
        {closable && <button className="btn btn-icon ml-auto" style={{ height: 26, width: 26 }} onClick={onClose} aria-label="close" data-testid="apply-close">{Icon.close}</button>}
      </div>
      <div className="min-h-0 flex-1 overflow-auto">
        {state.phase === 'previewing' && <div className="muted p-3">Comparing the drawing with the kernel…</div>}
        {state.phase === 'confirm' && (state.steps.length === 0
          ? <div className="p-3">Nothing to do: the kernel already has everything in the drawing.</div>
          : <StepList steps={state.steps} />)}
        {(state.phase === 'running' || state.phase === 'done') && <StepList steps={state.steps} events={state.events} />}
        {state.phase === 'done' && state.result.error && <Failure result={state.result} />}
        {state.phase === 'error' && (
          <>
            <div className="field-error whitespace-pre-wrap p-3" style={{ fontSize: 12.5 }} data-testid="apply-error">{state.message}</div>
            {state.steps && <StepList steps={state.steps} events={state.events} />}
          </>
        )}
      </div>
      <div className="flex items-center gap-2 border-t px-3 py-2" style={{ borderColor: 'var(--border)' }}>
        {state.phase === 'confirm' && state.steps.length > 0 && (
          <>
            <span className="muted text-[12px]">Runs in this session&apos;s sandbox only.</span>
            <button className="btn ml-auto" onClick={onClose}>Cancel</button>
            <button className="btn btn-primary" onClick={onConfirm} data-testid="apply-confirm">{Icon.play}Run {state.steps.length} command{state.steps.length > 1 ? 's' : ''}</button>
          </>
        )}
        {state.phase === 'confirm' && state.steps.length === 0 && <button className="btn ml-auto" onClick={onClose}>Close</button>}
        {state.phase === 'running' && <span className="muted text-[12px]">Running… {Object.values(state.events).filter((e) => e.status === 'ok').length} / {state.steps.length}</span>}
        {state.phase === 'done' && (
          <>
            <span className="text-[12.5px]" style={{ color: state.result.ok ? 'var(--ok)' : 'var(--bad)' }} data-testid="apply-outcome">
              {state.result.ok ? `Done: ${state.result.results.length} command${state.result.results.length === 1 ? '' : 's'} ran${state.result.skipped ? `, ${state.result.skipped} already true` : ''}.` : 'Failed; the sandbox was returned to how it was.'}
            </span>
            <button className="btn ml-auto" onClick={onClose}>Close</button>
          </>
        )}
        {state.phase === 'error' && <button className="btn ml-auto" onClick={onClose}>Close</button>}
      </div>
    </div>
  );
}

function title(s: ApplyState): string {
  switch (s.phase) {
    case 'previewing': return 'Apply: preview';
    case 'confirm': return s.steps.length === 0 ? 'Apply: up to date' : `${s.steps.length} command${s.steps.length > 1 ? 's' : ''} will run`;
    case 'running': return 'Applying…';
    case 'done': return s.result.ok ? 'Applied' : 'Apply failed';
    case 'error': return 'Apply refused';
  }
}

function StepList({ steps, events }: { steps: Step[]; events?: Record<number, StepEvent> }) {
  return (
    <ol className="py-1">
      {steps.map((s, i) => {
        const e = events?.[i];
        const mark = !e ? <span className="muted">·</span> : e.status === 'ok' ? <span style={{ color: 'var(--ok)' }}>✓</span>
          : e.status === 'failed' ? <span style={{ color: 'var(--bad)' }}>✗</span> : e.status === 'undone' ? <span style={{ color: 'var(--warn)' }}>↶</span>
          : <span className="inline-block animate-spin">◌</span>;
        return (
          <li key={`${s.id}-${i}`} className="flex gap-2 px-3 py-1" data-testid="apply-step" data-status={e?.status ?? 'pending'}>
            <span className="w-4 flex-none text-center font-bold">{mark}</span>
            <div className="min-w-0">
              <div className="mono break-all text-[11.5px]">{commandLine(s)}</div>
              <div className="muted text-[11px]">{s.why}{e?.ms !== undefined ? ` · ${Math.round(e.ms)} ms` : ''}</div>
              {e?.stderr && <pre className="mono mt-0.5 whitespace-pre-wrap text-[11px]" style={{ color: 'var(--bad)' }}>{e.stderr}</pre>}
            </div>
          </li>
        );
      })}
    </ol>
  );
}

function Failure({ result }: { result: ApplyResult }) {
  const err = result.error!;
  return (
    <div className="m-3 rounded-md border p-2" style={{ borderColor: 'var(--bad)' }} data-testid="apply-failure">
      <div className="font-semibold" style={{ color: 'var(--bad)' }}>This command failed:</div>
      <div className="mono text-[11.5px]">{commandLine(err.step)}</div>
      <pre className="mono mt-1 whitespace-pre-wrap text-[11.5px]">{err.stderr || '(no error output)'}</pre>
      <div className="mt-2 font-semibold">Rolled back ({err.rolledBack.length}):</div>
      {err.rolledBack.length === 0 ? <div className="muted">nothing had changed</div>
        : err.rolledBack.map((s, i) => <div key={i} className="mono text-[11.5px]">{s.undo ? commandLine(s, s.undo) : commandLine(s)}</div>)}
    </div>
  );
}
