// The Topology document: what a learner draws. Zod schema + the types derived from it.
import { z } from 'zod';
import {
  AddressOrCidr, AddressPort, ChainName, Cidr, Ifname, Ipv4, MacAddress, MaybeNegatedAddress,
  NodeName, Port, SysctlKey, SysctlValue,
} from './fields.ts';
import { checkTopologyReferences } from './references.ts';

export const NODE_KINDS = ['host', 'netns', 'container', 'bridge', 'internet', 'external', 'router'] as const;
export const TABLES = ['filter', 'nat', 'raw', 'mangle'] as const;
export const BUILTIN_CHAINS: Record<(typeof TABLES)[number], readonly string[]> = {
  filter: ['INPUT', 'FORWARD', 'OUTPUT'],
  nat: ['PREROUTING', 'INPUT', 'OUTPUT', 'POSTROUTING'],
  raw: ['PREROUTING', 'OUTPUT'],
  mangle: ['PREROUTING', 'INPUT', 'FORWARD', 'OUTPUT', 'POSTROUTING'],
};
export const TARGETS = ['ACCEPT', 'DROP', 'REJECT', 'RETURN', 'MASQUERADE', 'SNAT', 'DNAT', 'LOG'] as const;

const MAX_ITEMS = 1000;
const list = <T extends z.ZodTypeAny>(item: T) => z.array(item).max(MAX_ITEMS, { message: `at most ${MAX_ITEMS} entries` });

export const NodeAddressSchema = z.union([
  Cidr,
  z.object({ dev: Ifname, address: Cidr }).strict(),
]);

export const RouteSchema = z
  .object({
    dst: z.union([z.literal('default'), AddressOrCidr]),
    via: Ipv4.optional(),
    dev: Ifname.optional(),
    scope: z.enum(['link', 'host', 'global']).optional(),
    src: Ipv4.optional(),
    proto: z.enum(['kernel', 'static', 'boot']).optional(),
    metric: z.number().int().min(0).max(4294967295).optional(),
    table: z.union([z.enum(['main', 'local']), z.number().int().min(1).max(4294967295)]).optional(),
  })
  .strict()
  .refine((r) => r.via !== undefined || r.dev !== undefined, { message: 'a route needs a gateway (via) or a device (dev)' });

export const IpRuleSchema = z
  .object({
    from: z.union([z.literal('all'), AddressOrCidr]).optional(),
    to: AddressOrCidr.optional(),
    table: z.union([z.enum(['main', 'local']), z.number().int().min(1).max(4294967295)]),
    priority: z.number().int().min(1).max(32765),
  })
  .strict();

export const NeighborSchema = z.object({ dev: Ifname, address: Ipv4, lladdr: MacAddress }).strict();

export const StatisticSchema = z.union([
  z.object({ mode: z.literal('random'), probability: z.number().gt(0).lt(1) }).strict(),
  z.object({ mode: z.literal('nth'), every: z.number().int().min(2).max(1000), packet: z.number().int().min(0).max(999) }).strict(),
]);

export const IptablesRuleSchema = z
  .object({
    table: z.enum(TABLES).default('filter'),
    chain: ChainName,
    source: MaybeNegatedAddress.optional(),
    destination: MaybeNegatedAddress.optional(),
    inIface: Ifname.optional(),
    outIface: Ifname.optional(),
    protocol: z.enum(['tcp', 'udp', 'icmp']).optional(),
    sport: Port.optional(),
    dport: Port.optional(),
    dstType: z.enum(['LOCAL', 'UNICAST', 'BROADCAST']).optional(),
    statistic: StatisticSchema.optional(),
    jump: z.union([z.enum(TARGETS), ChainName]),
    toSource: AddressPort.optional(),
    toDestination: AddressPort.optional(),
  })
  .strict();

export const ChainPolicySchema = z
  .object({ table: z.enum(TABLES).default('filter'), chain: ChainName, policy: z.enum(['ACCEPT', 'DROP']) })
  .strict();

export const UserChainSchema = z.object({ table: z.enum(TABLES).default('filter'), name: ChainName }).strict();

export const IptablesSchema = z
  .object({
    policies: list(ChainPolicySchema).optional(),
    chains: list(UserChainSchema).optional(),
    rules: list(IptablesRuleSchema).optional(),
  })
  .strict();

export const ServiceSchema = z
  .object({ kind: z.literal('http').default('http'), port: Port, body: z.string().max(200).regex(/^[^\u0000-\u001f]*$/).optional() })
  .strict();

export const NodeSchema = z
  .object({
    name: NodeName,
    kind: z.enum(NODE_KINDS),
    in: NodeName.optional().describe('bridges only: the node whose namespace holds the bridge (default host)'),
    image: z.string().max(128).regex(/^[a-z0-9][a-z0-9._/:-]*$/, { message: 'an image is a name like nginx:alpine' }).optional(),
    addresses: list(NodeAddressSchema).optional(),
    routes: list(RouteSchema).optional(),
    rules: list(IpRuleSchema).optional(),
    neighbors: list(NeighborSchema).optional(),
    sysctls: z.record(SysctlKey, SysctlValue).optional(),
    iptables: IptablesSchema.optional(),
    services: list(ServiceSchema).optional(),
  })
  .strict();

export const VethEndSchema = z
  .object({
    node: NodeName,
    ifname: Ifname,
    addresses: list(Cidr).optional(),
    mac: MacAddress.optional(),
    mtu: z.number().int().min(68).max(65535).optional(),
    master: NodeName.optional().describe('a bridge node this end is a port of'),
    up: z.boolean().optional(),
  })
  .strict();

export const VethPairSchema = z.object({ a: VethEndSchema, b: VethEndSchema }).strict();

export const LayoutSchema = z.record(z.string().max(64), z.object({ x: z.number().finite(), y: z.number().finite() }).strict());

export const TopologySchema = z
  .object({
    version: z.literal(1).default(1),
    name: z.string().max(100).optional(),
    nodes: z.array(NodeSchema).max(2000, { message: 'at most 2000 nodes in one topology' }).default([]),
    links: z.array(VethPairSchema).max(4000, { message: 'at most 4000 links in one topology' }).default([]),
    layout: LayoutSchema.optional(),
  })
  .strict()
  .superRefine(checkTopologyReferences);

export type Topology = z.output<typeof TopologySchema>;
export type TopologyInput = z.input<typeof TopologySchema>;
export type TopoNode = z.output<typeof NodeSchema>;
export type NodeKind = TopoNode['kind'];
export type VethPair = z.output<typeof VethPairSchema>;
export type VethEnd = z.output<typeof VethEndSchema>;
export type Route = z.output<typeof RouteSchema>;
export type IpRule = z.output<typeof IpRuleSchema>;
export type NeighborEntry = z.output<typeof NeighborSchema>;
export type IptablesRule = z.output<typeof IptablesRuleSchema>;
export type ChainPolicy = z.output<typeof ChainPolicySchema>;
export type UserChain = z.output<typeof UserChainSchema>;
export type Service = z.output<typeof ServiceSchema>;
export type NodeAddress = z.output<typeof NodeAddressSchema>;
export type Table = (typeof TABLES)[number];

/** Kinds that are their own network namespace created by `ip netns add`. */
export function isNamespaceKind(kind: NodeKind): boolean {
  return kind === 'netns' || kind === 'internet' || kind === 'external' || kind === 'router';
}
