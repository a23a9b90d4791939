// A session's own container store and the `docker` its shells find first on PATH.
//   <session>/containers/storage.conf   graphroot/runroot inside the session; images read-only from
//                                       the machine's store (additionalimagestores), so names are the
//                                       session's and images are shared without copying
//   <session>/bin/docker                the seed's `docker run/inspect/exec/remove` → Podman on that
//                                       store, inside the session's holder namespaces
// Written at session start and again whenever the holder changes (reset).
import fs from 'node:fs';
import path from 'node:path';
import { shimScript } from './shim.ts';

/** Paths go into TOML and into a shell script: only plain path characters are allowed. */
const SAFE_PATH = /^\/[A-Za-z0-9_./-]+$/;

export function storageConfPath(dir: string): string {
  return path.join(dir, 'containers', 'storage.conf');
}

/** The directory put first on PATH of the session's shells and commands. */
export function shimDir(dir: string): string {
  return path.join(dir, 'bin');
}

export function storageConf(dir: string, imageStore: string): string {
  return [
    '# nsplay: this session\'s containers; images come read-only from the machine\'s store.',
    '[storage]',
    'driver = "overlay"',
    `graphroot = "${path.join(dir, 'containers', 'storage')}"`,
    `runroot = "${path.join(dir, 'containers', 'run')}"`,
    '',
    '[storage.options]',
    `additionalimagestores = ["${imageStore}"]`,
    '',
  ].join('\n');
}

export interface StoreOptions {
  sessionId: string;
  dir: string;
  holderPid: number;
  runtime: 'docker' | 'podman';
  imageStore: string;
}

/** Writes storage.conf and the docker shim for the session (idempotent; rewrites on a new holder). */
export function prepareContainerStore(o: StoreOptions): void {
  for (const p of [o.dir, o.imageStore]) {
    if (!SAFE_PATH.test(p)) throw new Error(`'${p}' has characters nsplay will not put into a container config (allowed: letters, digits, _ . - /)`);
  }
  if (!/^s[0-9a-f]{6}$/.test(o.sessionId)) throw new Error(`'${o.sessionId}' is not a session id`);
  if (!Number.isInteger(o.holderPid) || o.holderPid <= 1) throw new Error(`holder PID ${o.holderPid} is not a process`);
  fs.mkdirSync(path.join(o.dir, 'containers'), { recursive: true });
  fs.mkdirSync(shimDir(o.dir), { recursive: true });
  writeAtomically(storageConfPath(o.dir), storageConf(o.dir, o.imageStore), 0o644);
  writeAtomically(path.join(shimDir(o.dir), 'docker'), shimScript(o), 0o755);
}

function writeAtomically(file: string, text: string, mode: number): void {
  const tmp = `${file}.${process.pid}.tmp`;
  fs.writeFileSync(tmp, text, { mode });
  fs.chmodSync(tmp, mode);
  fs.renameSync(tmp, file);
}
