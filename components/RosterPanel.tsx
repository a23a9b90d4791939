'use client';
// The instructor's roster: every connected session, the lab step it is on, how many steps passed, who
// has been stuck on a step for a while; "send everyone to step K" and a per-attendee lab reset.
import { useCallback, useEffect, useState } from 'react';
import { request, type PageSocket } from '@/lib/socket';
import type { RosterEntry } from '@/server/realtime/contract';

/** On one step longer than this: marked stuck. */
const STUCK_MS = 10 * 60_000;

const ago = (ms: number) => (ms < 60_000 ? `${Math.round(ms / 1000)} s` : `${Math.round(ms / 60_000)} min`);

export default function RosterPanel({ socket, onClose, onError }: { socket: PageSocket; onClose(): void; onError(text: string): void }) {
  const [rows, setRows] = useState<RosterEntry[] | null>(null);
  const [step, setStep] = useState(1);
  const [now, setNow] = useState(() => Date.now());

  const refresh = useCallback(async () => {
    try { setRows(await request(socket, 'roster:list', {}, 30_000)); setNow(Date.now()); } catch (e) { onError(`roster: ${(e as Error).message}`); }
  }, [onError, socket]);
  useEffect(() => {
    void refresh();
    const t = setInterval(() => void refresh(), 3000);
    return () => clearInterval(t);
  }, [refresh]);

  const attendees = (rows ?? []).filter((r) => !r.presenter);
  return (
    <aside className="panel flex min-h-0 w-[340px] flex-none flex-col border-l" data-testid="roster-panel">
      <div className="flex h-9 flex-none items-center gap-2 border-b px-3" style={{ borderColor: 'var(--border)' }}>
        <span className="section-title">Roster</span>
        <span className="muted text-xs">{attendees.length} attendee session{attendees.length === 1 ? '' : 's'}</span>
        <button className="btn ml-auto" style={{ height: 24 }} onClick={onClose} data-testid="roster-close">Inspector ›</button>
      </div>
      <div className="flex items-center gap-2 border-b px-3 py-2" style={{ borderColor: 'var(--border)' }}>
        <span className="text-xs">Send everyone to step</span>
        <input className="input w-16" type="number" min={1} max={99} value={step} onChange={(e) => setStep(Math.max(1, Math.min(99, Number(e.target.value) || 1)))} data-testid="roster-step" />
        <button className="btn" onClick={() => request(socket, 'roster:goto', { step: step - 1 }).catch((e: Error) => onError(e.message))} data-testid="roster-goto">Go</button>
      </div>
      <div className="min-h-0 flex-1 overflow-auto">
        {rows === null && <p className="muted p-3">Loading…</p>}
        {rows !== null && attendees.length === 0 && <p className="muted p-3">No attendee is connected yet. They open the attendees&apos; URL and pick a lab, or follow you.</p>}
        <ul>
          {attendees.map((r) => {
            const stuck = r.step !== undefined && r.steps !== undefined && r.step <= r.steps && r.since !== undefined && now - r.since > STUCK_MS;
            return (
              <li key={r.sessionId} className="border-b px-3 py-2 text-[12.5px]" style={{ borderColor: 'var(--border)' }}
                data-testid="roster-row" data-session={r.sessionId} data-step={r.step ?? ''} data-stuck={stuck}>
                <div className="flex items-center gap-2">
                  <span className="mono font-semibold">{r.sessionId}</span>
                  <span className="muted">{r.lab ? `lab ${r.lab}` : 'own drawing'}</span>
                  <span className="muted ml-auto">{r.pages} page{r.pages === 1 ? '' : 's'} · {ago(now - r.openedAt)}</span>
                </div>
                {r.step !== undefined && r.steps !== undefined && (
                  <div className="mt-1 flex items-center gap-2">
                    <span>{r.step > r.steps ? 'done' : `step ${r.step}/${r.steps}`}</span>
                    <span className="muted">{r.passed} passed</span>
                    {stuck && <span className="chip" style={{ color: 'var(--warn)', borderColor: 'var(--warn)' }}>stuck {ago(now - r.since!)}</span>}
                    <button className="btn btn-danger ml-auto" style={{ height: 22 }} title="reset this attendee's lab (their terminals close)"
                      onClick={() => request(socket, 'roster:reset', { sessionId: r.sessionId }, 120_000).then(() => refresh()).catch((e: Error) => onError(e.message))}
                      data-testid="roster-reset">Reset lab</button>
                  </div>
                )}
              </li>
            );
          })}
        </ul>
      </div>
    </aside>
  );
}
