// Observe one node's network namespace command by command, through an injected runner (tests feed
// captured output). The engine reads a whole session at once with session-script.ts; both turn raw
// outputs into a NamespaceState with buildNamespaceState.
import { parseIpAddrJson, parseIpNeighJson, parseIpRouteJson, parseIpRuleJson, parseNetnsIds } from './parse-ip.ts';
import { parseIptablesSave } from './parse-iptables.ts';
import { parseListeningPorts } from './parse-ss.ts';
import type { NamespaceState } from './types.ts';

export interface RunResult { code: number; stdout: string; stderr: string }
/** Runs argv (no shell) inside the network namespace of `node`. */
export type RunIn = (node: string, argv: string[]) => Promise<RunResult>;

export interface ObserveOptions {
  /** Sysctls to read, e.g. the keys the plan sets in this node. */
  sysctlKeys?: string[];
  /** nsfs inode of the namespace, when the caller knows it. */
  inode?: number;
}

/** The read-only commands an observation runs, in the namespace being observed. */
export const OBSERVE_COMMANDS = {
  addr: ['ip', '-j', '-d', 'addr', 'show'],
  // -4: an IPv6 default route also prints as "default"; the parsers drop IPv6 anyway.
  route: ['ip', '-4', '-j', 'route', 'show', 'table', 'all'],
  rule: ['ip', '-j', 'rule', 'show'],
  neigh: ['ip', '-4', '-j', 'neigh', 'show'],
  netnsIds: ['ip', '-j', 'netns', 'list-id'],
  iptables: ['iptables-save'],
  listening: ['ss', '-Hltn'],
} as const;

/**
 * `sysctl KEY…` without -n: "key = value" lines say which value belongs to which key, so one
 * unknown key (stderr, exit 255) does not shift the others.
 */
export function sysctlCommand(keys: string[]): string[] {
  return ['sysctl', ...keys];
}

/** "net.ipv4.ip_forward = 1" lines → {key: value}, whitespace inside a value folded to one space. */
export function parseSysctlOutput(text: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const line of String(text).split('\n')) {
    const eq = line.indexOf(' = ');
    if (eq <= 0) continue;
    out[line.slice(0, eq).trim()] = line.slice(eq + 3).trim().split(/\s+/).join(' ');
  }
  return out;
}

// A command that fails or cannot start yields its (possibly partial) stdout only when it exited 0.
async function stdoutOf(run: RunIn, node: string, argv: readonly string[], acceptFailure = false): Promise<string> {
  try {
    const r = await run(node, [...argv]);
    return r.code === 0 || acceptFailure ? r.stdout : '';
  } catch {
    return '';
  }
}

/** The raw outputs of one namespace's reads, as text. */
export interface NamespaceTexts { addr: string; route: string; rule: string; neigh: string; netnsIds: string; iptables: string; listening: string; sysctls: string }

/** Parse one namespace's raw outputs into its NamespaceState (shared by every observer). */
export function buildNamespaceState(node: string, t: NamespaceTexts): NamespaceState {
  return {
    node,
    links: parseIpAddrJson(t.addr),
    routes: parseIpRouteJson(t.route),
    rules: parseIpRuleJson(t.rule),
    neighbors: parseIpNeighJson(t.neigh),
    sysctls: parseSysctlOutput(t.sysctls),
    iptables: parseIptablesSave(t.iptables),
    listening: parseListeningPorts(t.listening),
    netnsIds: parseNetnsIds(t.netnsIds),
  };
}

export async function observeNamespace(run: RunIn, node: string, opts: ObserveOptions = {}): Promise<NamespaceState> {
  const keys = opts.sysctlKeys ?? [];
  const c = OBSERVE_COMMANDS;
  const [addr, route, rule, neigh, netnsIds, iptables, listening, sysctls] = await Promise.all([
    stdoutOf(run, node, c.addr),
    stdoutOf(run, node, c.route),
    stdoutOf(run, node, c.rule),
    stdoutOf(run, node, c.neigh),
    stdoutOf(run, node, c.netnsIds),
    stdoutOf(run, node, c.iptables),
    stdoutOf(run, node, c.listening),
    keys.length > 0 ? stdoutOf(run, node, sysctlCommand(keys), true) : Promise.resolve(''),
  ]);
  const state = buildNamespaceState(node, { addr, route, rule, neigh, netnsIds, iptables, listening, sysctls });
  if (opts.inode !== undefined) state.inode = opts.inode;
  return state;
}
