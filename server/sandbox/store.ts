// Session records on disk: session.json (what it is) and journal.jsonl (what was created, append-only).
// The journal is written *before* the thing it names can leak, so a crash at any point can be reclaimed.
import fs from 'node:fs';
import path from 'node:path';
import type { SessionInfo } from '../session/types.ts';
import type { Topology } from '../topology/schema.ts';
import { isSessionId, sessionDir, sessionsDir } from './paths.ts';
import type { ProcessRef } from './procfs.ts';

export interface SessionRecord extends SessionInfo {
  /** PID of the process that owns the session's life (server), absent for CLI sessions. */
  ownerPid?: ProcessRef;
  holder?: ProcessRef;
  /** Name of the sandbox profile (labs/profiles/NAME.yaml). */
  profile: string;
}

export type JournalEntry =
  | { op: 'holder'; pid: number; start: number }
  | { op: 'spawn'; pid: number; start: number; node: string; what: string }
  | { op: 'container'; node: string; name: string }
  | { op: 'container-removed'; name: string }
  | { op: 'step'; id: string; node: string };

export function readRecord(id: string, root?: string): SessionRecord | null {
  if (!isSessionId(id)) return null;
  try {
    return JSON.parse(fs.readFileSync(path.join(sessionDir(id, root), 'session.json'), 'utf8')) as SessionRecord;
  } catch {
    return null;
  }
}

export function writeRecord(rec: SessionRecord, root?: string): void {
  const dir = sessionDir(rec.id, root);
  fs.mkdirSync(dir, { recursive: true });
  const tmp = path.join(dir, `.session.json.${process.pid}`);
  fs.writeFileSync(tmp, JSON.stringify(rec, null, 2));
  fs.renameSync(tmp, path.join(dir, 'session.json'));
}

export function appendJournal(id: string, entry: JournalEntry, root?: string): void {
  const fd = fs.openSync(path.join(sessionDir(id, root), 'journal.jsonl'), 'a');
  try {
    fs.writeSync(fd, `${JSON.stringify({ ...entry, t: Date.now() })}\n`);
    fs.fsyncSync(fd);
  } finally {
    fs.closeSync(fd);
  }
}

export function readJournal(id: string, root?: string): JournalEntry[] {
  let text = '';
  try {
    text = fs.readFileSync(path.join(sessionDir(id, root), 'journal.jsonl'), 'utf8');
  } catch {
    return [];
  }
  const out: JournalEntry[] = [];
  for (const line of text.split('\n')) {
    if (!line.trim()) continue;
    try {
      out.push(JSON.parse(line) as JournalEntry);
    } catch {
      /* a torn last line after a crash */
    }
  }
  return out;
}

/** Ids of every session directory, including half-made ones without a session.json. */
export function listSessionIds(root?: string): string[] {
  try {
    return fs.readdirSync(sessionsDir(root)).filter(isSessionId).sort();
  } catch {
    return [];
  }
}

export function readApplied(id: string, root?: string): Topology | null {
  try {
    return JSON.parse(fs.readFileSync(path.join(sessionDir(id, root), 'applied.json'), 'utf8')) as Topology;
  } catch {
    return null;
  }
}

export function writeApplied(id: string, topology: Topology, root?: string): void {
  const dir = sessionDir(id, root);
  const tmp = path.join(dir, `.applied.json.${process.pid}`);
  fs.writeFileSync(tmp, JSON.stringify(topology));
  fs.renameSync(tmp, path.join(dir, 'applied.json'));
}
