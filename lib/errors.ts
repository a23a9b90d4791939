// Validation errors of the document, indexed by field path so each input can show its sentence.
import { validateTopology, type FieldError } from '../server/topology/load.ts';
import type { Topology } from '../server/topology/schema.ts';

export interface Problems {
  list: FieldError[];
  /** Errors exactly at this path. */
  at(path: string): string[];
  /** Number of errors at or under this path. */
  under(prefix: string): number;
}

export function checkDocument(doc: Topology): Problems {
  const r = validateTopology(doc);
  const list = r.ok ? [] : r.errors;
  return {
    list,
    at: (path) => list.filter((e) => e.path === path).map((e) => e.message),
    under: (prefix) => list.filter((e) => e.path === prefix || e.path.startsWith(`${prefix}.`) || e.path.startsWith(`${prefix}[`)).length,
  };
}

/** Which canvas object a field path belongs to: a node by its index, a link by its index. */
export function ownerOf(path: string): { node: number } | { link: number } | null {
  const n = /^nodes\[(\d+)\]/.exec(path);
  if (n) return { node: Number(n[1]) };
  const l = /^links\[(\d+)\]/.exec(path);
  if (l) return { link: Number(l[1]) };
  return null;
}
