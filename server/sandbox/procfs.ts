// Processes, identified by PID *and* start time so a recycled PID is never mistaken for ours.
import fs from 'node:fs';

export interface ProcessRef { pid: number; start: number }

/** Field 22 of /proc/PID/stat (clock ticks since boot), or null when the process is gone. */
export function procStartTime(pid: number): number | null {
  try {
    const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return Number(fields[19]);
  } catch {
    return null;
  }
}

export function processRef(pid: number): ProcessRef | null {
  const start = procStartTime(pid);
  return start === null ? null : { pid, start };
}

export function isAlive(ref: ProcessRef): boolean {
  const start = procStartTime(ref.pid);
  if (start === null || start !== ref.start) return false;
  try {
    return !fs.readFileSync(`/proc/${ref.pid}/stat`, 'utf8').includes(') Z ');
  } catch {
    return false;
  }
}

/** The nsfs inode of a namespace file (a bind-mounted /run/netns entry or /proc/PID/ns/net). */
export function nsInode(file: string): number | null {
  try {
    return fs.statSync(file).ino;
  } catch {
    return null;
  }
}

/** Every process whose network namespace is one of `inodes`. */
export function processesInNetns(inodes: Set<number>, except: Set<number> = new Set()): ProcessRef[] {
  const out: ProcessRef[] = [];
  for (const entry of fs.readdirSync('/proc')) {
    if (!/^[0-9]+$/.test(entry)) continue;
    const pid = Number(entry);
    if (except.has(pid) || pid === process.pid) continue;
    let link: string;
    try {
      link = fs.readlinkSync(`/proc/${pid}/ns/net`);
    } catch {
      continue;
    }
    const m = /^net:\[(\d+)\]$/.exec(link);
    if (m && inodes.has(Number(m[1]))) {
      const ref = processRef(pid);
      if (ref) out.push(ref);
    }
  }
  return out;
}

/** SIGKILL each process that is still the one we recorded, then wait (bounded) until they are gone. */
export async function killAndWait(refs: ProcessRef[], timeoutMs = 3000): Promise<ProcessRef[]> {
  const live = refs.filter(isAlive);
  for (const r of live) {
    try {
      process.kill(r.pid, 'SIGKILL');
    } catch {
      /* already gone */
    }
  }
  const deadline = Date.now() + timeoutMs;
  let remaining = live;
  while (remaining.length > 0 && Date.now() < deadline) {
    await new Promise((res) => setTimeout(res, 10));
    remaining = remaining.filter(isAlive);
  }
  return remaining;
}
