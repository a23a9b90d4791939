// What a check may do inside a session: run a read-only command in a node's network namespace and read
// a file as the session sees it. One context per evaluation pass: reads are cached, so ten checks on
// netns1 cost one `ip -j addr`.
import fs from 'node:fs';
import path from 'node:path';
import type { CommandResult, Runner } from '../../exec/run.ts';
import type { SessionEngine } from '../../session/engine.ts';
import { workDir } from '../../session/engine.ts';

export interface CheckContext {
  /** Runs argv (no shell) in the network namespace of `node`: host, a namespace, or a container by name. */
  runIn(node: string, argv: string[], timeoutMs?: number): Promise<CommandResult>;
  /** A file's text as the session's host shell sees it (relative to its work directory); null when missing. */
  readFile(file: string): Promise<string | null>;
  /** Memoises a read for the rest of this pass. */
  cached<T>(key: string, read: () => Promise<T>): Promise<T>;
}

export class NodeMissing extends Error {}

const MAX_FILE_BYTES = 1024 * 1024;

/** Node names that are not namespaces under /run/netns are looked up as containers of the session. */
export function sessionCheckContext(engine: SessionEngine, sessionId: string, run: Runner): CheckContext {
  let dirOnce: Promise<string> | undefined;
  const dir = () => (dirOnce ??= engine.dir(sessionId));
  const memo = new Map<string, Promise<unknown>>();
  const cached = <T>(key: string, read: () => Promise<T>): Promise<T> => {
    if (!memo.has(key)) memo.set(key, read());
    return memo.get(key) as Promise<T>;
  };
  const inHost = async (argv: string[], timeoutMs = 10_000) => run(await engine.enterArgv(sessionId, 'host', argv), { timeoutMs });

  // Where a node's network namespace is, as a path inside the holder's mount namespace.
  const netnsPath = (node: string) => cached(`netns:${node}`, async (): Promise<string | null> => {
    if (node === 'host') return null;
    // The session's /run/netns is its directory's netns/ (a link made there by hand resolves in /proc).
    if (fs.existsSync(path.join(await dir(), 'netns', node))) return `/run/netns/${node}`;
    // The session's `docker` (first on PATH in enterArgv) knows its containers.
    const r = await inHost(['docker', 'inspect', '-f', '{{.State.Pid}}', node], 20_000);
    const pid = Number(r.stdout.trim());
    if (r.code === 0 && Number.isInteger(pid) && pid > 0) return `/proc/${pid}/ns/net`;
    throw new NodeMissing(`there is no node '${node}' (no namespace of that name, no running container)`);
  });

  return {
    cached,
    async runIn(node, argv, timeoutMs) {
      const where = await netnsPath(node);
      return inHost(where === null ? argv : ['nsenter', `--net=${where}`, '--', ...argv], timeoutMs);
    },
    async readFile(file) {
      const abs = file.startsWith('/') ? file : `${workDir(await dir())}/${file}`;
      const r = await inHost(['head', '-c', String(MAX_FILE_BYTES), '--', abs]);
      return r.code === 0 ? r.stdout : null;
    },
  };
}
