// Cross-field rules of a Topology: names unique, links between existing nodes, bridge ports in the
// bridge's namespace, iptables targets that exist. Runs inside the schema so errors carry field paths.
import type { z } from 'zod';
import { checkIfname } from './names.ts';

type Path = (string | number)[];
type Ctx = z.RefinementCtx;

// Loose shapes: this runs after each field parsed, so fields are well-formed but may be absent.
interface LNode {
  name: string; kind: string; in?: string; image?: string;
  addresses?: (string | { dev: string; address: string })[];
  routes?: { dev?: string }[];
  iptables?: {
    policies?: { table: string; chain: string }[];
    chains?: { table: string; name: string }[];
    rules?: {
      table: string; chain: string; jump: string; protocol?: string; sport?: number; dport?: number;
      toSource?: string; toDestination?: string;
    }[];
  };
  services?: { port: number }[];
  [k: string]: unknown;
}
interface LEnd { node: string; ifname: string; master?: string }
interface LTopo { nodes: LNode[]; links: { a: LEnd; b: LEnd }[] }

const BUILTIN: Record<string, string[]> = {
  filter: ['INPUT', 'FORWARD', 'OUTPUT'],
  nat: ['PREROUTING', 'INPUT', 'OUTPUT', 'POSTROUTING'],
  raw: ['PREROUTING', 'OUTPUT'],
  mangle: ['PREROUTING', 'INPUT', 'FORWARD', 'OUTPUT', 'POSTROUTING'],
};
const TERMINAL_TARGETS = new Set(['ACCEPT', 'DROP', 'REJECT', 'RETURN', 'MASQUERADE', 'SNAT', 'DNAT', 'LOG']);
const NOT_ON_BRIDGE = ['routes', 'rules', 'neighbors', 'sysctls', 'iptables', 'services', 'image'] as const;

/** The namespace (node name) an interface on this end lives in: a bridge's port lives where the bridge does. */
export function endNamespace(end: LEnd, byName: Map<string, LNode>): string {
  const n = byName.get(end.node);
  if (n?.kind === 'bridge') return n.in ?? 'host';
  return end.node;
}

export function checkTopologyReferences(t: LTopo, ctx: Ctx): void {
  const issue = (path: Path, message: string) => ctx.addIssue({ code: 'custom', path, message });
  const byName = new Map<string, LNode>();
  t.nodes.forEach((n, i) => {
    if (byName.has(n.name)) issue(['nodes', i, 'name'], `node name '${n.name}' is used twice; names must be unique`);
    else byName.set(n.name, n);
    if (n.kind === 'host' && n.name !== 'host') issue(['nodes', i, 'name'], `the host node must be named 'host' (it is the session's host namespace)`);
    if (n.kind !== 'host' && n.name === 'host') issue(['nodes', i, 'kind'], `the name 'host' belongs to the node of kind host`);
  });
  const exists = (name: string) => name === 'host' || byName.has(name);
  t.nodes.forEach((n, i) => checkNode(n, i, byName, exists, issue));
  checkLinks(t, byName, exists, issue);
}

function checkNode(n: LNode, i: number, byName: Map<string, LNode>, exists: (s: string) => boolean, issue: (p: Path, m: string) => void) {
  if (n.in !== undefined && n.kind !== 'bridge') issue(['nodes', i, 'in'], `only a bridge lives 'in' another node's namespace`);
  if (n.image !== undefined && n.kind !== 'container') issue(['nodes', i, 'image'], `only a container has an image`);
  if (n.kind === 'bridge') {
    const home = n.in ?? 'host';
    const homeNode = byName.get(home);
    if (!exists(home)) issue(['nodes', i, 'in'], `bridge '${n.name}' is in '${home}', which is not a node`);
    else if (homeNode && (homeNode.kind === 'bridge' || homeNode.kind === 'container')) {
      issue(['nodes', i, 'in'], `bridge '${n.name}' must live in a namespace node, not in ${homeNode.kind} '${home}'`);
    }
    for (const f of NOT_ON_BRIDGE) if (n[f] !== undefined) issue(['nodes', i, f], `a bridge has no ${f}; put them on the node it lives in ('${home}')`);
  }
  n.addresses?.forEach((a, j) => {
    if (typeof a === 'string' && n.kind !== 'bridge') {
      issue(['nodes', i, 'addresses', j], `say which interface holds ${a}: {dev: …, address: ${a}}`);
    }
  });
  checkIptables(n, i, issue);
  const ports = new Set<number>();
  n.services?.forEach((s, j) => {
    if (ports.has(s.port)) issue(['nodes', i, 'services', j, 'port'], `port ${s.port} is served twice on '${n.name}'`);
    ports.add(s.port);
  });
}

function checkIptables(n: LNode, i: number, issue: (p: Path, m: string) => void) {
  const ipt = n.iptables;
  if (!ipt) return;
  const declared = new Set((ipt.chains ?? []).map((c) => `${c.table}/${c.name}`));
  ipt.chains?.forEach((c, j) => {
    if (BUILTIN[c.table]?.includes(c.name)) issue(['nodes', i, 'iptables', 'chains', j, 'name'], `${c.name} is a built-in chain of ${c.table}; no need to create it`);
  });
  ipt.policies?.forEach((p, j) => {
    if (!BUILTIN[p.table]?.includes(p.chain)) {
      issue(['nodes', i, 'iptables', 'policies', j, 'chain'], `only built-in chains have a policy; ${p.table} has ${BUILTIN[p.table]?.join(', ')}`);
    }
  });
  ipt.rules?.forEach((r, j) => {
    const at = (f: string): Path => ['nodes', i, 'iptables', 'rules', j, f];
    if (!BUILTIN[r.table]?.includes(r.chain) && !declared.has(`${r.table}/${r.chain}`)) {
      issue(at('chain'), `chain '${r.chain}' is neither built into ${r.table} nor listed under iptables.chains`);
    }
    if (!TERMINAL_TARGETS.has(r.jump) && !declared.has(`${r.table}/${r.jump}`)) {
      issue(at('jump'), `jump target '${r.jump}' is not a target nor a chain listed under iptables.chains (table ${r.table})`);
    }
    if ((r.sport !== undefined || r.dport !== undefined) && r.protocol !== 'tcp' && r.protocol !== 'udp') {
      issue(at('protocol'), 'a port match needs protocol tcp or udp');
    }
    if (r.jump === 'DNAT' && !r.toDestination) issue(at('toDestination'), 'DNAT needs toDestination (ADDRESS[:PORT])');
    if (r.jump === 'SNAT' && !r.toSource) issue(at('toSource'), 'SNAT needs toSource (ADDRESS)');
    if (r.toDestination && r.jump !== 'DNAT') issue(at('toDestination'), 'toDestination belongs to a DNAT rule');
    if (r.toSource && r.jump !== 'SNAT') issue(at('toSource'), 'toSource belongs to an SNAT rule');
    if ((r.jump === 'DNAT' || r.jump === 'SNAT' || r.jump === 'MASQUERADE') && r.table !== 'nat') {
      issue(at('jump'), `${r.jump} only works in the nat table`);
    }
    if (r.jump === 'MASQUERADE' && r.chain !== 'POSTROUTING') issue(at('chain'), 'MASQUERADE only works in POSTROUTING');
    if (r.jump === 'DNAT' && r.chain !== 'PREROUTING' && r.chain !== 'OUTPUT' && BUILTIN.nat.includes(r.chain)) issue(at('chain'), 'DNAT works in PREROUTING or OUTPUT (where the destination is still undecided)');
    if (r.jump === 'SNAT' && r.chain !== 'POSTROUTING' && r.chain !== 'INPUT' && BUILTIN.nat.includes(r.chain)) issue(at('chain'), 'SNAT works in POSTROUTING (or INPUT)');
    if (r.toDestination?.includes(':') && r.protocol !== 'tcp' && r.protocol !== 'udp') issue(at('protocol'), 'a DNAT to ADDRESS:PORT needs protocol tcp or udp (the kernel rewrites a port only for those)');
    if ((r as { outIface?: string }).outIface && (r.chain === 'PREROUTING' || r.chain === 'INPUT')) issue(at('outIface'), `${r.chain} runs before routing picks an outgoing interface; match inIface instead`);
    if ((r as { inIface?: string }).inIface && (r.chain === 'POSTROUTING' || (r.chain === 'OUTPUT'))) issue(at('inIface'), `locally generated or outgoing packets in ${r.chain} have no incoming interface; match outIface instead`);
    if (r.jump === 'REJECT' && r.table !== 'filter') issue(at('jump'), 'REJECT only works in the filter table');
  });
}

function checkLinks(t: LTopo, byName: Map<string, LNode>, exists: (s: string) => boolean, issue: (p: Path, m: string) => void) {
  const ifnames = new Map<string, string>(); // "ns/ifname" → where it was first used
  const claim = (ns: string, ifname: string, path: Path, what: string) => {
    const key = `${ns}/${ifname}`;
    if (ifname === 'lo') issue(path, `'lo' is the loopback interface every namespace already has`);
    else if (ifnames.has(key)) issue(path, `interface '${ifname}' already exists in '${ns}' (${ifnames.get(key)})`);
    else ifnames.set(key, what);
  };
  t.nodes.forEach((n, i) => {
    if (n.kind === 'bridge') claim(n.in ?? 'host', n.name.slice(0, 15), ['nodes', i, 'name'], `bridge ${n.name}`);
    if (n.kind === 'bridge' && n.name.length > 15) issue(['nodes', i, 'name'], `bridge name '${n.name}' is its interface name and is ${n.name.length} bytes; Linux allows 15`);
    else if (n.kind === 'bridge' && checkIfname(n.name)) issue(['nodes', i, 'name'], `bridge '${n.name}': ${checkIfname(n.name)}`);
  });
  t.links.forEach((l, i) => {
    for (const side of ['a', 'b'] as const) {
      const end = l[side];
      const path: Path = ['links', i, side];
      if (!exists(end.node)) { issue([...path, 'node'], `link end '${side}' names node '${end.node}', which does not exist`); continue; }
      const node = byName.get(end.node);
      if (node?.kind === 'bridge' && end.master !== undefined && end.master !== end.node) {
        issue([...path, 'master'], `this end is on bridge '${end.node}'; it cannot also be a port of '${end.master}'`);
      }
      if (end.master !== undefined && node?.kind !== 'bridge') {
        const br = byName.get(end.master);
        if (!br || br.kind !== 'bridge') issue([...path, 'master'], `'${end.master}' is not a bridge node`);
        else if ((br.in ?? 'host') !== end.node) {
          issue([...path, 'master'], `bridge '${end.master}' lives in '${br.in ?? 'host'}', but this veth end is in '${end.node}'; a port must be in the bridge's namespace`);
        }
      }
      claim(endNamespace(end, byName), end.ifname, [...path, 'ifname'], `link ${i}`);
    }
    if (l.a.node === l.b.node) issue(['links', i, 'b', 'node'], `a link needs two different nodes; both ends are on '${l.a.node}'`);
    else if (exists(l.a.node) && exists(l.b.node) && byName.get(l.a.node)?.kind === 'bridge' && byName.get(l.b.node)?.kind === 'bridge') {
      // bridge–bridge is fine (two switches cabled together) as long as each end lands in its bridge's namespace.
    }
  });
}
