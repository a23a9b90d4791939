// One change at a time per session, across processes (server and CLI share the state directory).
import fs from 'node:fs';
import path from 'node:path';
import { sessionDir } from '../sandbox/paths.ts';
import { isAlive, processRef, type ProcessRef } from '../sandbox/procfs.ts';

const chains = new Map<string, Promise<unknown>>();

function tryTake(file: string): boolean {
  try {
    const fd = fs.openSync(file, 'wx');
    fs.writeSync(fd, JSON.stringify(processRef(process.pid)));
    fs.closeSync(fd);
    return true;
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return true; // no session directory: nothing to lock
    if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e;
    try {
      const holder = JSON.parse(fs.readFileSync(file, 'utf8')) as ProcessRef | null;
      if (!holder || !isAlive(holder)) fs.rmSync(file, { force: true }); // left by a dead process
    } catch {
      fs.rmSync(file, { force: true });
    }
    return false;
  }
}

export async function withSessionLock<T>(id: string, root: string | undefined, fn: () => Promise<T>): Promise<T> {
  const prev = chains.get(id) ?? Promise.resolve();
  const mine = prev.catch(() => undefined).then(async () => {
    const file = path.join(sessionDir(id, root), '.lock');
    const deadline = Date.now() + 60_000;
    while (!tryTake(file)) {
      if (Date.now() > deadline) throw new Error(`session ${id} is busy (another nsplay process holds ${file})`);
      await new Promise((r) => setTimeout(r, 25));
    }
    try {
      return await fn();
    } finally {
      fs.rmSync(file, { force: true });
    }
  });
  chains.set(id, mine);
  try {
    return await mine;
  } finally {
    if (chains.get(id) === mine) chains.delete(id);
  }
}
