'use client';
// The generated commands: every step with its "why", and the whole script (setup + cleanup) to copy
// or download as .sh. Computed in the page from the same pure planner the server uses.
import { useMemo, useState } from 'react';
import { compilePlan } from '@/server/plan/compile';
import { commandLine, renderScript } from '@/server/plan/script';
import type { Topology } from '@/server/topology/schema';
import { downloadText } from '@/lib/download';
import { Icon } from './icons';

export default function CommandsPanel({ doc, valid, problems }: { doc: Topology; valid: boolean; problems: number }) {
  const [tab, setTab] = useState<'steps' | 'script'>('steps');
  const [copied, setCopied] = useState(false);
  const plan = useMemo(() => {
    if (!valid) return null;
    try {
      const steps = compilePlan(doc);
      return { steps, script: renderScript(steps, doc.name ?? 'nsplay topology') };
    } catch (e) {
      return { steps: [], script: `# could not plan: ${(e as Error).message}\n` };
    }
  }, [doc, valid]);

  const copy = async () => {
    if (!plan) return;
    try { await navigator.clipboard.writeText(plan.script); } catch {
      const t = document.createElement('textarea');
      t.value = plan.script; document.body.appendChild(t); t.select(); document.execCommand('copy'); t.remove();
    }
    setCopied(true);
    setTimeout(() => setCopied(false), 1500);
  };

  return (
    <section className="panel flex min-h-0 w-[44%] min-w-[360px] flex-col border-l" data-testid="commands-panel">
      <div className="flex h-9 flex-none items-center gap-1 border-b px-2" style={{ borderColor: 'var(--border)' }}>
        <span className="section-title mr-2">Commands</span>
        <TabButton active={tab === 'steps'} onClick={() => setTab('steps')}>Steps{plan ? ` (${plan.steps.length})` : ''}</TabButton>
        <TabButton active={tab === 'script'} onClick={() => setTab('script')} testid="commands-tab-script">Script</TabButton>
        <div className="ml-auto flex gap-1">
          <button className="btn" style={{ height: 26 }} disabled={!plan} onClick={copy} data-testid="commands-copy">{Icon.copy}{copied ? 'Copied' : 'Copy'}</button>
          <button className="btn" style={{ height: 26 }} disabled={!plan} data-testid="commands-download"
            onClick={() => plan && downloadText(`${slug(doc.name ?? 'nsplay-topology')}.sh`, plan.script, 'text/x-shellscript')}>{Icon.save}.sh</button>
        </div>
      </div>
      <div className="min-h-0 flex-1 overflow-auto">
        {!plan ? (
          <div className="muted p-3">Fix {problems} problem{problems === 1 ? '' : 's'} in the drawing to see the commands (they are listed in the inspector).</div>
        ) : plan.steps.length === 0 ? (
          <div className="muted p-3">Nothing to build yet: draw something. Each node and cable becomes <span className="mono">ip</span> commands here.</div>
        ) : tab === 'steps' ? (
          <ol className="py-1">
            {plan.steps.map((s, i) => (
              <li key={s.id} className="border-b px-3 py-1.5" style={{ borderColor: 'var(--border)' }} data-testid="command-step">
                <div className="mono text-[11.5px]"><span className="muted mr-2 inline-block w-6 text-right">{i + 1}</span>{commandLine(s)}</div>
                <div className="muted pl-8 text-[11.5px]">{s.why}</div>
              </li>
            ))}
          </ol>
        ) : (
          <pre className="mono whitespace-pre p-3 text-[11.5px] leading-relaxed" data-testid="commands-script">{plan.script}</pre>
        )}
      </div>
    </section>
  );
}

function slug(s: string) {
  return s.toLowerCase().replace(/[^a-z0-9]+/g, '-').replace(/^-|-$/g, '') || 'topology';
}

export function TabButton({ active, onClick, children, testid }: { active: boolean; onClick(): void; children: React.ReactNode; testid?: string }) {
  return (
    <button onClick={onClick} data-testid={testid} className="h-7 rounded px-2 text-[12px]"
      style={{ background: active ? 'var(--panel-2)' : 'transparent', fontWeight: active ? 600 : 400, color: active ? 'var(--text)' : 'var(--muted)' }}>
      {children}
    </button>
  );
}
