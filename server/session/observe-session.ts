// Reading a whole session's kernel state: the host, every namespace in its private /run/netns
// (drawn or made by hand in a terminal), and its containers.
import fs from 'node:fs';
import path from 'node:path';
import type { SessionHandle } from '../exec/enter.ts';
import type { Runner } from '../exec/run.ts';
import { observeScriptArgv, parseObserveOutput, type ObserveTarget } from '../observe/session-script.ts';
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

const OBSERVE_WORKERS = 4;

/** `plan`: every step whose facts may be compared (the next and the previous drawing's), so their namespaces' iptables, sockets and sysctls are read. */
/**
 * `plan`: every step whose facts may be compared — the next drawing's and the previous one's (removals) —
 * so the namespaces they touch get their iptables, sockets and sysctls read.
 */
export async function observeSession(id: string, h: SessionHandle, run: Runner, plan: Step[] = [], root?: string): Promise<ObservedState> {
  const nodes = ['host', ...sessionNamespaces(id, root)];
  const sysctlKeys = new Map<string, string[]>();
  for (const s of plan) {
    if (s.fact.kind !== 'sysctl') continue;
    sysctlKeys.set(s.fact.node, [...(sysctlKeys.get(s.fact.node) ?? []), s.fact.key]);
  }
  const keys = [...new Set([...sysctlKeys.values()].flat())].sort();
  // Read iptables, sockets and sysctls only where the plan has something there (and iptables in host).
  const wants = (node: string, kinds: string[]) => plan.some((st) => st.node === node && kinds.includes(st.fact.kind));
  const targets: ObserveTarget[] = nodes.map((node) => ({
    node,
    iptables: node === 'host' || wants(node, ['ipt', 'policy', 'chain']),
    listening: wants(node, ['service']),
    sysctls: wants(node, ['sysctl']),
  }));
  // A few workers, each reading a share of the namespaces; a cut-off read must never look like "empty".
  // One per 8 namespaces: every worker costs an nsenter and a bash, and on 2 cores a fresh session's 3
  // namespaces read by one worker took 158 ms (median of 15) against 220 ms by three.
  const workers = Math.max(1, Math.min(OBSERVE_WORKERS, Math.ceil(nodes.length / 8)));
  const shares = Array.from({ length: workers }, (_, w) => targets.filter((_, i) => i % workers === w));
  const outputs = await Promise.all(shares.map(async (share) => {
    const r = await run(['nsenter', '-t', String(h.holderPid), '-m', '-n', '--', ...observeScriptArgv(share, keys)], { timeoutMs: 10_000 + 300 * share.length });
    if (r.code !== 0 || !r.stdout.trimEnd().endsWith('@@end')) {
      throw new Error(`could not read the kernel state of session ${id} (${r.code === 124 ? 'timed out' : `exit ${r.code}`}): ${r.stderr.trim().slice(0, 300)}`);
    }
    return r.stdout;
  }));
  const states = outputs.flatMap(parseObserveOutput);
  const namespaces: ObservedState['namespaces'] = {};
  for (const s of states) namespaces[s.node] = s;
  const containers = readJournal(id, root).filter((e) => e.op === 'container').map((e) => (e as { node: string }).node)
    .filter((n) => namespaces[n] !== undefined);
  return { at: Date.now(), namespaces, containers };
}
