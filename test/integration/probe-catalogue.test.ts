// The catalogue of broken topologies (test/fixtures/probe/catalogue): each probe names the reason and
// the hop where the packet died; the fixed topology probes ok; and after every probe no TRACE rule,
// tcpdump, monitor or other helper is left in the session.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { probe } from '../../server/probe/index.ts';
import { createEngine } from '../../server/session/engine.ts';
import { footprint, loadCases, newProcesses } from '../fixtures/probe/harness.ts';
import { TEST_STATE_DIR } from './env.ts';

const engine = createEngine({ stateDir: TEST_STATE_DIR });
const cases = loadCases();
const only = process.env.PROBE_CASE;

describe('the catalogue covers every reason', () => {
  it('has at least 12 broken topologies and every reason of the vocabulary', () => {
    expect(cases.length).toBeGreaterThanOrEqual(12);
    const reasons = new Set(cases.map((c) => c.expect.reason));
    for (const r of ['no-route', 'arp-failed', 'forward-drop', 'input-drop', 'output-drop', 'no-return-path', 'ip-forward-off', 'link-down', 'port-closed', 'timeout']) {
      expect(reasons, r).toContain(r);
    }
  });
});

describe.each(cases.filter((c) => !only || c.case === only))('$case', (c) => {
  let id = '';
  let nodes: string[] = [];
  beforeAll(async () => {
    id = (await engine.create({ lab: c.lab, owner: 'test' })).id;
  });
  afterAll(async () => { if (id) await engine.destroy(id); });

  it(`broken: ${c.expect.reason} at ${c.expect.hop.node} ${c.expect.hop.interface ?? ''}, nothing left behind`, async () => {
    const applied = await engine.apply(id, c.broken);
    expect(applied.error?.stderr ?? '', JSON.stringify(applied.error?.step.argv)).toBe('');
    nodes = Object.keys((await engine.status(id)).observed.namespaces);
    const before = await footprint(engine, id, nodes);
    const r = await probe(engine, id, c.probe.from, c.probe.to);
    console.log(`[probe] ${c.case}: ${c.probe.from} → ${c.probe.to}: ${r.ok ? 'ok' : `${r.reason} at ${r.hop?.node}/${r.hop?.interface ?? '-'}`} (${r.evidence}) in ${r.ms} ms — ${r.detail ?? ''}`);
    expect({ ok: r.ok, reason: r.reason, hop: r.hop }).toEqual({ ok: false, reason: c.expect.reason, hop: c.expect.hop });
    if (c.expect.drop) {
      const { rule, ...exact } = c.expect.drop;
      expect(r.drop).toMatchObject(exact);
      if (rule) expect(r.drop?.rule).toContain(rule);
      if (!c.expect.drop.policy) expect(r.drop?.policy).toBeUndefined();
    }
    expect(r.path.length).toBeGreaterThan(0);
    const after = await footprint(engine, id, nodes);
    expect(after.iptables).toEqual(before.iptables);
    expect(newProcesses(before, after)).toEqual([]);
  });

  it('fixed: reachable, and still nothing left behind', async () => {
    const applied = await engine.apply(id, c.fixed);
    expect(applied.error?.stderr ?? '', JSON.stringify(applied.error?.step.argv)).toBe('');
    nodes = Object.keys((await engine.status(id)).observed.namespaces);
    const before = await footprint(engine, id, nodes);
    const r = await probe(engine, id, c.probe.from, c.probe.to);
    console.log(`[probe] ${c.case} fixed: ${r.ok ? `ok ${r.rtt_ms} ms` : `${r.reason}: ${r.detail}`} in ${r.ms} ms`);
    expect(r.reason, r.detail).toBeUndefined();
    expect(r.ok).toBe(true);
    const last = r.path[r.path.length - 1];
    expect(last).toMatchObject({ node: r.from.node, dir: 'local', leg: 'reply' });
    const after = await footprint(engine, id, nodes);
    expect(after.iptables).toEqual(before.iptables);
    expect(newProcesses(before, after)).toEqual([]);
  });
});
