// Desired (a plan's facts) against observed (the kernel): which steps still need to run, what
// drifted, and which steps to undo when the drawing lost something. Pure.
import type { NamespaceState, ObservedLink, ObservedState } from '../observe/types.ts';
import type { Drift } from '../session/types.ts';
import type { Fact } from './fact.ts';
import { canonicalSpec } from './iptables.ts';
import { normalizeDst } from './route.ts';
import type { Step } from './step.ts';

const TABLE_IDS: Record<string, string> = { '253': 'default', '254': 'main', '255': 'local' };
const tableName = (t: string) => TABLE_IDS[t] ?? t;
const selector = (s: string | undefined) => (s === undefined ? undefined : s === '0.0.0.0/0' ? 'all' : normalizeDst(s));
const cidr = (s: string) => (s.includes('/') ? s : `${s}/32`);
const words = (s: string) => s.trim().split(/\s+/).join(' ');
const specKey = (spec: string) => canonicalSpec(spec.split(' ').filter((t) => t !== ''));

/** The namespace a fact lives in; for netns/container facts, the namespace it creates. */
export function factNode(fact: Fact): string {
  return fact.kind === 'netns' || fact.kind === 'container' ? fact.name : fact.node;
}

function linkOf(ns: NamespaceState | undefined, ifname: string): ObservedLink | undefined {
  return ns?.links.find((l) => l.ifname === ifname);
}

export function factHolds(fact: Fact, observed: ObservedState): boolean {
  if (fact.kind === 'netns') return observed.namespaces[fact.name] !== undefined;
  if (fact.kind === 'container') return observed.containers.includes(fact.name);
  const ns = observed.namespaces[fact.node];
  if (!ns) return false;
  switch (fact.kind) {
    case 'link': return linkOf(ns, fact.ifname) !== undefined;
    case 'up': return linkOf(ns, fact.ifname)?.up === true;
    case 'master': return linkOf(ns, fact.ifname)?.master === fact.master;
    case 'mac': return linkOf(ns, fact.ifname)?.mac?.toLowerCase() === fact.mac.toLowerCase();
    case 'mtu': return linkOf(ns, fact.ifname)?.mtu === fact.mtu;
    case 'addr': return linkOf(ns, fact.ifname)?.addresses.includes(cidr(fact.cidr)) === true;
    case 'route': return ns.routes.some((r) =>
      tableName(r.table) === tableName(fact.table) && normalizeDst(r.dst) === normalizeDst(fact.dst)
      && (fact.via === undefined || r.gateway === fact.via)
      && (fact.dev === undefined || r.dev === fact.dev)
      && (fact.src === undefined || r.prefsrc === fact.src)
      // ip omits "scope global", the default for routes with a gateway.
      && (fact.scope === undefined || (r.scope ?? 'global') === fact.scope));
    case 'rule': return ns.rules.some((r) =>
      r.priority === fact.priority && tableName(r.table) === tableName(fact.table)
      && selector(r.from) === selector(fact.from) && selector(r.to) === selector(fact.to));
    case 'neigh': return ns.neighbors.some((n) =>
      n.dev === fact.dev && n.address === fact.address && n.lladdr?.toLowerCase() === fact.lladdr.toLowerCase()
      && n.state.includes('PERMANENT'));
    case 'sysctl': {
      const value = ns.sysctls[fact.key];
      return value !== undefined && words(value) === words(fact.value);
    }
    // A table iptables never touched in this namespace has no chains: its built-ins accept.
    case 'policy': return (ns.iptables.chains[fact.table]?.[fact.chain] ?? 'ACCEPT') === fact.policy;
    case 'chain': return ns.iptables.chains[fact.table]?.[fact.name] !== undefined;
    case 'ipt': {
      const want = specKey(fact.spec);
      return (ns.iptables.rules[fact.table] ?? []).some((r) => r.chain === fact.chain && specKey(r.spec) === want);
    }
    case 'service': return ns.listening.includes(fact.port);
  }
}

/** The steps still to run, in plan order: those whose fact does not hold, and all steps of a missing namespace. */
export function diffPlan(plan: Step[], observed: ObservedState): Step[] {
  return plan.filter((s) => observed.namespaces[s.node] === undefined || !factHolds(s.fact, observed));
}

/** Sysctl keys the plan sets in `node`: what an observation must read for `factHolds` to judge them. */
export function sysctlKeys(plan: Step[], node: string): string[] {
  const keys = plan.flatMap((s) => (s.fact.kind === 'sysctl' && s.fact.node === node ? [s.fact.key] : []));
  return [...new Set(keys)].sort();
}

/** Every (node, ifname) the plan creates or configures, including the far end of each veth it adds. */
export function plannedLinks(plan: Step[]): Set<string> {
  const out = new Set<string>();
  for (const s of plan) {
    const f = s.fact;
    if (f.kind === 'link' || f.kind === 'up' || f.kind === 'master' || f.kind === 'mac' || f.kind === 'mtu' || f.kind === 'addr') {
      out.add(`${f.node}/${f.ifname}`);
    }
    const peer = vethPeer(s);
    if (peer) out.add(`${peer.node}/${peer.ifname}`);
  }
  return out;
}

/** `ip link add A type veth peer name B [netns NS]` → where B lives. */
export function vethPeer(step: Step): { node: string; ifname: string } | undefined {
  const a = step.argv;
  if (step.fact.kind !== 'link' || a[0] !== 'ip' || a[1] !== 'link' || a[2] !== 'add' || !a.includes('veth')) return undefined;
  const p = a.indexOf('peer');
  if (p < 0) return undefined;
  const name = a[p + 1] === 'name' ? a[p + 2] : a[p + 1];
  if (name === undefined) return undefined;
  const n = a.indexOf('netns', p);
  return { node: n >= 0 && a[n + 1] !== undefined ? a[n + 1] : step.node, ifname: name };
}

const LINK_CHILDREN = new Set(['up', 'master', 'mac', 'mtu', 'addr']);

/** "node/ifname" of every link these steps create, veth peers included. */
function linksOf(steps: Step[]): Set<string> {
  const out = new Set<string>();
  for (const s of steps) {
    if (s.fact.kind !== 'link') continue;
    out.add(`${s.fact.node}/${s.fact.ifname}`);
    const peer = vethPeer(s);
    if (peer) out.add(`${peer.node}/${peer.ifname}`);
  }
  return out;
}

/**
 * What differs between the plan and the kernel. Missing: one drift per fact that does not hold,
 * except those explained by a missing namespace or link (a deleted veth takes its addresses along).
 * Extra: veth/bridge links and namespaces nothing in the plan made; `ignore` holds namespace names,
 * interface names or "node/ifname" to leave out (the sandbox's own plumbing).
 */
export function driftOf(plan: Step[], observed: ObservedState, ignore: Iterable<string> = []): Drift[] {
  const drift: Drift[] = [];
  const missing = plan.filter((s) => !factHolds(s.fact, observed));
  const missingNs = new Set(missing.flatMap((s) => (s.fact.kind === 'netns' || s.fact.kind === 'container' ? [s.fact.name] : [])));
  const missingLinks = linksOf(missing);
  // A namespace the plan works in but does not create (the sandbox's host) and that was not observed.
  for (const node of new Set(plan.map((s) => s.node))) {
    if (observed.namespaces[node] !== undefined || missingNs.has(node)) continue;
    missingNs.add(node);
    drift.push({ kind: 'missing', node, fact: { kind: 'netns', name: node }, message: `namespace ${node} is missing or could not be observed` });
  }
  for (const s of missing) {
    const f = s.fact;
    const node = factNode(f);
    if (f.kind !== 'netns' && f.kind !== 'container' && missingNs.has(node)) continue;
    if (LINK_CHILDREN.has(f.kind) && 'ifname' in f && missingLinks.has(`${f.node}/${f.ifname}`)) continue;
    const peer = vethPeer(s);
    const message = describeMissing(f, observed) + (peer ? `; its peer ${peer.ifname} in ${peer.node} went with it` : '');
    drift.push({ kind: 'missing', node, fact: f, message });
  }
  return [...drift, ...extraDrift(plan, observed, new Set(ignore))];
}

function extraDrift(plan: Step[], observed: ObservedState, ignore: Set<string>): Drift[] {
  const out: Drift[] = [];
  const knownNs = new Set<string>(plan.map((s) => s.node));
  for (const s of plan) if (s.fact.kind === 'netns' || s.fact.kind === 'container') knownNs.add(s.fact.name);
  const knownLinks = plannedLinks(plan);
  for (const name of Object.keys(observed.namespaces).sort()) {
    if (ignore.has(name)) continue;
    if (!knownNs.has(name)) {
      out.push({ kind: 'extra', node: name, fact: { kind: 'netns', name },
        message: `namespace ${name} is not in the drawing (made from a terminal with ip netns add?)` });
      continue;
    }
    for (const l of observed.namespaces[name].links) {
      if (l.kind !== 'veth' && l.kind !== 'bridge') continue;
      const key = `${name}/${l.ifname}`;
      if (knownLinks.has(key) || ignore.has(key) || ignore.has(l.ifname)) continue;
      out.push({ kind: 'extra', node: name, fact: { kind: 'link', node: name, ifname: l.ifname },
        message: `${l.kind} ${l.ifname} in ${name} is not in the drawing (added from a terminal?)` });
    }
  }
  return out;
}

function describeMissing(f: Fact, observed: ObservedState): string {
  const ns = f.kind === 'netns' || f.kind === 'container' ? undefined : observed.namespaces[f.node];
  const link = 'ifname' in f ? linkOf(ns, f.ifname) : undefined;
  switch (f.kind) {
    case 'netns': return `namespace ${f.name} is missing (deleted with ip netns del?)`;
    case 'container': return `container ${f.name} is not running`;
    case 'link': return `${f.ifname} in ${f.node} is missing (deleted from a terminal?)`;
    case 'up': return link ? `${f.ifname} in ${f.node} is down (set down from a terminal?)` : `${f.ifname} in ${f.node} is missing, so it cannot be up`;
    case 'master': return link?.master ? `${f.ifname} in ${f.node} is a port of ${link.master}, not ${f.master}` : `${f.ifname} in ${f.node} is not plugged into bridge ${f.master}`;
    case 'mac': return `${f.ifname} in ${f.node} has MAC ${link?.mac ?? 'none'}, not ${f.mac}`;
    case 'mtu': return `${f.ifname} in ${f.node} has MTU ${link?.mtu ?? 'unknown'}, not ${f.mtu}`;
    case 'addr': return `${f.ifname} in ${f.node} has lost its address ${f.cidr}`;
    case 'route': return `the route to ${f.dst}${f.via ? ` via ${f.via}` : ''}${f.dev ? ` dev ${f.dev}` : ''} in ${f.node} is missing`
      + `${f.table === 'main' ? '' : ` (table ${f.table})`}`;
    case 'rule': return `ip rule ${f.priority} (from ${f.from}${f.to ? ` to ${f.to}` : ''} lookup ${f.table}) in ${f.node} is missing`;
    case 'neigh': return `the static ARP entry ${f.address} → ${f.lladdr} on ${f.dev} in ${f.node} is missing`;
    case 'sysctl': {
      const value = ns?.sysctls[f.key];
      return value === undefined ? `${f.key} in ${f.node} could not be read` : `${f.key} in ${f.node} is ${value}, not ${f.value}`;
    }
    case 'policy': return `the ${f.table} ${f.chain} policy in ${f.node} is ${ns?.iptables.chains[f.table]?.[f.chain] ?? 'ACCEPT'}, not ${f.policy}`;
    case 'chain': return `iptables chain ${f.name} (table ${f.table}) in ${f.node} is missing`;
    case 'ipt': return `the iptables rule "-A ${f.chain} ${f.spec}" (table ${f.table}) in ${f.node} is missing (flushed?)`;
    case 'service': return `nothing listens on TCP port ${f.port} in ${f.node} (the server stopped?)`;
  }
}

/**
 * Undo what the previous plan made and the next one does not: its steps that are gone from the
 * next plan and still hold in the kernel, as their undo commands in reverse order. Steps inside a
 * namespace being removed, and the addresses/master/up/mac/mtu of a link being removed, are
 * skipped: deleting the parent takes them along.
 */
export function removalSteps(previousPlan: Step[], nextPlan: Step[], observed: ObservedState): Step[] {
  const keep = new Set(nextPlan.map((s) => s.id));
  const gone = previousPlan.filter((s) => !keep.has(s.id) && factHolds(s.fact, observed));
  const goneNs = new Set(gone.flatMap((s) => (s.fact.kind === 'netns' || s.fact.kind === 'container' ? [s.fact.name] : [])));
  const goneLinks = linksOf(gone);
  return gone
    .filter((s) => s.undo !== null && !goneNs.has(s.node))
    .filter((s) => !(LINK_CHILDREN.has(s.fact.kind) && 'ifname' in s.fact && goneLinks.has(`${s.fact.node}/${s.fact.ifname}`)))
    .reverse()
    .map((s) => ({ ...s, id: `undo:${s.id}`, argv: s.undo!, undo: s.argv, why: `no longer in the drawing: undo "${s.argv.join(' ')}"` }));
}
