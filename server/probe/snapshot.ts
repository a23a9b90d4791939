// One look at the session's kernel before a probe or a matrix: the same ObservedState the engine's
// observers produce (same parsers), read with as few processes as possible because a matrix needs
// every namespace — per namespace one `ip -b` batch, one iptables-save, one sysctl (and ss for TCP).
import { parseIpAddrJson, parseIpNeighJson, parseIpRouteJson, parseIpRuleJson, parseNetnsIds } from '../observe/parse-ip.ts';
import { parseIptablesSave } from '../observe/parse-iptables.ts';
import { parseListeningPorts } from '../observe/parse-ss.ts';
import { parseSysctlOutput } from '../observe/observe.ts';
import type { NamespaceState, ObservedState } from '../observe/types.ts';
import type { Engine } from '../session/types.ts';
import { runIn } from './helpers.ts';
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
}

const SYSCTLS = ['net.ipv4.ip_forward', 'net.bridge.bridge-nf-call-iptables', 'net.ipv4.icmp_echo_ignore_all'];
// One `ip -j -d -b -` prints one JSON array per line, in this order.
const IP_BATCH = 'addr show\nroute show table all\nrule show\nneigh show\nnetns list-id\n';

/** The batch's output lines → the parts of a NamespaceState that `ip` knows. Pure. */
export function parseIpBatch(text: string): Pick<NamespaceState, 'links' | 'routes' | 'rules' | 'neighbors' | 'netnsIds'> {
  const [addr = '', route = '', rule = '', neigh = '', ids = ''] = text.split('\n');
  return { links: parseIpAddrJson(addr), routes: parseIpRouteJson(route), rules: parseIpRuleJson(rule), neighbors: parseIpNeighJson(neigh), netnsIds: parseNetnsIds(ids) };
}

async function observeNode(engine: Engine, id: string, node: string, o: SnapshotOptions): Promise<NamespaceState> {
  // `ip -n NODE` from the host: no namespace entry of its own, one process for five reads.
  const ipArgv = node === 'host' ? ['ip', '-j', '-d', '-b', '-'] : ['ip', '-n', node, '-j', '-d', '-b', '-'];
  const [ip, ipt, sys, ss] = await Promise.all([
    runIn(engine, id, 'host', ipArgv, { input: IP_BATCH }),
    runIn(engine, id, node, ['iptables-save']),
    runIn(engine, id, node, ['sysctl', ...SYSCTLS]),
    o.listening ? runIn(engine, id, node, ['ss', '-Hltn']) : Promise.resolve(null),
  ]);
  return {
    node,
    ...parseIpBatch(ip.stdout),
    sysctls: parseSysctlOutput(sys.stdout),
    iptables: parseIptablesSave(ipt.code === 0 ? ipt.stdout : ''),
    listening: ss ? parseListeningPorts(ss.stdout) : [],
  };
}

export async function takeSnapshot(engine: Engine, id: string, o: SnapshotOptions = {}): Promise<Snapshot> {
  const started = performance.now();
  // The session's namespaces as `ip netns list` in its host would show them (drawn or made by hand).
  const list = await runIn(engine, id, 'host', ['ls', '-1', '/run/netns']);
  const nodes = ['host', ...list.stdout.split('\n').filter((n) => n && !n.startsWith('.')).sort()];
  const states = await Promise.all(nodes.map((n) => observeNode(engine, id, n, o).catch(() => null)));
  const observed: ObservedState = { at: Date.now(), namespaces: {}, containers: [] };
  for (const s of states) if (s) observed.namespaces[s.node] = s;
  // A drawn bridge node is the bridge device of the same name (in host unless drawn `in` another node).
  const bridges: Record<string, string> = {};
  for (const s of Object.values(observed.namespaces)) for (const l of s.links) if (l.kind === 'bridge') bridges[l.ifname] ??= s.node;
  return { view: new NetView(observed, bridges), at: observed.at, ms: performance.now() - started };
}
