// Creating, finding and destroying a session's sandbox. Ownership is by journal and state directory:
// destroy ends exactly the processes inside the session's namespaces, its containers and its holder.
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import type { ContainerRuntime } from '../runtime/runtime.ts';
import { startHolder } from './holder.ts';
import { sessionDir, sessionsDir } from './paths.ts';
import { isAlive, killAndWait, nsInode, processesInNetns, processRef, type ProcessRef } from './procfs.ts';
import { appendJournal, listSessionIds, readJournal, readRecord, writeRecord, type SessionRecord } from './store.ts';

export function newSessionId(): string {
  return `s${crypto.randomBytes(3).toString('hex')}`;
}

export interface CreateSandboxOptions {
  id: string;
  owner: string;
  /** The process the session lives and dies with (a server); CLI sessions have none once created. */
  ownerPid?: ProcessRef;
  lab?: string;
  profile: string;
  nodes: string[];
  root?: string;
}

/** Makes the session directory and its holder. The record says phase 'creating' until the caller finishes. */
export async function createSandbox(o: CreateSandboxOptions): Promise<SessionRecord> {
  const dir = sessionDir(o.id, o.root);
  fs.mkdirSync(path.join(dir, 'www'), { recursive: true });
  const rec: SessionRecord = {
    id: o.id, owner: o.owner, lab: o.lab, createdAt: Date.now(), phase: 'creating', nodes: o.nodes, profile: o.profile,
    // While creating, the creating process owns it: if it dies half-way, reclaim removes the rest.
    ownerPid: o.ownerPid ?? processRef(process.pid) ?? undefined,
  };
  writeRecord(rec, o.root);
  await startHolder(dir, o.id, (h) => {
    appendJournal(o.id, { op: 'holder', pid: h.pid, start: h.start }, o.root);
    rec.holder = h;
    writeRecord(rec, o.root);
  });
  return rec;
}

/** The live holder of a session, or null when it is gone. */
export function liveHolder(rec: SessionRecord | null, journal = rec ? readJournal(rec.id) : []): ProcessRef | null {
  const candidates = [rec?.holder, ...journal.filter((e) => e.op === 'holder').map((e) => e as ProcessRef)];
  for (const h of candidates) if (h && isAlive(h)) return { pid: h.pid, start: h.start };
  return null;
}

/** nsfs inodes of every namespace of the session: the host (the holder's) and each /run/netns entry. */
export function sessionNetnsInodes(id: string, holder: ProcessRef | null, root?: string): Set<number> {
  const inodes = new Set<number>();
  if (!holder) return inodes;
  const host = nsInode(`/proc/${holder.pid}/ns/net`);
  if (host !== null) inodes.add(host);
  let entries: string[] = [];
  try {
    entries = fs.readdirSync(path.join(sessionDir(id, root), 'netns'));
  } catch { /* none */ }
  for (const e of entries) {
    const ino = nsInode(`/proc/${holder.pid}/root/run/netns/${e}`);
    if (ino !== null) inodes.add(ino);
  }
  return inodes;
}

/**
 * Ends everything the session owns, in an order that cannot leak: processes inside its namespaces,
 * processes it spawned, its containers, then the holder (whose death frees the namespaces and with
 * them every veth, bridge, route and iptables rule inside). Tolerates any part being gone already.
 */
export async function destroySandbox(id: string, runtime: ContainerRuntime | null, root?: string): Promise<string[]> {
  const dir = sessionDir(id, root);
  if (!fs.existsSync(dir)) return [];
  const removed: string[] = [];
  const rec = readRecord(id, root);
  if (rec) writeRecord({ ...rec, phase: 'destroying' }, root);
  const journal = readJournal(id, root);
  const holder = liveHolder(rec, journal);
  const inodes = sessionNetnsInodes(id, holder, root);
  const spawned = journal.filter((e) => e.op === 'spawn').map((e) => e as ProcessRef);
  const inside = processesInNetns(inodes, new Set(holder ? [holder.pid] : []));
  const victims = dedupe([...inside, ...spawned]);
  const stuck = await killAndWait(victims);
  if (victims.length) removed.push(`${victims.length - stuck.length} process(es)`);
  const containers = new Set(journal.filter((e) => e.op === 'container').map((e) => (e as { name: string }).name));
  if (runtime && (containers.size > 0 || journal.some((e) => e.op === 'container'))) {
    for (const name of await runtime.list(id).catch(() => [])) containers.add(name);
  }
  for (const name of containers) {
    if (await runtime?.remove(name).catch(() => false)) removed.push(`container ${name}`);
  }
  if (holder) {
    await killAndWait([holder]);
    removed.push(`holder ${holder.pid}`);
  }
  fs.rmSync(dir, { recursive: true, force: true });
  return removed;
}

function dedupe(refs: ProcessRef[]): ProcessRef[] {
  const seen = new Map<number, ProcessRef>();
  for (const r of refs) seen.set(r.pid, r);
  return [...seen.values()];
}

/** Holders started from this state directory whose session directory no longer exists. */
export function orphanHolders(root?: string): ProcessRef[] {
  const base = sessionsDir(root);
  const out: ProcessRef[] = [];
  for (const entry of fs.readdirSync('/proc')) {
    if (!/^[0-9]+$/.test(entry)) continue;
    let cmd = '';
    try {
      cmd = fs.readFileSync(`/proc/${entry}/cmdline`, 'utf8');
    } catch { continue; }
    // Running holder: "nsplay-holder:DIR\0infinity"; still setting up: "bash\0-c\0SCRIPT\0nsplay-holder\0DIR\0ID".
    const args = cmd.split('\0');
    const setupAt = args.indexOf('nsplay-holder');
    const dirArg = args[0].startsWith('nsplay-holder:') ? args[0].slice('nsplay-holder:'.length) : setupAt >= 0 ? args[setupAt + 1] : undefined;
    if (!dirArg || path.dirname(dirArg) !== base || fs.existsSync(dirArg)) continue;
    const ref = processRef(Number(entry));
    if (ref) out.push(ref);
  }
  return out;
}

/** Sessions whose owner process died (crashed server, killed CLI create) and half-made directories. */
export function deadSessions(root?: string): string[] {
  return listSessionIds(root).filter((id) => {
    const rec = readRecord(id, root);
    if (!rec) return true;
    if (rec.ownerPid && !isAlive(rec.ownerPid)) return true;
    if (rec.phase === 'creating') return false; // its creator is alive and still working
    return !liveHolder(rec, readJournal(id, root)) && rec.phase !== 'destroying';
  });
}
