// Routes as `ip route` arguments and as facts, with destinations normalised the way `ip -j route` prints them.
import type { Route } from '../topology/schema.ts';
import type { Fact } from './fact.ts';

/** 0.0.0.0/0 → default, 11.0.0.99/32 → 11.0.0.99: the form `ip -j route` uses. */
export function normalizeDst(dst: string): string {
  if (dst === 'default' || dst === '0.0.0.0/0') return 'default';
  return dst.endsWith('/32') ? dst.slice(0, -3) : dst;
}

export function routeArgs(r: Route): string[] {
  return [
    r.dst,
    ...(r.via ? ['via', r.via] : []),
    ...(r.dev ? ['dev', r.dev] : []),
    ...(r.proto ? ['proto', r.proto] : []),
    ...(r.scope ? ['scope', r.scope] : []),
    ...(r.src ? ['src', r.src] : []),
    ...(r.metric !== undefined ? ['metric', String(r.metric)] : []),
    ...(r.table !== undefined && r.table !== 'main' ? ['table', String(r.table)] : []),
  ];
}

export function routeTable(r: Route): string {
  return r.table === undefined ? 'main' : String(r.table);
}

export function routeId(node: string, r: Route): string {
  return `route:${node}/${routeTable(r)}/${normalizeDst(r.dst)}/${r.via ?? ''}/${r.dev ?? ''}/${r.metric ?? ''}`;
}

export function routeFact(node: string, r: Route): Fact {
  return { kind: 'route', node, table: routeTable(r), dst: normalizeDst(r.dst), via: r.via, dev: r.dev, src: r.src, scope: r.scope };
}
