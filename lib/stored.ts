// What the page keeps across a reload (sessionStorage: this tab only): the session token, the lab,
// and the drawing. Also: turning an opened file into a document the canvas can show.
import { parseDocument } from '../server/topology/load.ts';
import type { Topology } from '../server/topology/schema.ts';

const KEY = 'nsplay:session';

export interface Stored { token: string; lab?: string; doc?: Topology | null }

export function readStored(): Stored | null {
  try {
    const raw = sessionStorage.getItem(KEY);
    if (!raw) return null;
    const s = JSON.parse(raw) as Stored;
    if (typeof s.token !== 'string') return null;
    const doc = s.doc ? coerceData(s.doc) : null;
    return { token: s.token, lab: typeof s.lab === 'string' ? s.lab : undefined, doc: doc?.ok ? doc.doc : null };
  } catch { return null; }
}

export function writeStored(s: Stored | null): void {
  try {
    if (s) sessionStorage.setItem(KEY, JSON.stringify(s));
    else sessionStorage.removeItem(KEY);
  } catch { /* storage full or disabled: a reload starts over */ }
}

type Coerced = { ok: true; doc: Topology } | { ok: false; error: string };

/**
 * A document the canvas can draw even while some fields are invalid (the inspector then shows the
 * validator's sentences at those fields): it only needs named nodes and links with two ends.
 */
export function coerceData(data: unknown): Coerced {
  if (!data || typeof data !== 'object' || Array.isArray(data)) return { ok: false, error: 'a topology is a mapping with nodes and links' };
  const d = data as Record<string, unknown>;
  const nodes = d.nodes ?? [];
  const links = d.links ?? [];
  if (!Array.isArray(nodes) || !Array.isArray(links)) return { ok: false, error: 'nodes and links must be lists' };
  for (const [i, n] of nodes.entries()) {
    if (!n || typeof n !== 'object' || typeof (n as { name?: unknown }).name !== 'string' || typeof (n as { kind?: unknown }).kind !== 'string') {
      return { ok: false, error: `nodes[${i}] needs a name and a kind` };
    }
  }
  for (const [i, l] of links.entries()) {
    const ok = (e: unknown) => !!e && typeof e === 'object' && typeof (e as { node?: unknown }).node === 'string' && typeof (e as { ifname?: unknown }).ifname === 'string';
    if (!l || typeof l !== 'object' || !ok((l as { a?: unknown }).a) || !ok((l as { b?: unknown }).b)) return { ok: false, error: `links[${i}] needs ends a and b, each with node and ifname` };
  }
  const layout = d.layout && typeof d.layout === 'object' && !Array.isArray(d.layout) ? d.layout : {};
  return { ok: true, doc: { ...(d as object), version: 1, nodes, links, layout } as Topology };
}

export function coerceDocument(text: string): Coerced {
  const parsed = parseDocument(text);
  if (!parsed.ok) return { ok: false, error: parsed.errors.map((e) => e.message).join('; ') };
  return coerceData(parsed.value);
}
