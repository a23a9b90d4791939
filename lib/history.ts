// The undo stack over the Topology document. Edits that continue the same gesture (typing in one
// field) within a second are merged into one entry. Kernel state is never in here.
import type { Topology } from '../server/topology/schema.ts';

export interface Entry { doc: Topology; label: string }
export interface History { past: Entry[]; present: Topology; label: string; future: Entry[]; key?: string; at: number }

const LIMIT = 200;
const MERGE_MS = 1000;

export const startHistory = (doc: Topology): History => ({ past: [], present: doc, label: 'start', future: [], at: 0 });

/** Record `next` as the result of the command `label`; `key` identifies a gesture to merge with. */
export function record(h: History, next: Topology, label: string, key?: string, now = Date.now()): History {
  if (next === h.present) return h;
  if (key && key === h.key && now - h.at < MERGE_MS) return { ...h, present: next, at: now };
  const past = [...h.past, { doc: h.present, label: h.label }].slice(-LIMIT);
  return { past, present: next, label, future: [], key, at: now };
}

export function undo(h: History): History {
  const prev = h.past[h.past.length - 1];
  if (!prev) return h;
  return { past: h.past.slice(0, -1), present: prev.doc, label: prev.label, future: [{ doc: h.present, label: h.label }, ...h.future], at: 0 };
}

export function redo(h: History): History {
  const next = h.future[0];
  if (!next) return h;
  return { past: [...h.past, { doc: h.present, label: h.label }], present: next.doc, label: next.label, future: h.future.slice(1), at: 0 };
}

export const canUndo = (h: History) => h.past.length > 0;
export const canRedo = (h: History) => h.future.length > 0;
