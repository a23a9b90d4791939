// The TRACE rules and helpers of a probe exist only while it runs: seen in the namespaces during a
// traced probe, gone after it (also on a timeout); rules a crashed nsplay left behind are removed by
// the next probe; a raw table the probe had to create is removed again.
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCommand } from '../../server/exec/run.ts';
import { probe } from '../../server/probe/index.ts';
import { createEngine } from '../../server/session/engine.ts';
import { loadTopology } from '../../server/topology/load.ts';
import { footprint, newProcesses, ROOT } from '../fixtures/probe/harness.ts';
import { TEST_STATE_DIR } from './env.ts';

const engine = createEngine({ stateDir: TEST_STATE_DIR });

async function iptablesSave(id: string, node: string) {
  return (await runCommand(await engine.enterArgv(id, node, ['iptables-save']), { timeoutMs: 10_000 })).stdout;
}

describe('probe cleanup', () => {
  let id = '';
  let nodes: string[] = [];
  beforeAll(async () => {
    id = (await engine.create({ lab: '02-rootns-netns-netns', owner: 'test' })).id;
    const t = loadTopology(fs.readFileSync(path.join(ROOT, 'labs/02-rootns-netns-netns/final.yaml'), 'utf8'));
    if (!t.ok) throw new Error('lab 2');
    expect((await engine.apply(id, t.value)).ok).toBe(true);
    nodes = Object.keys((await engine.status(id)).observed.namespaces);
  }, 120_000);
  afterAll(async () => { if (id) await engine.destroy(id); });

  it('inserts tagged TRACE rules while tracing a timeout, and removes them (and the raw table it made)', async () => {
    const before = await footprint(engine, id, nodes);
    expect(before.iptables.netns1).not.toContain('*raw');
    const seen = new Set<string>();
    let running = true;
    const watching = (async () => {
      while (running) {
        for (const n of ['netns1', 'host']) {
          const m = /-A PREROUTING -p icmp -m comment --comment "?(nsplay-probe:\d+\.[0-9a-f]+)"? -j TRACE/.exec(await iptablesSave(id, n));
          if (m) seen.add(`${n} ${m[1].split(':')[0]}`);
        }
      }
    })();
    const r = await probe(engine, id, 'netns1', '10.0.1.77');
    running = false;
    await watching;
    expect(r).toMatchObject({ ok: false, reason: 'arp-failed', hop: { node: 'host', interface: 'veth2' }, evidence: 'kernel' });
    expect([...seen].sort()).toEqual(['host nsplay-probe', 'netns1 nsplay-probe']);
    const after = await footprint(engine, id, nodes);
    expect(after.iptables).toEqual(before.iptables);
    expect(newProcesses(before, after)).toEqual([]);
  });

  it('removes TRACE rules a dead nsplay process left behind', async () => {
    const stale = ['-t', 'raw', '-A', 'PREROUTING', '-p', 'icmp', '-m', 'comment', '--comment', 'nsplay-probe:999999.deadbeef', '-j', 'TRACE'];
    expect((await runCommand(await engine.enterArgv(id, 'host', ['iptables', ...stale]))).code).toBe(0);
    expect(await iptablesSave(id, 'host')).toContain('nsplay-probe:999999.deadbeef');
    const r = await probe(engine, id, 'netns1', 'netns2');
    expect(r.ok).toBe(true);
    expect(await iptablesSave(id, 'host')).not.toContain('nsplay-probe');
  });
});
