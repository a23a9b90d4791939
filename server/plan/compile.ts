// compilePlan: Topology → ordered Steps. Pure and deterministic: same document, same bytes.
import { endNamespace } from '../topology/references.ts';
import { isNamespaceKind, type Topology, type TopoNode, type VethEnd, type VethPair } from '../topology/schema.ts';
import type { Fact } from './fact.ts';
import { routeArgs, routeFact, routeId } from './route.ts';
import { ruleSpec, tableArgs } from './iptables.ts';
import type { Step } from './step.ts';

export interface CompileOptions {
  /** Comment carried by every iptables rule nsplay adds (ownership marker), e.g. "nsplay:s1a2b3". */
  tag?: string;
  /** Image for container nodes that name none. */
  defaultImage?: string;
  /** Directory under which HTTP services keep their page (the session's own directory at run time). */
  wwwRoot?: string;
}

export const DEFAULT_IMAGE = 'nginx:alpine';

// Code-unit order, never localeCompare: the plan must not depend on the machine's locale (LANG=lt_LT sorts 'y' before 'j').
const byKey = (a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0);
const byName = <T extends { name: string }>(a: T, b: T) => byKey(a.name, b.name);

export function compilePlan(topology: Topology, options: CompileOptions = {}): Step[] {
  const nodes = new Map(topology.nodes.map((n) => [n.name, n]));
  const sorted = [...topology.nodes].sort(byName);
  const steps: Step[] = [];
  const add = (s: Step) => steps.push(s);

  for (const n of sorted.filter((n) => isNamespaceKind(n.kind))) {
    add(step(n.name, 'host', 'ip', ['ip', 'netns', 'add', n.name], ['ip', 'netns', 'del', n.name],
      `create network namespace ${n.name}: its own interfaces, routes and iptables`, { kind: 'netns', name: n.name }, `netns:${n.name}`));
  }
  for (const n of sorted.filter((n) => n.kind === 'container')) {
    const image = n.image ?? options.defaultImage ?? DEFAULT_IMAGE;
    add(step(n.name, 'host', 'runtime', ['docker', 'run', '-d', '--network', 'none', '--name', n.name, image], ['docker', 'rm', '-f', n.name],
      `start container ${n.name} with no network: only a loopback in its own namespace`, { kind: 'container', name: n.name }, `container:${n.name}`));
  }
  for (const n of sorted.filter((n) => isNamespaceKind(n.kind) || n.kind === 'container')) {
    add(step(`lo:${n.name}`, n.name, 'ip', ['ip', 'link', 'set', 'dev', 'lo', 'up'], null,
      'a new namespace starts with its loopback down; bring it up so local traffic works', { kind: 'up', node: n.name, ifname: 'lo' }));
  }
  for (const n of sorted) steps.push(...sysctlSteps(n));
  for (const n of sorted.filter((n) => n.kind === 'bridge')) steps.push(...bridgeSteps(n));
  const links = [...topology.links].map(orientLink(nodes)).sort((x, y) => byKey(linkKey(x), linkKey(y)));
  for (const l of links) steps.push(vethStep(l, nodes));
  for (const l of links) for (const end of [l.a, l.b]) steps.push(...endSteps(end, nodes));
  for (const n of sorted) steps.push(...nodeAddressSteps(n));
  for (const n of sorted) steps.push(...neighborSteps(n));
  for (const n of sorted) steps.push(...routeSteps(n));
  for (const n of sorted) steps.push(...ipRuleSteps(n));
  for (const n of sorted) steps.push(...iptablesSteps(n, options.tag));
  for (const n of sorted) steps.push(...serviceSteps(n, options.wwwRoot ?? '/srv/nsplay'));
  return uniqueById(steps);
}

// The same change can be asked for twice (an address on the node and on its veth end, a rule listed
// twice); the kernel would refuse the second, and ids must stay unique, so the first one wins.
function uniqueById(steps: Step[]): Step[] {
  const seen = new Set<string>();
  return steps.filter((s) => {
    if (seen.has(s.id)) return false;
    seen.add(s.id);
    return true;
  });
}

function step(id: string, node: string, tool: Step['tool'], argv: string[], undo: string[] | null, why: string, fact: Fact, explicitId?: string): Step {
  return { id: explicitId ?? id, node, tool, argv, undo, why, fact };
}

// Create each veth from the host side when it has one, so `netns X` names the other end's namespace.
function orientLink(nodes: Map<string, TopoNode>) {
  return (l: VethPair): VethPair => {
    const nsA = endNamespace(l.a, nodes);
    const nsB = endNamespace(l.b, nodes);
    return nsB === 'host' && nsA !== 'host' ? { a: l.b, b: l.a } : l;
  };
}

const linkKey = (l: VethPair) => `${l.a.node}/${l.a.ifname}`;

function vethStep(l: VethPair, nodes: Map<string, TopoNode>): Step {
  const nsA = endNamespace(l.a, nodes);
  const nsB = endNamespace(l.b, nodes);
  const argv = ['ip', 'link', 'add', 'name', l.a.ifname, 'type', 'veth', 'peer', 'name', l.b.ifname];
  if (nsB !== nsA) argv.push('netns', nsB);
  const where = nsB === nsA ? `both ends in ${nsA}` : `${l.b.ifname} goes straight into ${nsB}`;
  return step(`veth:${nsA}/${l.a.ifname}`, nsA, 'ip', argv, ['ip', 'link', 'del', 'dev', l.a.ifname],
    `a veth pair is a virtual cable: ${l.a.ifname} stays in ${nsA}, ${where}`, { kind: 'link', node: nsA, ifname: l.a.ifname });
}

function endSteps(end: VethEnd, nodes: Map<string, TopoNode>): Step[] {
  const ns = endNamespace(end, nodes);
  const out: Step[] = [];
  const dev = end.ifname;
  const master = nodes.get(end.node)?.kind === 'bridge' ? end.node : end.master;
  if (end.mac) {
    out.push(step(`mac:${ns}/${dev}`, ns, 'ip', ['ip', 'link', 'set', 'dev', dev, 'address', end.mac], null,
      `give ${dev} a fixed MAC address`, { kind: 'mac', node: ns, ifname: dev, mac: end.mac }));
  }
  if (end.mtu) {
    out.push(step(`mtu:${ns}/${dev}`, ns, 'ip', ['ip', 'link', 'set', 'dev', dev, 'mtu', String(end.mtu)], null,
      `set ${dev}'s MTU to ${end.mtu}`, { kind: 'mtu', node: ns, ifname: dev, mtu: end.mtu }));
  }
  if (master) {
    out.push(step(`master:${ns}/${dev}`, ns, 'ip', ['ip', 'link', 'set', 'dev', dev, 'master', master], ['ip', 'link', 'set', 'dev', dev, 'nomaster'],
      `plug ${dev} into bridge ${master}: frames from the cable now reach the switch`, { kind: 'master', node: ns, ifname: dev, master }));
  }
  for (const cidr of [...(end.addresses ?? [])].sort()) out.push(addrStep(ns, dev, cidr));
  if (end.up !== false) out.push(upStep(ns, dev));
  return out;
}

function addrStep(ns: string, dev: string, cidr: string): Step {
  return step(`addr:${ns}/${dev}/${cidr}`, ns, 'ip', ['ip', 'addr', 'add', cidr, 'dev', dev], ['ip', 'addr', 'del', cidr, 'dev', dev],
    `give ${dev} the address ${cidr}; the kernel adds a route to its subnet`, { kind: 'addr', node: ns, ifname: dev, cidr });
}

function upStep(ns: string, dev: string): Step {
  return step(`up:${ns}/${dev}`, ns, 'ip', ['ip', 'link', 'set', 'dev', dev, 'up'], ['ip', 'link', 'set', 'dev', dev, 'down'],
    `bring ${dev} up; an interface carries nothing while it is down`, { kind: 'up', node: ns, ifname: dev });
}

function bridgeSteps(n: TopoNode): Step[] {
  const ns = n.in ?? 'host';
  const out = [step(`bridge:${ns}/${n.name}`, ns, 'ip', ['ip', 'link', 'add', 'name', n.name, 'type', 'bridge'], ['ip', 'link', 'del', 'dev', n.name],
    `create bridge ${n.name}: a virtual switch that forwards frames between its ports`, { kind: 'link', node: ns, ifname: n.name })];
  for (const a of n.addresses ?? []) {
    const cidr = typeof a === 'string' ? a : a.address;
    out.push(step(`addr:${ns}/${n.name}/${cidr}`, ns, 'ip', ['ip', 'addr', 'add', cidr, 'dev', n.name], ['ip', 'addr', 'del', cidr, 'dev', n.name],
      `give the bridge ${cidr}: ${ns} joins the switched network and can be its gateway`, { kind: 'addr', node: ns, ifname: n.name, cidr }));
  }
  out.push(upStep(ns, n.name));
  return out;
}

function nodeAddressSteps(n: TopoNode): Step[] {
  if (n.kind === 'bridge') return [];
  const out: Step[] = [];
  const devs = new Set<string>();
  for (const a of n.addresses ?? []) {
    if (typeof a === 'string') continue;
    out.push(addrStep(n.name, a.dev, a.address));
    devs.add(a.dev);
  }
  for (const dev of [...devs].sort()) if (dev !== 'lo' || !isNamespaceKind(n.kind)) out.push(upStep(n.name, dev));
  return out;
}

function neighborSteps(n: TopoNode): Step[] {
  return (n.neighbors ?? []).map((e) => step(`neigh:${n.name}/${e.dev}/${e.address}`, n.name, 'ip',
    ['ip', 'neigh', 'replace', e.address, 'lladdr', e.lladdr, 'dev', e.dev, 'nud', 'permanent'], ['ip', 'neigh', 'del', e.address, 'dev', e.dev],
    `a static ARP entry: ${e.address} is at ${e.lladdr}, no need to ask on ${e.dev}`, { kind: 'neigh', node: n.name, dev: e.dev, address: e.address, lladdr: e.lladdr }));
}

function routeSteps(n: TopoNode): Step[] {
  return (n.routes ?? []).map((r) => step(routeId(n.name, r), n.name, 'ip', ['ip', 'route', 'add', ...routeArgs(r)], ['ip', 'route', 'del', ...routeArgs(r)],
    r.dst === 'default'
      ? `default route: anything without a better route goes ${r.via ? `to gateway ${r.via}` : `out of ${r.dev}`}`
      : `packets for ${r.dst} go ${r.via ? `via ${r.via}` : `straight out of ${r.dev}`}`, routeFact(n.name, r)));
}

function ipRuleSteps(n: TopoNode): Step[] {
  return (n.rules ?? []).map((r) => {
    const args = ['from', r.from ?? 'all', ...(r.to ? ['to', r.to] : []), 'table', String(r.table), 'prio', String(r.priority)];
    return step(`iprule:${n.name}/${r.priority}/${r.from ?? 'all'}/${r.to ?? ''}`, n.name, 'ip', ['ip', 'rule', 'add', ...args], ['ip', 'rule', 'del', ...args],
      `policy routing: look up table ${r.table} for ${r.to ? `packets to ${r.to}` : 'these packets'} before the usual rules`,
      { kind: 'rule', node: n.name, from: r.from ?? 'all', to: r.to, table: String(r.table), priority: r.priority });
  });
}

function sysctlSteps(n: TopoNode): Step[] {
  return Object.keys(n.sysctls ?? {}).sort().map((key) => {
    const value = String(n.sysctls![key]);
    return step(`sysctl:${n.name}/${key}`, n.name, 'sysctl', ['sysctl', '-w', `${key}=${value}`], null,
      key === 'net.ipv4.ip_forward' ? `ip_forward=${value}: ${value === '1' ? 'route packets between interfaces' : 'do not route between interfaces'}` : `set ${key} to ${value}`,
      { kind: 'sysctl', node: n.name, key, value });
  });
}

function iptablesSteps(n: TopoNode, tag?: string): Step[] {
  const ipt = n.iptables;
  if (!ipt) return [];
  const out: Step[] = [];
  for (const c of ipt.chains ?? []) {
    out.push(step(`chain:${n.name}/${c.table}/${c.name}`, n.name, 'iptables', ['iptables', ...tableArgs(c.table), '-N', c.name], ['iptables', ...tableArgs(c.table), '-X', c.name],
      `a chain of our own in ${c.table}: rules can jump to it`, { kind: 'chain', node: n.name, table: c.table, name: c.name }));
  }
  for (const p of ipt.policies ?? []) {
    out.push(step(`policy:${n.name}/${p.table}/${p.chain}`, n.name, 'iptables', ['iptables', ...tableArgs(p.table), '-P', p.chain, p.policy], null,
      `${p.table} ${p.chain} policy ${p.policy}: what happens to packets no rule decided`, { kind: 'policy', node: n.name, table: p.table, chain: p.chain, policy: p.policy }));
  }
  (ipt.rules ?? []).forEach((r) => {
    const spec = ruleSpec(r, tag);
    out.push(step(`ipt:${n.name}/${r.table}/${r.chain}/${spec.join(' ')}`, n.name, 'iptables', ['iptables', ...tableArgs(r.table), '-A', r.chain, ...spec],
      ['iptables', ...tableArgs(r.table), '-D', r.chain, ...spec], explainRule(r.jump, r.table, r.chain),
      { kind: 'ipt', node: n.name, table: r.table, chain: r.chain, spec: spec.join(' ') }));
  });
  return out;
}

function explainRule(jump: string, table: string, chain: string): string {
  switch (jump) {
    case 'MASQUERADE': return 'source NAT: rewrite the sender to the outgoing interface\'s address so replies can find their way back';
    case 'SNAT': return 'source NAT to a fixed address so replies come back to it';
    case 'DNAT': return `destination NAT in ${chain}: send matching packets to another address (port forwarding)`;
    case 'DROP': return `drop matching packets in ${table} ${chain}`;
    case 'ACCEPT': return `accept matching packets in ${table} ${chain}`;
    default: return `matching packets in ${table} ${chain} go to ${jump}`;
  }
}

function serviceSteps(n: TopoNode, wwwRoot: string): Step[] {
  return (n.services ?? []).map((s) => step(`service:${n.name}/${s.port}`, n.name, 'service',
    ['busybox', 'httpd', '-f', '-p', String(s.port), '-h', `${wwwRoot}/${n.name}-${s.port}`], null,
    `an HTTP server on port ${s.port} that answers with ${JSON.stringify(s.body ?? n.name)}`, { kind: 'service', node: n.name, port: s.port }))
    .map((st, i) => ({ ...st, input: `${n.services![i].body ?? n.name}\n` }));
}
