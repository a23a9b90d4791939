// Small inline icons (no icon font: the playground works offline).
import type { NodeKind } from '@/server/topology/schema';

const common = { width: 16, height: 16, viewBox: '0 0 24 24', fill: 'none', stroke: 'currentColor', strokeWidth: 2, strokeLinecap: 'round' as const, strokeLinejoin: 'round' as const };

export function KindIcon({ kind, size = 16 }: { kind: NodeKind | 'ghost'; size?: number }) {
  const p = { ...common, width: size, height: size };
  switch (kind) {
    case 'bridge':
      return <svg {...p}><rect x="2" y="8" width="20" height="8" rx="2" /><path d="M6 12h.01M10 12h.01M14 12h.01M18 12h.01" /></svg>;
    case 'container':
      return <svg {...p}><path d="M21 8 12 3 3 8v8l9 5 9-5z" /><path d="M3 8l9 5 9-5M12 13v8" /></svg>;
    case 'internet':
      return <svg {...p}><path d="M7 18a5 5 0 1 1 1-9.9A6 6 0 0 1 19.5 10 4 4 0 0 1 18 18z" /></svg>;
    case 'host':
      return <svg {...p}><rect x="3" y="4" width="18" height="12" rx="2" /><path d="M8 20h8M12 16v4" /></svg>;
    case 'external':
      return <svg {...p}><rect x="5" y="3" width="14" height="18" rx="2" /><path d="M9 7h6M9 11h6" /></svg>;
    case 'router':
      return <svg {...p}><circle cx="12" cy="12" r="9" /><path d="M8 12h8M12 8v8" /></svg>;
    case 'ghost':
      return <svg {...p}><rect x="3" y="3" width="18" height="18" rx="3" strokeDasharray="3 3" /><path d="M9 10h.01M15 10h.01" /></svg>;
    default:
      return <svg {...p}><rect x="3" y="3" width="18" height="18" rx="3" /><path d="M3 9h18" /></svg>;
  }
}

export const Icon = {
  undo: <svg {...common}><path d="M9 14 4 9l5-5" /><path d="M4 9h11a5 5 0 0 1 0 10h-3" /></svg>,
  redo: <svg {...common}><path d="m15 14 5-5-5-5" /><path d="M20 9H9a5 5 0 0 0 0 10h3" /></svg>,
  layout: <svg {...common}><rect x="3" y="3" width="7" height="7" rx="1" /><rect x="14" y="14" width="7" height="7" rx="1" /><path d="M10 6.5h4a2 2 0 0 1 2 2V14" /></svg>,
  fit: <svg {...common}><path d="M3 8V3h5M21 8V3h-5M3 16v5h5M21 16v5h-5" /></svg>,
  trash: <svg {...common}><path d="M3 6h18M8 6V4h8v2M6 6l1 14h10l1-14" /></svg>,
  save: <svg {...common}><path d="M12 3v12M7 10l5 5 5-5M5 21h14" /></svg>,
  load: <svg {...common}><path d="M12 21V9M7 14l5-5 5 5M5 3h14" /></svg>,
  image: <svg {...common}><rect x="3" y="4" width="18" height="16" rx="2" /><circle cx="9" cy="10" r="2" /><path d="m21 17-5-5L5 20" /></svg>,
  play: <svg {...common} fill="currentColor" stroke="none"><path d="M7 4v16l13-8z" /></svg>,
  stop: <svg {...common}><rect x="5" y="5" width="14" height="14" rx="2" /></svg>,
  packets: <svg {...common}><path d="M3 12h5M16 12h5" /><circle cx="12" cy="12" r="3" /><path d="M8 7l-3 5 3 5M16 7l3 5-3 5" /></svg>,
  sun: <svg {...common}><circle cx="12" cy="12" r="4" /><path d="M12 2v2M12 20v2M4.9 4.9l1.4 1.4M17.7 17.7l1.4 1.4M2 12h2M20 12h2M4.9 19.1l1.4-1.4M17.7 6.3l1.4-1.4" /></svg>,
  moon: <svg {...common}><path d="M21 12.8A9 9 0 1 1 11.2 3a7 7 0 0 0 9.8 9.8z" /></svg>,
  terminal: <svg {...common}><path d="m4 17 6-5-6-5M12 19h8" /></svg>,
  copy: <svg {...common}><rect x="9" y="9" width="12" height="12" rx="2" /><path d="M5 15V5a2 2 0 0 1 2-2h10" /></svg>,
  back: <svg {...common}><path d="M15 18l-6-6 6-6" /></svg>,
  close: <svg {...common}><path d="M18 6 6 18M6 6l12 12" /></svg>,
  check: <svg {...common}><path d="M20 6 9 17l-5-5" /></svg>,
  cross: <svg {...common}><path d="M18 6 6 18M6 6l12 12" /></svg>,
};
