// Drawn topologies applied through the engine: same reachability as the seed's commands, idempotent
// apply, drift seen and repaired, destroy twice, nothing run for an invalid document.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCommand, type Runner } from '../../server/exec/run.ts';
import { createEngine } from '../../server/session/engine.ts';
import { InvalidTopology } from '../../server/session/apply.ts';
import { loadTopology, parseDocument } from '../../server/topology/load.ts';
import { INVALID } from '../fixtures/invalid-topologies.ts';
import fs from 'node:fs';
import path from 'node:path';
import { ROOT, TEST_STATE_DIR } from './env.ts';

let commands = 0;
const counting: Runner = (argv, opts) => { commands++; return runCommand(argv, opts); };
const engine = createEngine({ stateDir: TEST_STATE_DIR, run: counting });

function final(lab: string) {
  const r = loadTopology(fs.readFileSync(path.join(ROOT, 'labs', lab, 'final.yaml'), 'utf8'));
  if (!r.ok) throw new Error(JSON.stringify(r.errors));
  return r.value;
}

async function sh(id: string, node: string, argv: string[]) {
  return runCommand(await engine.enterArgv(id, node, argv), { timeoutMs: 10_000 });
}

describe.each([
  ['01-rootns-netns', [['host', ['ping', '-c1', '-W1', '10.0.0.101']], ['netns1', ['ping', '-c1', '-W1', '10.0.0.201']]]],
  ['02-rootns-netns-netns', [['netns1', ['ping', '-c1', '-W1', '10.0.1.101']], ['netns2', ['ping', '-c1', '-W1', '10.0.0.101']]]],
  ['03-bridge', [['netns1', ['ping', '-c1', '-W1', '10.0.0.102']], ['netns1', ['ping', '-c1', '-W1', '1.1.1.1']], ['netns2', ['curl', '-sS', '-m2', 'http://8.8.8.8/']]]],
  ['04-expose-service', [['external', ['curl', '-sS', '-m2', 'http://192.168.56.12/']], ['host', ['curl', '-sS', '-m2', 'http://192.168.56.12/']]]],
] as const)('apply of lab %s drawn', (lab, probes) => {
  let id = '';
  beforeAll(async () => { id = (await engine.create({ lab, owner: 'test' })).id; });
  afterAll(async () => { await engine.destroy(id); });

  it('reaches what the seed reaches', async () => {
    const r = await engine.apply(id, final(lab));
    expect(r.error?.stderr ?? '').toBe('');
    expect(r.ok).toBe(true);
    for (const [node, argv] of probes) {
      const res = await sh(id, node, [...argv]);
      expect(res.code, `${node}: ${argv.join(' ')}\n${res.stdout}${res.stderr}`).toBe(0);
    }
  });

  it('runs no mutating command on a second apply, and shows no drift', async () => {
    const r = await engine.apply(id, final(lab));
    expect(r.ok).toBe(true);
    expect(r.results.map((x) => x.step.argv.join(' '))).toEqual([]);
    expect((await engine.status(id)).drift).toEqual([]);
  });
});

describe('drift, repair, removal, destroy', () => {
  let id = '';
  beforeAll(async () => { id = (await engine.create({ lab: '03-bridge', owner: 'test' })).id; });
  afterAll(async () => { await engine.destroy(id); });

  it('sees a veth deleted from a terminal, a flushed nat table and a deleted namespace; re-apply repairs', async () => {
    expect((await engine.apply(id, final('03-bridge'))).ok).toBe(true);
    await sh(id, 'host', ['ip', 'link', 'del', 'veth0']);
    await sh(id, 'host', ['iptables', '-t', 'nat', '-F']);
    await sh(id, 'host', ['ip', 'netns', 'del', 'netns2']);
    const drift = (await engine.status(id)).drift;
    const text = drift.map((d) => d.message).join('\n');
    expect(text).toContain('veth0');
    expect(text).toContain('MASQUERADE');
    expect(text).toContain('netns2');
    const again = await engine.apply(id, final('03-bridge'));
    expect(again.ok).toBe(true);
    expect((await engine.status(id)).drift).toEqual([]);
    expect((await sh(id, 'netns1', ['ping', '-c1', '-W1', '1.1.1.1'])).code).toBe(0);
  });

  it('removes what the drawing dropped', async () => {
    const r = await engine.apply(id, final('01-rootns-netns'));
    expect(r.ok).toBe(true);
    const st = await engine.status(id);
    expect(Object.keys(st.observed.namespaces).sort()).toEqual(['external', 'host', 'internet', 'netns1']);
    expect(st.drift).toEqual([]);
  });

  it('removes an iptables rule the drawing dropped from a namespace', async () => {
    const withRule = final('01-rootns-netns');
    withRule.nodes = withRule.nodes.map((n) => n.name !== 'netns1' ? n
      : { ...n, iptables: { rules: [{ table: 'filter', chain: 'OUTPUT', destination: '10.0.0.201', jump: 'DROP' }] } });
    expect((await engine.apply(id, withRule)).ok).toBe(true);
    expect((await sh(id, 'netns1', ['ping', '-c1', '-W1', '10.0.0.201'])).code).not.toBe(0);
    expect((await engine.apply(id, final('01-rootns-netns'))).ok).toBe(true);
    expect((await sh(id, 'netns1', ['iptables', '-S', 'OUTPUT'])).stdout).not.toContain('DROP');
    expect((await sh(id, 'netns1', ['ping', '-c1', '-W1', '10.0.0.201'])).code).toBe(0);
  });

  it(`runs zero commands for any of the ${INVALID.length} invalid documents of the validation table`, async () => {
    commands = 0;
    for (const c of INVALID) {
      const doc = c.yaml !== undefined ? parseDocument(c.yaml) : { ok: true, value: c.doc };
      if (!doc.ok) continue; // text that does not even parse never reaches the engine
      await expect(engine.apply(id, doc.value as never), c.name).rejects.toBeInstanceOf(InvalidTopology);
      await expect(engine.preview(id, doc.value as never), c.name).rejects.toBeInstanceOf(InvalidTopology);
    }
    expect(commands).toBe(0);
  });

  it('rolls back a failing apply and reports argv and stderr', async () => {
    const broken = final('01-rootns-netns');
    // A route through a gateway no interface reaches: the kernel refuses it ("Nexthop has invalid gateway").
    broken.nodes.push({ name: 'netns9', kind: 'netns', routes: [{ dst: 'default', via: '172.16.0.1' }] });
    const r = await engine.apply(id, broken);
    expect(r.ok).toBe(false);
    expect(r.error!.step.argv).toEqual(['ip', 'route', 'add', 'default', 'via', '172.16.0.1']);
    expect(r.error!.stderr).toMatch(/Nexthop has invalid gateway|Network is unreachable/);
    expect(r.error!.rolledBack.map((s) => s.argv.join(' '))).toContain('ip netns del netns9');
    expect(Object.keys((await engine.status(id)).observed.namespaces)).not.toContain('netns9');
  });

  it('destroys twice without error, and a never-applied session too', async () => {
    const other = (await engine.create({ owner: 'test' })).id;
    await engine.destroy(other);
    await engine.destroy(other);
    await engine.destroy(id);
    await engine.destroy(id);
    expect((await engine.list()).map((s) => s.id)).not.toContain(id);
  });
});
