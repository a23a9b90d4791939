// One look at the session's kernel before a probe or a matrix: the same ObservedState the engine's
// observers produce (same parsers), read by one bash script in the session's holder (session-script.ts)
// — per namespace one nsenter into a small sh that runs one `ip -b` batch, one iptables-save (and ss
// for TCP) and reads the sysctls itself, all forked there instead of spawned from Node.
import { parseIpAddrJson, parseIpNeighJson, parseIpRouteJson, parseIpRuleJson, parseNetnsIds } from '../observe/parse-ip.ts';
import { parseIptablesSave } from '../observe/parse-iptables.ts';
import type { NamespaceState, ObservedState } from '../observe/types.ts';
import type { Engine } from '../session/types.ts';
import { readNamespaces, type PartialState } from './session-script.ts';
import { NetView } from './netview.ts';

export interface Snapshot {
  view: NetView;
  /** When it was taken (ms since the epoch). */
  at: number;
  ms: number;
}

export interface SnapshotOptions {
  /** Read listening TCP ports too (TCP probes). */
  listening?: boolean;
  /** Given the topology (ip batches only), the namespaces whose iptables and sysctls are needed. */
  deep?: (topology: NetView) => string[];
}

export const SYSCTLS = ['net.ipv4.ip_forward', 'net.bridge.bridge-nf-call-iptables', 'net.ipv4.icmp_echo_ignore_all'];
// One `ip -j -d -b -` prints one JSON array per line, in this order.
const IP_BATCH = 'addr show\nroute show table all\nrule show\nneigh show\nnetns list-id\n';

/** The batch's output lines → the parts of a NamespaceState that `ip` knows. Pure. */
export function parseIpBatch(text: string): Pick<NamespaceState, 'links' | 'routes' | 'rules' | 'neighbors' | 'netnsIds'> {
  const [addr = '', route = '', rule = '', neigh = '', ids = ''] = text.split('\n');
  return { links: parseIpAddrJson(addr), routes: parseIpRouteJson(route), rules: parseIpRuleJson(rule), neighbors: parseIpNeighJson(neigh), netnsIds: parseNetnsIds(ids) };
}

/** Partial reads (ip batch, iptables, sysctls, ss from one or more reads) → whole NamespaceStates. Pure. */
export function mergeStates(parts: PartialState[]): ObservedState {
  const observed: ObservedState = { at: Date.now(), namespaces: {}, containers: [] };
  const byNode = new Map<string, PartialState>();
  for (const p of parts) byNode.set(p.node, { ...(byNode.get(p.node) ?? {}), ...p });
  for (const [node, p] of byNode) {
    if (!p.links) continue; // no links read: gone, or never listed
    observed.namespaces[node] = {
      node, links: p.links, routes: p.routes ?? [], rules: p.rules ?? [], neighbors: p.neighbors ?? [], netnsIds: p.netnsIds ?? {},
      sysctls: p.sysctls ?? {}, iptables: p.iptables ?? parseIptablesSave(''), listening: p.listening ?? [],
    };
  }
  return observed;
}

/** A NetView over observed state; a drawn bridge node is the bridge device of the same name (in host unless drawn `in` another node). */
export function viewOf(observed: ObservedState): NetView {
  const bridges: Record<string, string> = {};
  for (const s of Object.values(observed.namespaces)) for (const l of s.links) if (l.kind === 'bridge') bridges[l.ifname] ??= s.node;
  return new NetView(observed, bridges);
}

/**
 * The whole session in one process (see session-script.ts): every namespace's `ip` batch, iptables
 * and sysctls (and listening ports for TCP probes). `deep`: read iptables/sysctls/ports only there
 * (the ip batch is still read everywhere, for the topology).
 */
export async function takeSnapshot(engine: Engine, id: string, o: SnapshotOptions = {}): Promise<Snapshot> {
  const started = performance.now();
  const flags = { batch: true, iptables: true, sysctls: true, listening: !!o.listening };
  let parts: PartialState[];
  if (!o.deep) parts = await readNamespaces(engine, id, { every: flags }, SYSCTLS);
  else {
    const ip = await readNamespaces(engine, id, { every: { batch: true } });
    const deep = o.deep(viewOf(mergeStates(ip)));
    const more = await readNamespaces(engine, id, { nodes: deep.map((node) => ({ node, flags: { ...flags, batch: false } })) }, SYSCTLS);
    parts = [...ip, ...more];
  }
  const observed = mergeStates(parts);
  return { view: viewOf(observed), at: observed.at, ms: performance.now() - started };
}
