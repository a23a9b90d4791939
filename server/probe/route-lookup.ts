// `ip route get` over observed state: policy rules in priority order, longest prefix match in each
// table they point at, lowest metric on a tie. Pure.
import type { NamespaceState, ObservedRoute, ObservedRule } from '../observe/types.ts';
import { cidrContains, splitCidr } from '../topology/address.ts';

export interface RouteChoice {
  /** unicast, local, broadcast, blackhole, unreachable, prohibit */
  type: string;
  table: string;
  route: ObservedRoute;
  dev?: string;
  gateway?: string;
  prefsrc?: string;
}

const DEFAULT_RULES: ObservedRule[] = [
  { priority: 0, from: 'all', table: 'local' },
  { priority: 32766, from: 'all', table: 'main' },
  { priority: 32767, from: 'all', table: 'default' },
];

const TABLE_IDS: Record<string, string> = { '255': 'local', '254': 'main', '253': 'default' };
const tableName = (t: string) => TABLE_IDS[t] ?? t;

function prefixOf(dst: string): number {
  return dst === 'default' ? 0 : splitCidr(dst).prefix;
}

function covers(dst: string, address: string): boolean {
  return dst === 'default' || cidrContains(dst.includes('/') ? dst : `${dst}/32`, address);
}

function selectorMatches(sel: string | undefined, address: string | undefined): boolean {
  if (sel === undefined || sel === 'all') return true;
  if (address === undefined) return false;
  return cidrContains(sel.includes('/') ? sel : `${sel}/32`, address);
}

/** Longest-prefix match in one table (a `throw` route or no match: null). */
export function lookupTable(routes: ObservedRoute[], table: string, dst: string): ObservedRoute | null {
  let best: ObservedRoute | null = null;
  for (const r of routes) {
    if (tableName(r.table) !== table || !covers(r.dst, dst)) continue;
    if (r.type === 'multicast') continue;
    if (!best || prefixOf(r.dst) > prefixOf(best.dst) || (prefixOf(r.dst) === prefixOf(best.dst) && (r.metric ?? 0) < (best.metric ?? 0))) best = r;
  }
  return best && best.type !== 'throw' ? best : null;
}

const ACTIONS = new Set(['unreachable', 'blackhole', 'prohibit']);

/** The route the kernel would pick for `dst` (and `src`, when the rules look at it); null: no route. */
export function lookupRoute(ns: NamespaceState, dst: string, src?: string): RouteChoice | null {
  const rules = (ns.rules.length > 0 ? ns.rules : DEFAULT_RULES).slice().sort((a, b) => a.priority - b.priority);
  for (const rule of rules) {
    if (!selectorMatches(rule.from, src) || (rule.to !== undefined && !selectorMatches(rule.to, dst))) continue;
    const table = tableName(rule.table);
    if (ACTIONS.has(table)) return { type: table, table, route: { table, dst: rule.to ?? 'default', type: table } };
    const r = lookupTable(ns.routes, table, dst);
    if (!r) continue;
    const choice: RouteChoice = { type: r.type ?? 'unicast', table, route: r };
    if (r.dev !== undefined) choice.dev = r.dev;
    if (r.gateway !== undefined) choice.gateway = r.gateway;
    if (r.prefsrc !== undefined) choice.prefsrc = r.prefsrc;
    return choice;
  }
  return null;
}

/** "default via 10.0.0.1 dev veth1" — a route as `ip route` prints it. */
export function describeRoute(r: ObservedRoute): string {
  const parts = [r.type && r.type !== 'unicast' ? `${r.type} ${r.dst}` : r.dst];
  if (r.gateway) parts.push(`via ${r.gateway}`);
  if (r.dev) parts.push(`dev ${r.dev}`);
  if (r.table !== 'main') parts.push(`table ${r.table}`);
  return parts.join(' ');
}
