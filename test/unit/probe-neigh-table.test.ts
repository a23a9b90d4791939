// The machine-wide neighbour table (server/probe/neigh-table.ts): reading /proc's counters, estimating
// what a matrix adds, refusing one that would not fit, the sentences.
import { describe, expect, it } from 'vitest';
import { matrixNeighNeed, neighFullNote, neighHeadroom, neighRefusal, neighStartNote, parseArpCache } from '../../server/probe/neigh-table.ts';
import { NetView } from '../../server/probe/netview.ts';
import type { NamespaceState, ObservedNeighbor } from '../../server/observe/types.ts';

const ARP_CACHE = `entries  allocs   destroys hash_grows lookups  hits     res_failed rcv_probes_mcast rcv_probes_ucast periodic_gc_runs forced_gc_runs unresolved_discards table_fulls
00000002 0000337f 000033b2 00000004   0002ee6f 0000ca71 00000035   00000000         00000000         00000000         0000065c       00000000            0000065b
00000002 000036ee 000036b9 00000004   0002b4bc 0000c7ac 00000031   00000000         00000000         00000893         000002d9       00000000            000002d9
`;

function ns(node: string, address: string, prefix: number, extra: Partial<NamespaceState> = {}): NamespaceState {
  return {
    node, links: [{ ifname: 'eth0', ifindex: 2, kind: 'veth', up: true, operUp: true, addresses: [`${address}/${prefix}`] }],
    routes: [{ table: 'main', dst: `${address.split('.').slice(0, 3).join('.')}.0/${prefix}`, dev: 'eth0', scope: 'link' }],
    rules: [], neighbors: [], sysctls: {}, iptables: { chains: {}, rules: {} }, listening: [], netnsIds: {}, ...extra,
  } as NamespaceState;
}

/** n namespaces on one /24 (a star on a bridge). */
function star(n: number, neighbors: Record<string, ObservedNeighbor[]> = {}): NetView {
  const namespaces: Record<string, NamespaceState> = {};
  for (let i = 1; i <= n; i++) namespaces[`n${i}`] = ns(`n${i}`, `10.9.0.${i}`, 24, { neighbors: neighbors[`n${i}`] ?? [] });
  return new NetView({ at: 0, namespaces, containers: [] });
}

const allPairs = (v: NetView) => v.nodes().flatMap((from) => v.nodes().filter((to) => to !== from).map((to) => ({ from, address: v.primaryAddress(to, from)! })));

describe('neighbour table', () => {
  it('reads entries (global) and sums table_fulls over the CPUs', () => {
    expect(parseArpCache(ARP_CACHE)).toEqual({ entries: 2, fulls: 0x65b + 0x2d9 });
    expect(parseArpCache('nonsense')).toBeNull();
  });

  it('counts one entry each way per on-link pair, none for a neighbour already known', () => {
    expect(matrixNeighNeed(star(10), allPairs(star(10)))).toBe(90);
    expect(matrixNeighNeed(star(50), allPairs(star(50)))).toBe(2450);
    // n1 already resolved n2: only n2's entry for n1 may still be made by this pair
    const known = star(3, { n1: [{ dev: 'eth0', address: '10.9.0.2', lladdr: '02:00:00:00:00:02', state: ['REACHABLE'] }] });
    expect(matrixNeighNeed(known, [{ from: 'n1', address: '10.9.0.2' }])).toBe(1);
  });

  it('counts the gateway, not each address behind it', () => {
    const namespaces: Record<string, NamespaceState> = {
      a: ns('a', '10.1.0.2', 24, { routes: [{ table: 'main', dst: '10.1.0.0/24', dev: 'eth0' }, { table: 'main', dst: 'default', gateway: '10.1.0.1', dev: 'eth0' }] }),
      r: ns('r', '10.1.0.1', 24),
    };
    const v = new NetView({ at: 0, namespaces, containers: [] });
    expect(matrixNeighNeed(v, [{ from: 'a', address: '172.16.0.5' }, { from: 'a', address: '172.16.0.6' }, { from: 'a', address: '192.0.2.1' }])).toBe(2);
  });

  it('refuses what would not fit with a quarter of the table kept free, and says how to go on', () => {
    expect(neighHeadroom(1024)).toBe(256);
    expect(neighHeadroom(16384)).toBe(4096);
    expect(neighRefusal({ entries: 10, limit: 1024, fulls: 0 }, 380, 20)).toBeUndefined();
    const no = neighRefusal({ entries: 10, limit: 1024, fulls: 0 }, 2450, 50);
    expect(no).toMatch(/2,450 neighbour \(ARP\) entries/);
    expect(no).toMatch(/1,024 for the whole machine \(10 in use, 256 kept free\)/);
    expect(no).toMatch(/fewer nodes/);
    expect(no).toMatch(/nsplay never changes it/);
    // entries already in use count: the same 380 no longer fit
    expect(neighRefusal({ entries: 500, limit: 1024, fulls: 0 }, 380, 20)).toBeDefined();
    // a limit nsplay cannot read: it does not guess
    expect(neighRefusal({ entries: 10, limit: null, fulls: 0 }, 2450, 50)).toBeUndefined();
    expect(neighRefusal(null, 2450, 50)).toBeUndefined();
  });

  it('says at start when the table is small for a room, and how many nodes a matrix may have', () => {
    expect(neighStartNote({ entries: 2, limit: 1024, fulls: 0 })).toMatch(/holds 1,024 entries.*more than ~28 nodes.*nsplay does not change it/);
    expect(neighStartNote({ entries: 2, limit: 16384, fulls: 0 })).toBeUndefined();
    expect(neighStartNote(null)).toBeUndefined();
  });

  it('explains cells that hit a full table', () => {
    expect(neighFullNote({ entries: 1024, limit: 1024, fulls: 9 }, 474)).toMatch(/1,024 entries for the whole machine.*474 pairs could not be tested/);
  });
});
