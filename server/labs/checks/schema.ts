// Checks a lab step is judged by: each a statement about the kernel (or a file the step wrote) that the
// runner evaluates inside the session — never by reading a terminal. Pure: zod schemas and types.
// In a lab file a check is a one-key map: `- reach: {from: netns1, to: 10.0.0.201, expect: ok}`.
import { z } from 'zod';
import { AddressOrCidr, ChainName, Cidr, Ifname, Ipv4, MacAddress, NodeName, Port } from '../../topology/fields.ts';

const Presence = z.enum(['present', 'absent']).default('present');
const Label = z.string().min(1).max(200).optional().describe('what the learner sees next to the check (default: generated)');

/** A regular expression written in a lab file; compiled once to prove it is one. */
const Pattern = z.string().min(1).max(300).superRefine((s, ctx) => {
  try {
    new RegExp(s, 'u');
  } catch (e) {
    ctx.addIssue({ code: 'custom', message: `not a regular expression: ${(e as Error).message}` });
  }
});

/** "10.0.0.101" (ping) or "10.0.0.101:8080" (a TCP connect). */
const ReachTarget = z.string().max(21).regex(/^[0-9.]+(:[0-9]{1,5})?$/, { message: 'a target is ADDRESS or ADDRESS:PORT' })
  .superRefine((s, ctx) => {
    const [ip, port] = s.split(':');
    if (Ipv4.safeParse(ip).success === false) ctx.addIssue({ code: 'custom', message: `'${ip}' is not an IPv4 address` });
    if (port !== undefined && !Port.safeParse(Number(port)).success) ctx.addIssue({ code: 'custom', message: `port ${port}: ports run from 1 to 65535` });
  });

export const FAIL_REASONS = ['no-route', 'no-reply', 'unreachable', 'refused'] as const;

export const ReachCheck = z.object({
  /** A node of the session: host, a namespace, or a container by name. */
  from: NodeName,
  to: ReachTarget,
  expect: z.enum(['ok', 'fail']),
  /** Why it must fail: no-route (Network is unreachable), no-reply (sent, nothing came back),
   *  unreachable (an ICMP error came back, e.g. no ARP answer), refused (TCP RST). */
  reason: z.enum(FAIL_REASONS).optional(),
  label: Label,
}).strict().refine((c) => c.reason === undefined || c.expect === 'fail', { message: 'a reason only goes with expect: fail' });

const Url = z.string().max(200).regex(/^http:\/\/[0-9.]+(:[0-9]{1,5})?(\/[A-Za-z0-9._~\/-]*)?$/, {
  message: 'a URL here is http://IPV4[:PORT][/path]',
}).superRefine((s, ctx) => {
  const host = /^http:\/\/([0-9.]+)/.exec(s)?.[1] ?? '';
  if (!Ipv4.safeParse(host).success) ctx.addIssue({ code: 'custom', message: `'${host}' is not an IPv4 address` });
});

export const HttpCheck = z.object({
  from: NodeName,
  url: Url,
  expect: z.enum(['ok', 'fail']),
  /** Every answer must contain this text. */
  contains: z.string().min(1).max(200).optional(),
  /** Ask this many times (a load balancer spreads them). Every request must succeed (or, for fail, fail). */
  repeat: z.number().int().min(1).max(60).default(1),
  /** At least this many different answers among the repeats (every backend answered). */
  distinct: z.number().int().min(2).max(60).optional(),
  label: Label,
}).strict().refine((c) => c.distinct === undefined || c.distinct <= c.repeat, { message: 'distinct cannot exceed repeat' });

export const LinkCheck = z.object({
  node: NodeName,
  /** Without a name: any link matching the other fields (e.g. any port of a bridge). */
  name: Ifname.optional(),
  master: Ifname.optional(),
  kind: z.enum(['veth', 'bridge', 'device', 'loopback', 'dummy']).optional(),
  up: z.boolean().optional(),
  mac: MacAddress.optional(),
  /** Bridge ports: hairpin mode (a frame may leave by the port it came in on). */
  hairpin: z.boolean().optional(),
  expect: Presence,
  label: Label,
}).strict();

export const AddressCheck = z.object({
  node: NodeName,
  dev: Ifname.optional(),
  address: Cidr,
  expect: Presence,
  label: Label,
}).strict();

export const RouteCheck = z.object({
  node: NodeName,
  dst: z.union([z.literal('default'), AddressOrCidr]),
  via: Ipv4.optional(),
  dev: Ifname.optional(),
  scope: z.enum(['link', 'host', 'global']).optional(),
  src: Ipv4.optional(),
  table: z.string().regex(/^(main|local|[0-9]{1,10})$/).default('main'),
  expect: Presence,
  label: Label,
}).strict();

export const NeighborCheck = z.object({
  node: NodeName,
  address: Ipv4,
  dev: Ifname.optional(),
  lladdr: MacAddress.optional(),
  /** The MAC must be that of another link (lab 8: the host end of the container's veth). */
  lladdrOf: z.object({ node: NodeName, link: Ifname }).strict().optional(),
  permanent: z.boolean().optional(),
  expect: Presence,
  label: Label,
}).strict();

export const RuleCheck = z.object({
  node: NodeName,
  from: z.union([z.literal('all'), AddressOrCidr]).optional(),
  to: AddressOrCidr.optional(),
  table: z.string().regex(/^(main|local|default|[0-9]{1,10})$/).optional(),
  priority: z.number().int().min(0).max(32767).optional(),
  expect: Presence,
  label: Label,
}).strict();

export const NetnsCheck = z.object({
  /** A namespace file under the session's /run/netns with this name … */
  name: NodeName.optional(),
  /** … or any entry there that is this container's namespace (the seed links it by container id). */
  container: NodeName.optional(),
  expect: Presence,
  label: Label,
}).strict().refine((c) => (c.name === undefined) !== (c.container === undefined), { message: 'give exactly one of name or container' });

export const ContainerCheck = z.object({
  name: NodeName,
  expect: z.enum(['running', 'absent']),
  label: Label,
}).strict();

const TABLE = z.enum(['filter', 'nat', 'raw', 'mangle']).default('filter');

export const IptablesCheck = z.object({
  node: NodeName,
  table: TABLE,
  /** A rule exactly as `iptables -t TABLE -S` prints it: "-A POSTROUTING -s 10.0.0.0/24 -o enp0s3 -j MASQUERADE". */
  rule: z.string().regex(/^-A [A-Za-z][A-Za-z0-9_-]{0,28} [^\n]{1,400}$/, { message: "a rule reads '-A CHAIN …' as iptables -S prints it" }).optional(),
  /** Or: some line of `iptables -t TABLE -S` matches this pattern. */
  match: Pattern.optional(),
  /** Or: a built-in chain has this policy. */
  policy: z.object({ chain: ChainName, is: z.enum(['ACCEPT', 'DROP']) }).strict().optional(),
  /** Or: a chain of this name exists. */
  chain: ChainName.optional(),
  expect: Presence,
  label: Label,
}).strict().refine((c) => [c.rule, c.match, c.policy, c.chain].filter((x) => x !== undefined).length === 1, {
  message: 'give exactly one of rule, match, policy or chain',
});

export const NftCheck = z.object({
  node: NodeName,
  /** Some line of `nft list ruleset` matches this pattern. */
  match: Pattern,
  expect: Presence,
  label: Label,
}).strict();

export const ConntrackCheck = z.object({
  node: NodeName,
  /** Connections whose original destination is this address … */
  dst: Ipv4,
  /** … and that were destination-NATed to each of these (the reply comes from them). */
  natTo: z.array(Ipv4).min(1).max(16),
  expect: Presence,
  label: Label,
}).strict();

/** A path a step writes: relative to the session's work directory, or absolute inside the sandbox. */
const FilePath = z.string().min(1).max(300).regex(/^[A-Za-z0-9_./-]+$/, { message: 'a path here uses letters, digits, _ . - /' })
  .refine((p) => !p.split('/').includes('..'), { message: "a path may not contain '..'" });

export const FileCheck = z.object({
  path: FilePath,
  expect: Presence,
  contains: z.string().min(1).max(200).optional(),
  label: Label,
}).strict();

/** "ips[0].address", "interfaces[2].sandbox", "dns.nameservers[0]". */
export const JsonQuery = z.string().min(1).max(200).regex(/^[A-Za-z_][A-Za-z0-9_-]*(\[[0-9]{1,4}\])*(\.[A-Za-z_][A-Za-z0-9_-]*(\[[0-9]{1,4}\])*)*$/, {
  message: "a query reads like ips[0].address",
});

export const JsonCheck = z.object({
  path: FilePath,
  query: JsonQuery,
  equals: z.union([z.string().max(200), z.number(), z.boolean()]).optional(),
  /** The value is a string matching this pattern. */
  matches: Pattern.optional(),
  label: Label,
}).strict();

export const CheckSchema = z.union([
  z.object({ reach: ReachCheck }).strict(),
  z.object({ http: HttpCheck }).strict(),
  z.object({ link: LinkCheck }).strict(),
  z.object({ address: AddressCheck }).strict(),
  z.object({ route: RouteCheck }).strict(),
  z.object({ neighbor: NeighborCheck }).strict(),
  z.object({ rule: RuleCheck }).strict(),
  z.object({ netns: NetnsCheck }).strict(),
  z.object({ container: ContainerCheck }).strict(),
  z.object({ iptables: IptablesCheck }).strict(),
  z.object({ nft: NftCheck }).strict(),
  z.object({ conntrack: ConntrackCheck }).strict(),
  z.object({ file: FileCheck }).strict(),
  z.object({ json: JsonCheck }).strict(),
], { message: 'a check is one of reach, http, link, address, route, neighbor, rule, netns, container, iptables, nft, conntrack, file, json' });

export type Check = z.output<typeof CheckSchema>;
export type ReachSpec = z.output<typeof ReachCheck>;
export type HttpSpec = z.output<typeof HttpCheck>;
export type LinkSpec = z.output<typeof LinkCheck>;
export type AddressSpec = z.output<typeof AddressCheck>;
export type RouteSpec = z.output<typeof RouteCheck>;
export type NeighborSpec = z.output<typeof NeighborCheck>;
export type RuleSpec = z.output<typeof RuleCheck>;
export type NetnsSpec = z.output<typeof NetnsCheck>;
export type ContainerSpec = z.output<typeof ContainerCheck>;
export type IptablesSpec = z.output<typeof IptablesCheck>;
export type NftSpec = z.output<typeof NftCheck>;
export type ConntrackSpec = z.output<typeof ConntrackCheck>;
export type FileSpec = z.output<typeof FileCheck>;
export type JsonSpec = z.output<typeof JsonCheck>;

/** The kind of a check and its body. */
export function kindOf(check: Check): { kind: string; spec: Record<string, unknown> } {
  const [kind, spec] = Object.entries(check)[0] as [string, Record<string, unknown>];
  return { kind, spec };
}
