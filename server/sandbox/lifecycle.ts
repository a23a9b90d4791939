// Creating, finding and destroying a session's sandbox. Ownership is by journal and state directory:
// destroy ends exactly the processes inside the session's namespaces, its containers and its holder.
import { execFileSync } from 'node:child_process';
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import type { ContainerRuntime, RuntimeScope } from '../runtime/runtime.ts';
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

/** Builds the runtime that manages a session's containers, scoped to its store and holder. */
export type RuntimeFor = (scope: RuntimeScope) => ContainerRuntime;

/**
 * Ends everything the session owns, in an order that cannot leak: its containers (while the holder
 * whose namespaces their runtime state lives in is still alive), processes inside its namespaces,
 * processes it spawned, leftovers of the container runtime, then the holder (whose death frees the
 * namespaces and with them every veth, bridge, route and iptables rule inside). Tolerates any part
 * being gone already.
 */
export async function destroySandbox(id: string, runtimeFor: RuntimeFor | null, root?: string): Promise<string[]> {
  const dir = sessionDir(id, root);
  if (!fs.existsSync(dir)) return [];
  const rec = readRecord(id, root);
  if (rec) writeRecord({ ...rec, phase: 'destroying' }, root);
  const removed = await endSessionContents(id, runtimeFor, root);
  fs.rmSync(dir, { recursive: true, force: true });
  return removed;
}

/**
 * Returns a session to a fresh sandbox under the same id: everything it owns ends as in destroy, its
 * namespace files, container store, work directory and applied drawing go, and a new holder starts.
 * The caller applies the sandbox again.
 */
export async function resetSandbox(id: string, runtimeFor: RuntimeFor | null, root?: string): Promise<SessionRecord> {
  const dir = sessionDir(id, root);
  const rec = readRecord(id, root);
  if (!rec) throw new Error(`no session '${id}'`);
  // While resetting, this process owns the session: if it dies half-way, reclaim removes the rest.
  const resetting: SessionRecord = { ...rec, phase: 'creating', ownerPid: processRef(process.pid) ?? undefined, holder: undefined };
  writeRecord(resetting, root);
  await endSessionContents(id, runtimeFor, root);
  for (const sub of ['netns', 'containers', 'work', 'www', 'applied.json', 'journal.jsonl']) {
    fs.rmSync(path.join(dir, sub), { recursive: true, force: true });
  }
  fs.mkdirSync(path.join(dir, 'www'), { recursive: true });
  await startHolder(dir, id, (h) => {
    appendJournal(id, { op: 'holder', pid: h.pid, start: h.start }, root);
    resetting.holder = h;
    writeRecord(resetting, root);
  });
  return { ...resetting, ownerPid: rec.ownerPid };
}

async function endSessionContents(id: string, runtimeFor: RuntimeFor | null, root?: string): Promise<string[]> {
  const dir = sessionDir(id, root);
  const removed: string[] = [];
  const rec = readRecord(id, root);
  const journal = readJournal(id, root);
  const holder = liveHolder(rec, journal);
  // Containers first, through the runtime, while the holder (their store's mount namespace) lives.
  const usedContainers = journal.some((e) => e.op === 'container') || fs.existsSync(path.join(dir, 'containers', 'storage'));
  if (runtimeFor && holder && usedContainers) {
    const runtime = runtimeFor({ sessionId: id, dir, holderPid: holder.pid });
    const names = new Set(await runtime.removeAll(id).catch(() => [] as string[]));
    for (const e of journal) {
      if (e.op === 'container' && !names.has(e.name) && await runtime.remove(e.name).catch(() => false)) names.add(e.name);
    }
    for (const name of names) removed.push(`container ${name}`);
  }
  const inodes = sessionNetnsInodes(id, holder, root);
  const spawned = journal.filter((e) => e.op === 'spawn').map((e) => e as ProcessRef);
  const inside = processesInNetns(inodes, new Set(holder ? [holder.pid] : []));
  // Whatever the runtime left (a conmon, a container whose removal failed) names the session's store.
  const runtimeLeftovers = withDescendants(processesMentioning(`${dir}/containers/`));
  const victims = dedupe([...inside, ...spawned, ...runtimeLeftovers]);
  const stuck = await killAndWait(victims);
  if (victims.length) removed.push(`${victims.length - stuck.length} process(es)`);
  removed.push(...deleteRuncLeftovers(dir));
  if (holder) {
    await killAndWait([holder]);
    removed.push(`holder ${holder.pid}`);
  }
  return removed;
}

/**
 * runc keeps a running container's state in /run/runc/<id>; when the runtime could not remove a
 * container (its holder had died), that state outlives the killed processes. Ids come from the
 * session's own store, so only the session's containers are named.
 */
function deleteRuncLeftovers(dir: string): string[] {
  let ids: string[] = [];
  try {
    const list = JSON.parse(fs.readFileSync(path.join(dir, 'containers', 'storage', 'overlay-containers', 'containers.json'), 'utf8')) as { id?: unknown }[];
    ids = list.map((c) => c.id).filter((id): id is string => typeof id === 'string' && /^[0-9a-f]{64}$/.test(id));
  } catch { return []; }
  const out: string[] = [];
  for (const id of ids.filter((i) => fs.existsSync(`/run/runc/${i}`))) {
    try {
      execFileSync('runc', ['delete', '--force', id], { stdio: 'ignore', timeout: 10_000 });
      out.push(`runc state ${id.slice(0, 12)}`);
    } catch { /* already gone */ }
  }
  return out;
}

/** Processes whose command line contains `text` (a session path: nothing else has it). */
function processesMentioning(text: string): ProcessRef[] {
  const out: ProcessRef[] = [];
  for (const entry of fs.readdirSync('/proc')) {
    if (!/^[0-9]+$/.test(entry) || Number(entry) === process.pid) continue;
    try {
      if (!fs.readFileSync(`/proc/${entry}/cmdline`, 'utf8').includes(text)) continue;
    } catch { continue; }
    const ref = processRef(Number(entry));
    if (ref) out.push(ref);
  }
  return out;
}

/** The processes and all their descendants (a conmon's container init and what it started). */
function withDescendants(refs: ProcessRef[]): ProcessRef[] {
  if (refs.length === 0) return refs;
  const children = new Map<number, number[]>();
  for (const entry of fs.readdirSync('/proc')) {
    if (!/^[0-9]+$/.test(entry)) continue;
    try {
      const stat = fs.readFileSync(`/proc/${entry}/stat`, 'utf8');
      const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
      children.set(ppid, [...(children.get(ppid) ?? []), Number(entry)]);
    } catch { /* gone */ }
  }
  const out = [...refs];
  for (let i = 0; i < out.length; i++) {
    for (const pid of children.get(out[i].pid) ?? []) {
      const ref = processRef(pid);
      if (ref && !out.some((r) => r.pid === pid)) out.push(ref);
    }
  }
  return out;
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
/** How long a session directory without its record is taken to be one still being created. */
const RECORDLESS_GRACE_MS = 60_000;

function ageMs(dir: string): number {
  try { return Date.now() - fs.statSync(dir).mtimeMs; } catch { return Infinity; }
}

export function deadSessions(root?: string): string[] {
  return listSessionIds(root).filter((id) => {
    const rec = readRecord(id, root);
    // No record yet: another process may be between mkdir and writing it. Only an old one is debris.
    if (!rec) return ageMs(sessionDir(id, root)) > RECORDLESS_GRACE_MS;
    if (rec.ownerPid && !isAlive(rec.ownerPid)) return true;
    if (rec.phase === 'creating') return false; // its creator is alive and still working
    return !liveHolder(rec, readJournal(id, root)) && rec.phase !== 'destroying';
  });
}
