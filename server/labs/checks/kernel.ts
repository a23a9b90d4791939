// Checks read from `ip -j` in a node: links, addresses, routes, ARP entries, ip rules, and the session's
// /run/netns and containers.
import { parseIpAddrJson, parseIpNeighJson, parseIpRouteJson, parseIpRuleJson, parseJsonArray } from '../../observe/parse-ip.ts';
import type { ObservedLink } from '../../observe/types.ts';
import type { CheckContext } from './context.ts';
import { fail, pass, presence, type CheckOutcome } from './result.ts';
import type { AddressSpec, ContainerSpec, LinkSpec, NeighborSpec, NetnsSpec, RouteSpec, RuleSpec } from './schema.ts';

const read = (c: CheckContext, node: string, what: string, argv: string[]) =>
  c.cached(`${what}:${node}`, async () => (await c.runIn(node, argv)).stdout);

const linksOf = async (c: CheckContext, node: string) => parseIpAddrJson(await read(c, node, 'addr', ['ip', '-j', '-d', 'addr', 'show']));
const hairpinOf = async (c: CheckContext, node: string, ifname: string) => {
  const raw = parseJsonArray(await read(c, node, 'addr', ['ip', '-j', '-d', 'addr', 'show'])).find((l) => l.ifname === ifname);
  const slave = (raw?.linkinfo as { info_slave_data?: { hairpin?: boolean } } | undefined)?.info_slave_data;
  return slave?.hairpin === true;
};

/** "10.0.0.5/32" and "10.0.0.5" name the same host route or selector; "0.0.0.0/0" is "default". */
export function normalizePrefix(p: string): string {
  if (p === '0.0.0.0/0') return 'default';
  return p.endsWith('/32') ? p.slice(0, -3) : p;
}

export async function checkLink(c: CheckContext, s: LinkSpec): Promise<CheckOutcome> {
  const links = await linksOf(c, s.node);
  const candidates = links.filter((l) => (s.name === undefined || l.ifname === s.name)
    && (s.master === undefined || l.master === s.master) && (s.kind === undefined || l.kind === s.kind));
  const what = s.name ?? `a ${s.kind ?? 'link'}${s.master ? ` in ${s.master}` : ''}`;
  if (s.expect === 'absent') return candidates.length ? fail(`${s.node} still has ${candidates.map((l) => l.ifname).join(', ')}`) : pass();
  if (candidates.length === 0) return fail(`${s.node} has no ${what} (it has: ${names(links)})`);
  const problems: string[] = [];
  for (const l of candidates) {
    const p = await linkProblems(c, s, l);
    if (p.length === 0) return pass(`${l.ifname}${l.master ? ` in ${l.master}` : ''}${l.up ? ', up' : ''}`);
    problems.push(`${l.ifname}: ${p.join(', ')}`);
  }
  return fail(problems.join('; '));
}

async function linkProblems(c: CheckContext, s: LinkSpec, l: ObservedLink): Promise<string[]> {
  const p: string[] = [];
  if (s.up !== undefined && l.up !== s.up) p.push(l.up ? 'is up' : 'is down');
  if (s.mac !== undefined && l.mac !== s.mac) p.push(`has MAC ${l.mac ?? 'none'}`);
  if (s.hairpin !== undefined && (await hairpinOf(c, s.node, l.ifname)) !== s.hairpin) p.push(`hairpin is ${s.hairpin ? 'off' : 'on'}`);
  return p;
}

const names = (links: ObservedLink[]) => links.map((l) => l.ifname).join(', ') || 'nothing';

export async function checkAddress(c: CheckContext, s: AddressSpec): Promise<CheckOutcome> {
  const links = await linksOf(c, s.node);
  const on = links.find((l) => (s.dev === undefined || l.ifname === s.dev) && l.addresses.includes(s.address));
  const seen = links.filter((l) => l.addresses.length && l.kind !== 'loopback').map((l) => `${l.ifname} ${l.addresses.join(',')}`).join('; ');
  return presence(s.expect, on, `${s.address}${s.dev ? ` on ${s.dev}` : ''} in ${s.node}`, seen ? `${s.node} has ${seen}` : `${s.node} has no addresses`);
}

export async function checkRoute(c: CheckContext, s: RouteSpec): Promise<CheckOutcome> {
  const routes = parseIpRouteJson(await read(c, s.node, 'route', ['ip', '-4', '-j', 'route', 'show', 'table', 'all']));
  const dst = normalizePrefix(s.dst);
  const found = routes.find((r) => r.table === s.table && normalizePrefix(r.dst) === dst && (r.type ?? 'unicast') === 'unicast'
    && (s.via === undefined || r.gateway === s.via) && (s.dev === undefined || r.dev === s.dev)
    && (s.scope === undefined || (r.scope ?? 'global') === s.scope) && (s.src === undefined || r.prefsrc === s.src));
  const same = routes.filter((r) => r.table === s.table && normalizePrefix(r.dst) === dst)
    .map((r) => [r.dst, r.gateway && `via ${r.gateway}`, r.dev && `dev ${r.dev}`, r.scope && `scope ${r.scope}`].filter(Boolean).join(' '));
  return presence(s.expect, found, `the route to ${s.dst} in ${s.node}`, same.length ? `there is: ${same.join('; ')}` : '');
}

export async function checkNeighbor(c: CheckContext, s: NeighborSpec): Promise<CheckOutcome> {
  const entries = parseIpNeighJson(await read(c, s.node, 'neigh', ['ip', '-4', '-j', 'neigh', 'show']));
  let mac = s.lladdr;
  if (s.lladdrOf) {
    const other = (await linksOf(c, s.lladdrOf.node)).find((l) => l.ifname === s.lladdrOf!.link);
    if (!other?.mac) return fail(`${s.lladdrOf.node} has no ${s.lladdrOf.link} to take the MAC from`);
    mac = other.mac;
  }
  const found = entries.find((e) => e.address === s.address && (s.dev === undefined || e.dev === s.dev)
    && (mac === undefined || e.lladdr === mac) && (s.permanent === undefined || e.state.includes('PERMANENT') === s.permanent));
  const same = entries.filter((e) => e.address === s.address).map((e) => `${e.address} ${e.lladdr ?? '(incomplete)'} ${e.state.join(',')}`);
  return presence(s.expect, found, `the ARP entry ${s.address}${mac ? ` at ${mac}` : ''}`, same.length ? `${s.node} has ${same.join('; ')}` : '');
}

export async function checkRule(c: CheckContext, s: RuleSpec): Promise<CheckOutcome> {
  const rules = parseIpRuleJson(await read(c, s.node, 'rule', ['ip', '-j', 'rule', 'show']));
  const found = rules.find((r) => (s.from === undefined || normalizePrefix(r.from) === normalizePrefix(s.from))
    && (s.to === undefined || (r.to !== undefined && normalizePrefix(r.to) === normalizePrefix(s.to)))
    && (s.table === undefined || r.table === s.table) && (s.priority === undefined || r.priority === s.priority));
  return presence(s.expect, found, `the ip rule${s.to ? ` to ${s.to}` : ''}${s.priority !== undefined ? ` prio ${s.priority}` : ''}`);
}

/** Entries of the session's /run/netns with the inode of the namespace each names. */
const netnsEntries = (c: CheckContext) => c.cached('netns-entries', async () => {
  const r = await c.runIn('host', ['find', '/run/netns', '-mindepth', '1', '-maxdepth', '1', '-printf', '%f\\n']);
  const out: { name: string; inode: number | null }[] = [];
  for (const name of r.stdout.split('\n').filter(Boolean)) {
    const st = await c.runIn('host', ['stat', '-L', '-c', '%i', '--', `/run/netns/${name}`]);
    out.push({ name, inode: st.code === 0 ? Number(st.stdout.trim()) : null });
  }
  return out;
});

export async function checkNetns(c: CheckContext, s: NetnsSpec): Promise<CheckOutcome> {
  const entries = await netnsEntries(c);
  if (s.name !== undefined) return presence(s.expect, entries.find((e) => e.name === s.name && e.inode !== null), `namespace ${s.name}`, `ip netns lists ${entries.map((e) => e.name).join(', ') || 'nothing'}`);
  const pid = await containerPid(c, s.container!);
  if (pid === null) return s.expect === 'absent' ? pass(`no container ${s.container}`) : fail(`container ${s.container} is not running`);
  const st = await c.runIn('host', ['stat', '-L', '-c', '%i', '--', `/proc/${pid}/ns/net`]);
  const inode = Number(st.stdout.trim());
  const link = entries.find((e) => e.inode === inode);
  return presence(s.expect, link, `a /var/run/netns entry for ${s.container}'s namespace`);
}

async function containerPid(c: CheckContext, name: string): Promise<number | null> {
  const r = await c.runIn('host', ['docker', 'inspect', '-f', '{{.State.Pid}}', name], 20_000);
  const pid = Number(r.stdout.trim());
  return r.code === 0 && Number.isInteger(pid) && pid > 0 ? pid : null;
}

export async function checkContainer(c: CheckContext, s: ContainerSpec): Promise<CheckOutcome> {
  const r = await c.runIn('host', ['docker', 'inspect', '-f', '{{.State.Running}}', s.name], 20_000);
  const running = r.code === 0 && r.stdout.trim() === 'true';
  const exists = r.code === 0;
  if (s.expect === 'running') return running ? pass() : fail(exists ? `${s.name} exists but is not running` : `there is no container ${s.name}`);
  return exists ? fail(`container ${s.name} still exists${running ? ' and runs' : ''}`) : pass();
}
