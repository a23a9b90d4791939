// Reading a whole session's kernel state: the host, every namespace in its private /run/netns
// (drawn or made by hand in a terminal), and its containers.
import fs from 'node:fs';
import path from 'node:path';
import { enterNet, enterNode, type SessionHandle } from '../exec/enter.ts';
import type { Runner } from '../exec/run.ts';
import { observeNamespace } from '../observe/observe.ts';
import type { ObservedState } from '../observe/types.ts';
import type { Step } from '../plan/step.ts';
import { sessionDir } from '../sandbox/paths.ts';
import { readJournal } from '../sandbox/store.ts';

/** Namespace names in the session's /run/netns, as `ip netns list` there would show them. */
export function sessionNamespaces(id: string, root?: string): string[] {
  try {
    return fs.readdirSync(path.join(sessionDir(id, root), 'netns')).filter((n) => !n.startsWith('.')).sort();
  } catch {
    return [];
  }
}

const ENTER_NET_TOOLS = new Set(['iptables-save', 'ss', 'sysctl']);

export async function observeSession(id: string, h: SessionHandle, run: Runner, plan: Step[] = [], root?: string): Promise<ObservedState> {
  const nodes = ['host', ...sessionNamespaces(id, root)];
  const sysctlKeys = new Map<string, string[]>();
  for (const s of plan) {
    if (s.fact.kind !== 'sysctl') continue;
    sysctlKeys.set(s.fact.node, [...(sysctlKeys.get(s.fact.node) ?? []), s.fact.key]);
  }
  const states = await Promise.all(nodes.map((node) =>
    observeNamespace(async (n, argv) => {
      const full = n === 'host' || !ENTER_NET_TOOLS.has(argv[0])
        ? argv[0] === 'ip' ? enterNodeIp(h, n, argv) : enterNode(h, n, argv)
        : enterNet(h, n, argv);
      const r = await run(full, { timeoutMs: 10_000 });
      return { code: r.code, stdout: r.stdout, stderr: r.stderr };
    }, node, { sysctlKeys: sysctlKeys.get(node) ?? [] })));
  const namespaces: ObservedState['namespaces'] = {};
  for (const s of states) namespaces[s.node] = s;
  const containers = readJournal(id, root).filter((e) => e.op === 'container').map((e) => (e as { node: string }).node)
    .filter((n) => namespaces[n] !== undefined);
  return { at: Date.now(), namespaces, containers };
}

function enterNodeIp(h: SessionHandle, node: string, argv: string[]): string[] {
  const args = node === 'host' ? argv : ['ip', '-n', node, ...argv.slice(1)];
  return ['nsenter', '-t', String(h.holderPid), '-m', '-n', '--', ...args];
}
