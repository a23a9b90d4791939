'use client';
// Node kinds to drag onto the canvas (or click to add in the middle of the view).
import type { NodeKind } from '@/server/topology/schema';
import { DRAG_MIME } from './canvas/Canvas';
import { KindIcon } from './icons';

export const PALETTE: { kind: NodeKind; label: string; hint: string }[] = [
  { kind: 'netns', label: 'Namespace', hint: 'ip netns add: its own interfaces, routes, iptables' },
  { kind: 'bridge', label: 'Bridge', hint: 'a virtual switch (ip link add type bridge)' },
  { kind: 'container', label: 'Container', hint: 'an OCI container started with --network none' },
  { kind: 'host', label: 'Host', hint: "the lab's root namespace (the seed's host)" },
  { kind: 'internet', label: 'Internet', hint: '1.1.1.1 and 8.8.8.8, reachable only through the host' },
  { kind: 'external', label: 'External', hint: "a machine on the host's LAN" },
];

export default function Palette({ onAdd, disabled }: { onAdd(kind: NodeKind): void; disabled?: Set<NodeKind> }) {
  return (
    <aside className="panel flex w-[116px] flex-none flex-col gap-1.5 border-r p-2" data-testid="palette">
      <div className="section-title px-1 pb-1">Add</div>
      {PALETTE.map((p) => {
        const off = disabled?.has(p.kind);
        return (
          <div
            key={p.kind}
            role="button"
            tabIndex={0}
            draggable={!off}
            aria-disabled={off}
            title={off ? `${p.label}: already on the canvas` : `${p.hint}\nDrag onto the canvas, or click to add.`}
            data-testid={`palette-${p.kind}`}
            className={`kind-${p.kind} flex cursor-grab select-none flex-col items-center gap-1 rounded-lg border px-1 py-2 text-center ${off ? 'opacity-40' : 'hover:brightness-95'}`}
            style={{ borderColor: 'var(--c)', background: 'var(--cbg)' }}
            onDragStart={(e) => { e.dataTransfer.setData(DRAG_MIME, p.kind); e.dataTransfer.effectAllowed = 'copy'; }}
            onClick={() => !off && onAdd(p.kind)}
            onKeyDown={(e) => { if ((e.key === 'Enter' || e.key === ' ') && !off) onAdd(p.kind); }}
          >
            <span style={{ color: 'var(--c)' }}><KindIcon kind={p.kind} size={22} /></span>
            <span className="text-[12px] font-semibold">{p.label}</span>
          </div>
        );
      })}
      <div className="muted mt-auto px-1 text-[11px] leading-snug">
        Drag a blue dot onto another node to cable them. Double-click a node for a shell.
      </div>
    </aside>
  );
}
