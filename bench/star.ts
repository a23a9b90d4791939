// The bench's star: N namespaces n1..nN, each with a veth (veth<i> in host, eth0 inside) plugged into
// one bridge br0 in the session's host, an address and a default route via the bridge. As a drawing
// for nsplay, and as the hand-written `ip -batch` input that does the same work (the baseline).
import type { Topology } from '../server/topology/schema.ts';

export interface StarAddressing {
  prefix: number;
  /** The bridge's address: the namespaces' gateway. */
  bridge: string;
  /** Address of n<i> at index i - 1. */
  hosts: string[];
}

/**
 * 10.0.0.1/24 on the bridge while N < 250, 10.0.0.1/16 from 250 on. Octets 0 and 255 are skipped,
 * and so is 10.0.2.0/24: the sandbox's uplink (enp0s3 10.0.2.15/24, gateway 10.0.2.2) lives there.
 */
export function starAddressing(n: number): StarAddressing {
  if (n < 1) throw new Error('a star needs at least one namespace');
  const prefix = n < 250 ? 24 : 16;
  const all: string[] = [];
  for (let x = 0; x < (prefix === 24 ? 1 : 256) && all.length < n + 1; x++) {
    if (x === 2) continue;
    for (let y = 1; y <= 254 && all.length < n + 1; y++) all.push(`10.0.${x}.${y}`);
  }
  if (all.length < n + 1) throw new Error(`a /${prefix} has no room for ${n} namespaces`);
  return { prefix, bridge: all[0], hosts: all.slice(1) };
}

const range = (n: number) => Array.from({ length: n }, (_, k) => k + 1);

/** Names the kernel will see: at most 15 bytes (veth99999 is 9). */
export const nsName = (i: number) => `n${i}`;
export const hostIf = (i: number) => `veth${i}`;
export const NS_IF = 'eth0';
export const BRIDGE = 'br0';

export function starTopology(n: number): Topology {
  const a = starAddressing(n);
  return {
    version: 1,
    name: `bench star ${n}`,
    nodes: [
      { name: BRIDGE, kind: 'bridge', in: 'host', addresses: [`${a.bridge}/${a.prefix}`] },
      ...range(n).map((i) => ({
        name: nsName(i),
        kind: 'netns' as const,
        routes: [{ dst: 'default' as const, via: a.bridge, dev: NS_IF }],
      })),
    ],
    links: range(n).map((i) => ({
      a: { node: BRIDGE, ifname: hostIf(i) },
      b: { node: nsName(i), ifname: NS_IF, addresses: [`${a.hosts[i - 1]}/${a.prefix}`] },
    })),
  };
}

/**
 * Baseline, part 1: one `ip -batch -` in the session's host — every `netns add`, the bridge, and each
 * veth created with its host end already a bridge port and up and its other end straight in nI.
 */
export function baselineHostBatch(n: number): string {
  const a = starAddressing(n);
  const lines = [
    ...range(n).map((i) => `netns add ${nsName(i)}`),
    `link add ${BRIDGE} type bridge`,
    `addr add ${a.bridge}/${a.prefix} dev ${BRIDGE}`,
    `link set ${BRIDGE} up`,
    ...range(n).map((i) => `link add ${hostIf(i)} master ${BRIDGE} up type veth peer name ${NS_IF} netns ${nsName(i)}`),
  ];
  return `${lines.join('\n')}\n`;
}

/** Baseline, part 2: `ip -n nI -batch -` with this input, per namespace (4 in flight). */
export function baselineNsBatch(n: number, i: number): string {
  const a = starAddressing(n);
  return [
    'link set lo up',
    `addr add ${a.hosts[i - 1]}/${a.prefix} dev ${NS_IF}`,
    `link set ${NS_IF} up`,
    `route add default via ${a.bridge} dev ${NS_IF}`,
    '',
  ].join('\n');
}

/** Baseline for teardown: one `ip -batch -` deleting every namespace; the kernel reaps their veths. */
export function baselineDestroyBatch(n: number): string {
  return `${range(n).map((i) => `netns del ${nsName(i)}`).join('\n')}\n`;
}

/** Baseline for a second apply: read what a diff needs (links, addresses, routes) of one namespace. */
export const OBSERVE_BASELINE_BATCH = 'addr show\nroute show table all\n';

/** Namespaces to sample when waiting for the kernel to reap a star: first, middle, last. */
export function sampleNamespaces(n: number): string[] {
  return [...new Set([1, Math.ceil(n / 2), n])].map(nsName);
}
