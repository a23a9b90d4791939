// The all-pairs matrix on 20 nodes (the sandbox's host, internet and external, 13 namespaces on br0
// with a default route, 4 on br1 without one) — about half the pairs fail, for known reasons — and on
// 10 of them. Timings are printed (figures, not assertions); nothing is left behind.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { matrix } from '../../server/probe/index.ts';
import { readNeighTable } from '../../server/probe/neigh-table.ts';
import { createEngine } from '../../server/session/engine.ts';
import type { Topology } from '../../server/topology/schema.ts';
import { footprint, newProcesses } from '../fixtures/probe/harness.ts';
import { TEST_STATE_DIR } from './env.ts';

const engine = createEngine({ stateDir: TEST_STATE_DIR });
const name = (i: number) => `ns${String(i).padStart(2, '0')}`;

function twoBridges(onBr0: number, onBr1: number): Topology {
  const nodes: Topology['nodes'] = [
    { name: 'br0', kind: 'bridge', in: 'host', addresses: ['10.0.0.1/24'] },
    { name: 'br1', kind: 'bridge', in: 'host', addresses: ['10.0.1.1/24'] },
  ];
  const links: Topology['links'] = [];
  for (let i = 1; i <= onBr0 + onBr1; i++) {
    const second = i > onBr0;
    const net = second ? '10.0.1' : '10.0.0';
    nodes.push({ name: name(i), kind: 'netns', ...(second ? {} : { routes: [{ dst: 'default', via: '10.0.0.1', dev: 'eth0' }] }) });
    links.push({ a: { node: second ? 'br1' : 'br0', ifname: `v${name(i)}` }, b: { node: name(i), ifname: 'eth0', addresses: [`${net}.${100 + i}/24`] } });
  }
  return { version: 1, name: 'matrix', nodes, links };
}

describe('matrix', () => {
  let id = '';
  beforeAll(async () => {
    id = (await engine.create({ owner: 'test' })).id;
    const r = await engine.apply(id, twoBridges(13, 4));
    expect(r.error?.stderr ?? '').toBe('');
  }, 180_000);
  afterAll(async () => { if (id) await engine.destroy(id); });

  it('20 nodes: ok/fail for all 380 pairs, the reasons of the failing ones, nothing left behind', async () => {
    const nodes = Object.keys((await engine.status(id)).observed.namespaces);
    expect(nodes).toHaveLength(20);
    const before = await footprint(engine, id, nodes);
    let firstCells = 0;
    const m = await matrix(engine, id, undefined, { onCells: (cells) => { firstCells = cells.length; } });
    const failing = m.cells.filter((c) => !c.ok);
    console.log(`[matrix] 20 nodes, ${m.cells.length} pairs, ${failing.length} failing: ${m.ms.total} ms total (fping ${m.ms.ping} ms, kernel-confirmed reasons ${m.ms.detail} ms)`);
    expect(m.cells).toHaveLength(380);
    expect(firstCells).toBe(380);
    const cell = (from: string, to: string) => m.cells.find((c) => c.from === from && c.to === to)!;
    expect(cell('ns01', 'ns13')).toMatchObject({ ok: true });
    expect(cell('ns01', 'host')).toMatchObject({ ok: true, address: '10.0.0.1' });
    expect(cell('ns14', 'host')).toMatchObject({ ok: true, address: '10.0.1.1' });
    expect(cell('ns14', 'ns17')).toMatchObject({ ok: true });
    expect(cell('ns14', 'ns01')).toMatchObject({ ok: false, reason: 'no-route', hop: { node: 'ns14' } });
    expect(cell('ns01', 'ns14')).toMatchObject({ ok: false, reason: 'no-return-path', hop: { node: 'ns14', interface: 'eth0' } });
    expect(cell('ns01', 'internet')).toMatchObject({ ok: false, reason: 'no-return-path', hop: { node: 'internet', interface: 'eth0' } });
    expect(failing.length).toBeGreaterThan(100);
    expect(failing.every((c) => c.reason && c.hop)).toBe(true);
    const confirmed = failing.filter((c) => c.evidence === 'kernel');
    expect(confirmed.length).toBeGreaterThan(0);
    expect(confirmed.length).toBeLessThanOrEqual(10);
    const after = await footprint(engine, id, nodes);
    expect(after.iptables).toEqual(before.iptables);
    expect(newProcesses(before, after)).toEqual([]);
  }, 180_000);

  it('10 nodes, and the fping phase alone (figures)', async () => {
    const ten = ['host', 'internet', 'external', 'ns01', 'ns02', 'ns03', 'ns04', 'ns05', 'ns14', 'ns15'];
    const m = await matrix(engine, id, ten);
    console.log(`[matrix] 10 nodes, ${m.cells.length} pairs, ${m.cells.filter((c) => !c.ok).length} failing: ${m.ms.total} ms total (fping ${m.ms.ping} ms, detail ${m.ms.detail} ms)`);
    expect(m.cells).toHaveLength(90);
    const fast = await matrix(engine, id, undefined, { detail: 0 });
    console.log(`[matrix] 20 nodes, walk reasons only: ${fast.ms.total} ms total (fping ${fast.ms.ping} ms)`);
    expect(fast.cells.filter((c) => !c.ok).every((c) => c.evidence === 'walk')).toBe(true);
  }, 180_000);

  it('refuses unknown nodes', async () => {
    await expect(matrix(engine, id, ['ns01', 'nosuch'])).rejects.toThrow(/no node 'nosuch'/);
  }, 60_000);
});

// The kernel's neighbour table is one for the whole machine (1,024 entries by default): an all-pairs
// matrix of 40 namespaces on one bridge would add 1,560 entries, fill it and starve the machine's own
// network. It is refused, with the numbers, before a single ping (the table does not grow).
describe('matrix and the machine-wide neighbour table', () => {
  const N = 40;
  const table = readNeighTable();
  const fits = !table || table.limit === null || N * (N - 1) <= table.limit * 0.75;
  let id = '';
  beforeAll(async () => {
    if (fits) return;
    id = (await engine.create({ owner: 'test' })).id;
    const r = await engine.apply(id, twoBridges(N, 0));
    expect(r.error?.stderr ?? '').toBe('');
  }, 180_000);
  afterAll(async () => { if (id) await engine.destroy(id); });

  it.skipIf(fits)(`a ${N}-node matrix that would fill it is refused before any ping`, async () => {
    const nodes = Array.from({ length: N }, (_, i) => name(i + 1));
    const before = readNeighTable()!;
    await expect(matrix(engine, id, nodes)).rejects.toThrow(/would add up to 1,560 neighbour \(ARP\) entries.*holds 1,024 for the whole machine|would add up to 1,560 neighbour/s);
    const after = readNeighTable()!;
    expect(after.fulls).toBe(before.fulls);
    expect(after.entries - before.entries).toBeLessThan(100); // no fping ran (other sessions may add a few)
    // fewer nodes of the same session still work
    const m = await matrix(engine, id, nodes.slice(0, 10), { detail: 0 });
    expect(m.cells.filter((c) => c.ok)).toHaveLength(90);
    expect(m.note).toBeUndefined();
  }, 120_000);
});
