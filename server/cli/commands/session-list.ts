// `nsplay session list`: one row per session with its owner ("cli", "server:<pid>" …) and age.
// Not a registered command word (session create/destroy live in main.ts); main.ts calls this.
import type { SessionInfo } from '../../session/types.ts';

/** 42s, 5m, 3h, 2d: how long ago `createdAt` was. */
export function formatAge(createdAt: number, now = Date.now()): string {
  const s = Math.max(0, Math.round((now - createdAt) / 1000));
  if (s < 120) return `${s}s`;
  if (s < 7200) return `${Math.round(s / 60)}m`;
  if (s < 172_800) return `${Math.round(s / 3600)}h`;
  return `${Math.round(s / 86_400)}d`;
}

const HEADER = ['ID', 'PHASE', 'OWNER', 'LAB', 'AGE'];

/** An aligned table (header first), or a sentence when there is no session. */
export function formatSessionList(list: SessionInfo[], now = Date.now()): string {
  if (list.length === 0) return 'no sessions\n';
  const rows = [...list]
    .sort((a, b) => a.createdAt - b.createdAt)
    .map((s) => [s.id, s.phase, oneLine(s.owner), s.lab ?? '-', formatAge(s.createdAt, now)]);
  const widths = HEADER.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i].length)));
  const line = (r: string[]) => r.map((c, i) => (i === r.length - 1 ? c : c.padEnd(widths[i]))).join('  ');
  return `${[HEADER, ...rows].map(line).join('\n')}\n`;
}

/** The owner is stored text: keep one row per session whatever it holds. */
function oneLine(s: string): string {
  const t = (s || '-').replace(/[\u0000-\u001f\u007f]/g, '?');
  return t.length > 40 ? `${t.slice(0, 39)}…` : t;
}
