// One sentence per check, for the lab panel and the CLI. Pure.
import { kindOf, type Check } from './schema.ts';

type Spec = Record<string, any>;

const present = (s: Spec, yes: string, no: string) => (s.expect === 'absent' ? no : yes);

const LABELS: Record<string, (s: Spec) => string> = {
  reach: (s) => s.expect === 'ok'
    ? `${s.from} reaches ${s.to}`
    : `${s.from} cannot reach ${s.to}${s.reason ? ` (${REASONS[s.reason as string]})` : ''}`,
  http: (s) => {
    const times = s.repeat > 1 ? ` ${s.repeat}×` : '';
    if (s.expect === 'fail') return `${s.from} gets no answer from ${s.url}${times}`;
    const what = s.contains ? ` with "${s.contains}"` : '';
    return `${s.from} gets an answer${what} from ${s.url}${times}${s.distinct ? `, from at least ${s.distinct} different servers` : ''}`;
  },
  link: (s) => {
    const name = s.name ? `${s.name}` : `a ${s.kind ?? 'link'}${s.master ? ` in ${s.master}` : ''}`;
    const bits = [s.master && s.name ? `port of ${s.master}` : '', s.up === true ? 'up' : s.up === false ? 'down' : '',
      s.mac ? `MAC ${s.mac}` : '', s.hairpin === true ? 'hairpin on' : s.hairpin === false ? 'hairpin off' : ''].filter(Boolean);
    return present(s, `${s.node} has ${name}${bits.length ? ` (${bits.join(', ')})` : ''}`, `${s.node} has no ${name}`);
  },
  address: (s) => present(s, `${s.node} has ${s.address}${s.dev ? ` on ${s.dev}` : ''}`, `${s.node} does not have ${s.address}${s.dev ? ` on ${s.dev}` : ''}`),
  route: (s) => {
    const r = [s.dst, s.via ? `via ${s.via}` : '', s.dev ? `dev ${s.dev}` : '', s.scope ? `scope ${s.scope}` : '', s.src ? `src ${s.src}` : '',
      s.table !== 'main' ? `table ${s.table}` : ''].filter(Boolean).join(' ');
    return present(s, `${s.node} has the route ${r}`, `${s.node} has no route ${r}`);
  },
  neighbor: (s) => {
    const mac = s.lladdr ?? (s.lladdrOf ? `${s.lladdrOf.node} ${s.lladdrOf.link}'s MAC` : 'a MAC');
    return present(s, `${s.node} knows ${s.address} is at ${mac}${s.permanent ? ' (static)' : ''}`, `${s.node} has no ARP entry for ${s.address}`);
  },
  rule: (s) => {
    const r = [`from ${s.from ?? 'all'}`, s.to ? `to ${s.to}` : '', s.table ? `lookup ${s.table}` : '', s.priority !== undefined ? `prio ${s.priority}` : ''].filter(Boolean).join(' ');
    return present(s, `${s.node} has the ip rule ${r}`, `${s.node} has no ip rule ${r}`);
  },
  netns: (s) => s.name
    ? present(s, `ip netns lists ${s.name}`, `ip netns does not list ${s.name}`)
    : present(s, `${s.container}'s namespace is linked under /var/run/netns`, `${s.container}'s namespace is no longer under /var/run/netns`),
  container: (s) => (s.expect === 'running' ? `container ${s.name} is running` : `there is no container ${s.name}`),
  iptables: (s) => {
    if (s.policy) return `${s.node}: ${s.table} ${s.policy.chain} policy is ${s.policy.is}`;
    const what = s.rule ? `'${s.rule}'` : s.chain ? `chain ${s.chain}` : `a rule matching /${s.match}/`;
    return present(s, `${s.node} iptables ${s.table} has ${what}`, `${s.node} iptables ${s.table} has no ${what}`);
  },
  nft: (s) => present(s, `${s.node} nftables has a rule matching /${s.match}/`, `${s.node} nftables has nothing matching /${s.match}/`),
  conntrack: (s) => present(s, `${s.node} conntrack has connections to ${s.dst} sent on to ${s.natTo.join(', ')}`, `${s.node} conntrack has no NATed connection to ${s.dst}`),
  file: (s) => present(s, `${s.path} exists${s.contains ? ` and contains "${s.contains}"` : ''}`, `${s.path} does not exist`),
  json: (s) => `${s.path}: ${s.query}${s.equals !== undefined ? ` is ${JSON.stringify(s.equals)}` : s.matches ? ` matches /${s.matches}/` : ' is set'}`,
};

const REASONS: Record<string, string> = {
  'no-route': 'Network is unreachable: no route',
  'no-reply': 'sent, but no reply',
  unreachable: 'an ICMP error comes back',
  refused: 'connection refused',
};

export function describeCheck(check: Check): string {
  const { kind, spec } = kindOf(check);
  return (spec.label as string | undefined) ?? LABELS[kind]?.(spec) ?? kind;
}
