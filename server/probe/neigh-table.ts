// The kernel's IPv4 neighbour (ARP) table is ONE table for the whole machine: every namespace's
// entries count against net.ipv4.neigh.default.gc_thresh3 (1,024 by default), and an entry made in the
// last 5 s cannot be evicted to make room. An all-pairs matrix on one bridge makes N×(N−1) of them at
// once: past ~30 nodes it fills the table, the kernel drops the pings it cannot resolve ("neighbour
// table overflow") — wrong "timeout" cells, and for a few seconds the machine's own network cannot
// resolve new neighbours either. nsplay never raises the limit (a machine-wide sysctl); it only reads
// the table's size and counters, estimates what a matrix would add, refuses one that would not fit
// with room to spare, and marks the cells of a matrix that hit a full table anyway.
import fs from 'node:fs';
import type { NetView } from './netview.ts';
import { lookupRoute } from './route-lookup.ts';

export interface NeighTable {
  /** Entries now, all namespaces together. */
  entries: number;
  /** gc_thresh3: the hard limit (null when unreadable). */
  limit: number | null;
  /** The kernel's "table full" count since boot (summed over CPUs). */
  fulls: number;
}

/** /proc/net/stat/arp_cache: a header, then one row of hex counters per CPU ('entries' is global). */
export function parseArpCache(text: string): { entries: number; fulls: number } | null {
  const lines = text.trim().split('\n');
  const head = lines[0]?.trim().split(/\s+/) ?? [];
  const iEntries = head.indexOf('entries');
  const iFulls = head.indexOf('table_fulls');
  if (iEntries < 0 || iFulls < 0 || lines.length < 2) return null;
  let entries = 0;
  let fulls = 0;
  for (const row of lines.slice(1)) {
    const f = row.trim().split(/\s+/);
    const e = parseInt(f[iEntries], 16);
    const t = parseInt(f[iFulls], 16);
    if (!Number.isFinite(e) || !Number.isFinite(t)) return null;
    entries = e;
    fulls += t;
  }
  return { entries, fulls };
}

/** Reads the table's size, limit and full count (read-only; null where /proc does not say). */
export function readNeighTable(): NeighTable | null {
  let stat: { entries: number; fulls: number } | null = null;
  try { stat = parseArpCache(fs.readFileSync('/proc/net/stat/arp_cache', 'utf8')); } catch { /* no such file */ }
  if (!stat) return null;
  let limit: number | null = null;
  try {
    const v = Number(fs.readFileSync('/proc/sys/net/ipv4/neigh/default/gc_thresh3', 'utf8').trim());
    if (Number.isInteger(v) && v > 0) limit = v;
  } catch { /* not visible from here */ }
  return { ...stat, limit };
}

/**
 * Neighbour entries a matrix over these pairs may add: for each pair, the source's entry for its next
 * hop (the address itself when on-link, else the gateway) unless it already has one, and the next
 * hop's owner's entry back to the source (made when it answers). Pure; an upper bound.
 */
export function matrixNeighNeed(view: NetView, pairs: Array<{ from: string; address: string }>): number {
  const keys = new Set<string>();
  const known = (node: string, dev: string, address: string) => (view.namespaces[node]?.neighbors ?? [])
    .some((n) => n.address === address && n.dev === dev && !n.state.includes('FAILED') && !n.state.includes('INCOMPLETE'));
  const add = (node: string, dev: string, address: string) => { if (!known(node, dev, address)) keys.add(`${node}|${dev}|${address}`); };
  for (const { from, address } of pairs) {
    const ns = view.namespaces[from];
    if (!ns) continue;
    const r = lookupRoute(ns, address);
    if (!r || r.type !== 'unicast' || r.dev === undefined) continue;
    const hop = r.gateway ?? address;
    add(from, r.dev, hop);
    const src = r.prefsrc ?? view.addresses(from).find((a) => a.ifname === r.dev)?.address;
    if (src === undefined) continue;
    for (const o of view.owners(hop)) if (o.node !== from) add(o.node, o.ifname, src);
  }
  return keys.size;
}

/** Entries kept free for the machine and everyone else: a quarter of the limit, at least 256. */
export function neighHeadroom(limit: number): number {
  return Math.max(256, Math.floor(limit / 4));
}

/** Why a matrix needing `need` new entries does not fit now (undefined: it fits, or the limit is unknown). */
export function neighRefusal(t: NeighTable | null, need: number, nodes: number): string | undefined {
  if (!t || t.limit === null) return undefined;
  const room = t.limit - neighHeadroom(t.limit) - t.entries;
  if (need <= room) return undefined;
  const fmt = (x: number) => x.toLocaleString('en-US');
  return `a matrix of these ${nodes} nodes would add up to ${fmt(need)} neighbour (ARP) entries, and the kernel's neighbour table ` +
    `holds ${fmt(t.limit)} for the whole machine (${fmt(t.entries)} in use, ${fmt(neighHeadroom(t.limit))} kept free): it would fill, ` +
    'and the kernel would drop pings it cannot resolve — for the machine\'s own network too. Choose fewer nodes ' +
    '(or wait a few seconds for old entries to expire); the machine\'s administrator can raise the limit ' +
    '(sysctl net.ipv4.neigh.default.gc_thresh3) — nsplay never changes it.';
}

/** The sentence for a matrix that hit a full table anyway (the count went up while it pinged). */
export function neighFullNote(t: NeighTable | null, cells: number): string {
  const limit = t?.limit ? ` (${t.limit.toLocaleString('en-US')} entries for the whole machine)` : '';
  return `the kernel's neighbour table${limit} was full while this matrix pinged: ${cells} pair${cells === 1 ? '' : 's'} ` +
    'could not be tested and are marked neigh-table-full, not failures of the drawing. Run it again in a few seconds, or with fewer nodes.';
}

/** A line for the server's start when the table is small for a room (undefined when it is not, or unknown). */
export function neighStartNote(t: NeighTable | null): string | undefined {
  if (!t || t.limit === null || t.limit >= 4096) return undefined;
  const fmt = (x: number) => x.toLocaleString('en-US');
  const fits = Math.floor((1 + Math.sqrt(1 + 4 * (t.limit - neighHeadroom(t.limit)))) / 2);
  return `the kernel's neighbour (ARP) table holds ${fmt(t.limit)} entries for the whole machine (net.ipv4.neigh.default.gc_thresh3): ` +
    `a reachability matrix of more than ~${fits} nodes on one link is refused, and in a room running many matrices at once one may be asked to try again a few seconds later. ` +
    'nsplay does not change it; an administrator may raise it (sysctl -w net.ipv4.neigh.default.gc_thresh1=4096 net.ipv4.neigh.default.gc_thresh2=8192 net.ipv4.neigh.default.gc_thresh3=16384).';
}
