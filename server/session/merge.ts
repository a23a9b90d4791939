// The world a session applies: the sandbox (the lab's VM: host uplink, internet, external) plus the
// learner's drawing. Pure. A drawing may name sandbox nodes (host, internet, …) to add to them.
import type { ChainPolicy, Topology, TopoNode } from '../topology/schema.ts';

function mergePolicies(a: ChainPolicy[] = [], b: ChainPolicy[] = []): ChainPolicy[] | undefined {
  const byChain = new Map<string, ChainPolicy>();
  for (const p of [...a, ...b]) byChain.set(`${p.table}/${p.chain}`, p); // the drawing wins
  return byChain.size ? [...byChain.values()] : undefined;
}

function concat<T>(a?: T[], b?: T[]): T[] | undefined {
  return a || b ? [...(a ?? []), ...(b ?? [])] : undefined;
}

export function mergeNode(base: TopoNode, extra: TopoNode): TopoNode {
  const iptables = base.iptables || extra.iptables
    ? {
        policies: mergePolicies(base.iptables?.policies, extra.iptables?.policies),
        chains: concat(base.iptables?.chains, extra.iptables?.chains),
        rules: concat(base.iptables?.rules, extra.iptables?.rules),
      }
    : undefined;
  return {
    ...base,
    addresses: concat(base.addresses, extra.addresses),
    routes: concat(base.routes, extra.routes),
    rules: concat(base.rules, extra.rules),
    neighbors: concat(base.neighbors, extra.neighbors),
    sysctls: base.sysctls || extra.sysctls ? { ...base.sysctls, ...extra.sysctls } : undefined,
    iptables,
    services: concat(base.services, extra.services),
  };
}

/** Sandbox + drawing as one document (validate the result: names may clash). */
export function mergeTopologies(sandbox: Topology, drawing: Topology): { merged: Topology; conflicts: string[] } {
  const conflicts: string[] = [];
  const nodes = new Map(sandbox.nodes.map((n) => [n.name, n]));
  for (const n of drawing.nodes) {
    const base = nodes.get(n.name);
    if (!base) nodes.set(n.name, n);
    else if (base.kind !== n.kind) conflicts.push(`'${n.name}' is the sandbox's ${base.kind} node; the drawing cannot make it a ${n.kind}`);
    else nodes.set(n.name, mergeNode(base, n));
  }
  if (!nodes.has('host')) nodes.set('host', { name: 'host', kind: 'host' });
  const merged: Topology = {
    version: 1,
    name: drawing.name ?? sandbox.name,
    nodes: [...nodes.values()].map(dropEmpty),
    links: [...sandbox.links, ...drawing.links],
  };
  return { merged, conflicts };
}

function dropEmpty(n: TopoNode): TopoNode {
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(n)) if (v !== undefined) out[k] = v;
  return out as TopoNode;
}
