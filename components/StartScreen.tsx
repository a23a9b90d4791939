'use client';
// What a first-time visitor sees: the labs, lab 1 ready to open, and a blank canvas one click away.
import type { LabSummary } from '@/server/session/types';
import { KindIcon } from './icons';

interface Props {
  labs: LabSummary[] | null;
  error?: string;
  busy?: string;
  onOpenLab(id: string): void;
  onBlank(): void;
  themeToggle: React.ReactNode;
  /** An instructor is presenting: offer to follow. */
  demoLive?: boolean;
  onFollow?(): void;
}

export default function StartScreen({ labs, error, busy, onOpenLab, onBlank, themeToggle, demoLive, onFollow }: Props) {
  const first = labs?.[0];
  return (
    <main className="min-h-full overflow-auto" data-testid="start-screen">
      <div className="mx-auto max-w-5xl px-6 py-10">
        <header className="flex items-start gap-4">
          <div>
            <h1 className="text-[28px] font-extrabold tracking-tight">nsplay</h1>
            <p className="muted mt-1 max-w-2xl text-[15px]">
              A playground for Linux container networking. Draw namespaces, veth pairs, bridges and NAT; nsplay builds exactly that
              in a real kernel sandbox, shows every command it ran, and gives you a shell inside every node.
            </p>
          </div>
          <div className="ml-auto">{themeToggle}</div>
        </header>
        {error && <div className="field-error mt-4 text-[13px]" role="alert" data-testid="start-error">{error}</div>}
        {demoLive && onFollow && (
          <div className="panel mt-6 flex items-center gap-3 rounded-xl border p-4" style={{ borderColor: 'var(--bad)' }} data-testid="demo-banner">
            <span className="inline-block h-2.5 w-2.5 animate-pulse rounded-full" style={{ background: 'var(--bad)' }} />
            <span><b>The instructor is presenting.</b> Watch their canvas and terminal live; fork it into your own sandbox when you want to try.</span>
            <button className="btn btn-primary ml-auto" onClick={onFollow} data-testid="follow-start">Follow the instructor</button>
          </div>
        )}
        <div className="mt-8 grid gap-4 md:grid-cols-[1.3fr_1fr]">
          <div className="panel rounded-xl border p-5" style={{ borderColor: 'var(--accent)' }}>
            <div className="section-title">Start here</div>
            {first ? (
              <>
                <div className="mt-1 text-[18px] font-bold">{first.title}</div>
                <p className="muted mt-1">{first.summary}</p>
                <button className="btn btn-primary mt-4" style={{ height: 36, padding: '0 16px' }} disabled={!!busy} onClick={() => onOpenLab(first.id)} data-testid={`lab-open-${first.id}`}>
                  {busy === first.id ? 'Preparing the sandbox…' : `Open lab ${first.id.split('-')[0]}`}
                </button>
              </>
            ) : (
              <p className="muted mt-2">{labs === null ? 'Loading labs…' : 'No labs installed.'}</p>
            )}
          </div>
          <div className="panel rounded-xl border p-5">
            <div className="section-title">Or draw your own</div>
            <div className="mt-1 text-[18px] font-bold">Blank canvas</div>
            <p className="muted mt-1">An empty sandbox with its own host namespace. Drag namespaces and bridges in, cable them, Apply.</p>
            <div className="mt-3 flex gap-2" style={{ color: 'var(--muted)' }}>
              {(['netns', 'bridge', 'container', 'internet'] as const).map((k) => <span key={k} className={`kind-${k}`} style={{ color: 'var(--c)' }}><KindIcon kind={k} size={22} /></span>)}
            </div>
            <button className="btn mt-4" style={{ height: 36, padding: '0 16px' }} disabled={!!busy} onClick={onBlank} data-testid="blank-canvas">
              {busy === 'blank' ? 'Preparing the sandbox…' : 'Blank canvas'}
            </button>
          </div>
        </div>
        {labs && labs.length > 0 && (
          <>
            <h2 className="section-title mt-10">All labs</h2>
            <ol className="mt-3 grid gap-2 md:grid-cols-2" data-testid="lab-list">
              {labs.map((l) => (
                <li key={l.id}>
                  <button className="panel flex w-full items-start gap-3 rounded-lg border p-3 text-left hover:border-[var(--accent)]" disabled={!!busy}
                    onClick={() => onOpenLab(l.id)} data-testid={`lab-${l.id}`}>
                    <span className="mono grid h-8 w-8 flex-none place-items-center rounded-md text-[13px] font-bold" style={{ background: 'var(--panel-2)' }}>{l.id.split('-')[0]}</span>
                    <span className="min-w-0">
                      <span className="block font-semibold">{l.title}</span>
                      <span className="muted block text-[12px]">{l.summary}</span>
                      <span className="muted block text-[11px]">{l.steps} step{l.steps === 1 ? '' : 's'}</span>
                    </span>
                  </button>
                </li>
              ))}
            </ol>
          </>
        )}
        <p className="muted mt-10 text-[12px]">
          Every session is a set of network namespaces of its own: nothing you do here touches the machine&apos;s real network.
          Terminals are root shells inside that sandbox.
        </p>
      </div>
    </main>
  );
}
