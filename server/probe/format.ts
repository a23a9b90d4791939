// Probe and matrix results as text for a terminal. Pure.
import type { Hop, MatrixResult, ProbeResult } from './types.ts';

function hopText(h: Hop): string {
  const at = h.interface ? `${h.node}:${h.interface}` : h.node;
  return `${at}${h.nat ? ` (${h.nat})` : ''}`;
}

/** "netns1:veth1 → host:veth0 → …" for one leg, consecutive hops in the same node folded. */
export function formatPath(path: Hop[], leg: 'request' | 'reply'): string {
  return path.filter((h) => h.leg === leg).map(hopText).join(' → ');
}

export function formatProbe(r: ProbeResult): string {
  const what = `${r.from.node}${r.from.address ? ` (${r.from.address})` : ''} → ${r.to.input}${r.to.input !== r.to.address ? ` (${r.to.address}${r.to.port ? `:${r.to.port}` : ''})` : ''}`;
  const lines: string[] = [];
  if (r.ok) {
    const http = r.http ? `, HTTP ${r.http.status} (${r.http.bytes} bytes)` : '';
    lines.push(`✓ ${what}: reachable${r.rtt_ms !== undefined ? `, ${r.rtt_ms} ms` : ''}${http}`);
  } else {
    const at = r.hop ? ` at ${r.hop.node}${r.hop.interface ? ` ${r.hop.interface}` : ''}` : '';
    lines.push(`✗ ${what}: ${r.reason}${at}`);
  }
  if (r.detail) lines.push(`  ${r.detail}`);
  const req = formatPath(r.path, 'request');
  const rep = formatPath(r.path, 'reply');
  if (req) lines.push(`  request: ${req}${!r.ok && !rep ? ' ✗' : ''}`);
  if (rep) lines.push(`  reply:   ${rep}${!r.ok ? ' ✗' : ''}`);
  return `${lines.join('\n')}\n`;
}

export function formatMatrix(m: MatrixResult): string {
  const width = Math.max('from \\ to'.length, ...m.nodes.map((n) => n.length)) + 2;
  const cellText = (from: string, to: string) => {
    if (from === to) return '·';
    const c = m.cells.find((x) => x.from === from && x.to === to);
    return !c ? '-' : c.ok ? 'ok' : c.reason ?? 'fail';
  };
  const colW = Math.max(width, ...m.cells.map((c) => (c.reason ?? 'ok').length + 2));
  const lines = [`${'from \\ to'.padEnd(width)}${m.nodes.map((n) => n.padEnd(colW)).join('')}`.trimEnd()];
  for (const from of m.nodes) lines.push(`${from.padEnd(width)}${m.nodes.map((to) => cellText(from, to).padEnd(colW)).join('')}`.trimEnd());
  const failing = m.cells.filter((c) => !c.ok);
  const ok = m.cells.length - failing.length;
  lines.push('', `${ok}/${m.cells.length} pairs reachable (${m.ms.total} ms; fping ${m.ms.ping} ms)`);
  if (m.note) lines.push(`note: ${m.note}`);
  for (const c of failing) {
    const at = c.hop ? ` at ${c.hop.node}${c.hop.interface ? ` ${c.hop.interface}` : ''}` : '';
    lines.push(`  ✗ ${c.from} → ${c.to} (${c.address}): ${c.reason}${at}${c.evidence === 'kernel' ? '' : ' [route walk]'} — ${c.detail ?? ''}`);
  }
  return `${lines.join('\n')}\n`;
}
