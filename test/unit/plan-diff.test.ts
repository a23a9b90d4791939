// diffPlan / driftOf / removalSteps against kernel state captured after applying
// test/fixtures/kernel/topology.json (applied/) and after breaking it from a terminal (drifted/):
// `ip link del veth0; iptables -t nat -F; ip netns del netns2`.
import { beforeAll, describe, expect, it } from 'vitest';
import type { ObservedState } from '../../server/observe/types.ts';
import { compilePlan } from '../../server/plan/compile.ts';
import { diffPlan, driftOf, factHolds, removalSteps, sysctlKeys, vethPeer } from '../../server/plan/diff.ts';
import type { Fact } from '../../server/plan/fact.ts';
import type { Step } from '../../server/plan/step.ts';
import { validateTopology } from '../../server/topology/load.ts';
import { observeFixture, readFixture } from '../fixtures/kernel/runner.ts';

const TAG = 'nsplay:fx01';
type End = { node: string; ifname: string; addresses?: string[] };
type Doc = { nodes: Record<string, unknown>[]; links: { a: End; b: End }[] } & Record<string, unknown>;

function fixtureDoc(): Doc {
  return JSON.parse(readFixture('topology.json')) as Doc;
}

function planOf(doc: unknown): Step[] {
  const t = validateTopology(doc);
  if (!t.ok) throw new Error(JSON.stringify(t.errors));
  return compilePlan(t.value, { tag: TAG });
}

let plan: Step[];
let applied: ObservedState;
let drifted: ObservedState;

beforeAll(async () => {
  plan = planOf(fixtureDoc());
  applied = await observeFixture('applied', sysctlKeys(planOf(fixtureDoc()), 'host'));
  drifted = await observeFixture('drifted');
});

const ids = (steps: Step[]) => steps.map((s) => s.id);

describe('diffPlan', () => {
  it('finds nothing to do when the kernel has everything the plan makes', () => {
    expect(plan.length).toBeGreaterThan(40);
    expect(diffPlan(plan, applied)).toEqual([]);
  });

  it('brings back a deleted veth with its master, up, address, MAC and the routes through it', () => {
    const todo = ids(diffPlan(plan, drifted));
    expect(todo).toEqual(expect.arrayContaining([
      'veth:host/veth0', 'master:host/veth0', 'up:host/veth0',
      'mac:netns1/veth1', 'addr:netns1/veth1/10.0.0.101/24', 'up:netns1/veth1',
      'route:netns1/main/default/10.0.0.1//',
    ]));
    // netns1 itself and the rest of it survived: its loopback and its HTTP server are not redone.
    expect(todo).not.toContain('netns:netns1');
    expect(todo).not.toContain('lo:netns1');
    expect(todo).not.toContain('service:netns1/8080');
  });

  it('brings back every rule of a flushed nat table, in plan order, but not its surviving chain or the filter rules', () => {
    const ipt = diffPlan(plan, drifted).filter((s) => s.tool === 'iptables');
    expect(ipt.map((s) => s.argv.slice(0, 5).join(' '))).toEqual([
      'iptables -t nat -A POSTROUTING',
      'iptables -t nat -A PREROUTING',
      'iptables -t nat -A PREROUTING',
      'iptables -t nat -A NSPLAY-LB',
      'iptables -t nat -A NSPLAY-LB',
      'iptables -t nat -A NSPLAY-LB',
    ]);
  });

  it('runs every step of a deleted namespace, starting with creating it', () => {
    const todo = diffPlan(plan, drifted);
    const netns2Steps = plan.filter((s) => s.node === 'netns2');
    expect(netns2Steps.length).toBe(5);
    for (const s of netns2Steps) expect(ids(todo)).toContain(s.id);
    expect(ids(todo).indexOf('netns:netns2')).toBe(0);
    expect(ids(todo)).toContain('veth:host/veth2');
  });

  it('gives exactly the steps the drifted kernel lacks, in plan order', () => {
    expect(ids(diffPlan(plan, drifted))).toEqual([
      'netns:netns2', 'lo:netns2',
      'veth:host/veth0', 'veth:host/veth2',
      'master:host/veth0', 'up:host/veth0', 'mac:netns1/veth1', 'addr:netns1/veth1/10.0.0.101/24', 'up:netns1/veth1',
      'master:host/veth2', 'up:host/veth2', 'mtu:netns2/ceth0', 'addr:netns2/ceth0/10.0.0.102/24', 'up:netns2/ceth0',
      // Removing br0's last port changed its MAC to 00:00:… and the kernel flushed even permanent entries.
      'neigh:host/br0/10.0.0.50',
      'route:netns1/main/default/10.0.0.1//', 'route:netns2/main/default/10.0.0.1//',
      ...plan.filter((s) => s.fact.kind === 'ipt' && s.fact.table === 'nat').map((s) => s.id),
    ]);
  });

  it('runs all steps of a node whose namespace is not observed at all', () => {
    const noHost: ObservedState = { ...applied, namespaces: { ...applied.namespaces } };
    delete noHost.namespaces.host;
    const todo = diffPlan(plan, noHost);
    expect(ids(todo)).toEqual(ids(plan.filter((s) => s.node === 'host')));
    expect(driftOf(plan, noHost)).toEqual([{ kind: 'missing', node: 'host', fact: { kind: 'netns', name: 'host' },
      message: 'namespace host is missing or could not be observed' }]);
  });

  it('works for a smaller drawing against the same kernel', () => {
    const small = planOf({
      nodes: [{ name: 'netns1', kind: 'netns' }, { name: 'br0', kind: 'bridge', addresses: ['10.0.0.1/24'] }],
      links: [{ a: { node: 'netns1', ifname: 'veth1', addresses: ['10.0.0.101/24'] }, b: { node: 'br0', ifname: 'veth0' } }],
    });
    expect(diffPlan(small, applied)).toEqual([]);
    expect(ids(diffPlan(small, drifted))).toEqual(['veth:host/veth0', 'master:host/veth0', 'up:host/veth0', 'addr:netns1/veth1/10.0.0.101/24', 'up:netns1/veth1']);
  });
});

describe('factHolds', () => {
  const cases: [Fact, boolean][] = [
    [{ kind: 'netns', name: 'internet' }, true],
    [{ kind: 'netns', name: 'netns9' }, false],
    [{ kind: 'container', name: 'web' }, false],
    [{ kind: 'link', node: 'host', ifname: 'br0' }, true],
    [{ kind: 'link', node: 'ghost', ifname: 'br0' }, false],
    [{ kind: 'up', node: 'host', ifname: 'lo' }, false],
    [{ kind: 'up', node: 'netns1', ifname: 'lo' }, true],
    [{ kind: 'master', node: 'host', ifname: 'veth2', master: 'br0' }, true],
    [{ kind: 'master', node: 'host', ifname: 'enp0s3', master: 'br0' }, false],
    [{ kind: 'mac', node: 'netns1', ifname: 'veth1', mac: '06:96:1E:62:50:E7' }, true],
    [{ kind: 'mac', node: 'netns1', ifname: 'veth1', mac: '06:96:1e:62:50:e8' }, false],
    [{ kind: 'mtu', node: 'netns2', ifname: 'ceth0', mtu: 1400 }, true],
    [{ kind: 'mtu', node: 'netns2', ifname: 'ceth0', mtu: 1500 }, false],
    [{ kind: 'addr', node: 'internet', ifname: 'lo', cidr: '1.1.1.1/32' }, true],
    [{ kind: 'addr', node: 'internet', ifname: 'lo', cidr: '1.1.1.1' }, true],
    [{ kind: 'addr', node: 'host', ifname: 'br0', cidr: '10.0.0.1/16' }, false],
    [{ kind: 'route', node: 'host', table: 'main', dst: '11.0.0.99', dev: 'br0', scope: 'link' }, true],
    [{ kind: 'route', node: 'host', table: 'main', dst: '11.0.0.99/32', dev: 'br0' }, true],
    [{ kind: 'route', node: 'host', table: 'main', dst: '11.0.0.99', dev: 'br0', scope: 'global' }, false],
    [{ kind: 'route', node: 'host', table: 'main', dst: 'default', via: '172.16.0.1', scope: 'global' }, true],
    [{ kind: 'route', node: 'host', table: 'main', dst: 'default', via: '172.16.0.9' }, false],
    [{ kind: 'route', node: 'host', table: '100', dst: 'default', via: '172.16.0.1' }, false],
    [{ kind: 'route', node: 'host', table: 'main', dst: '10.0.0.0/24', dev: 'br0', src: '10.0.0.1' }, true],
    [{ kind: 'route', node: 'host', table: 'local', dst: '10.0.0.1', dev: 'br0', scope: 'host' }, true],
    [{ kind: 'rule', node: 'host', from: 'all', to: '10.0.0.5/32', table: 'main', priority: 512 }, true],
    [{ kind: 'rule', node: 'host', from: 'all', to: '10.0.0.5/32', table: '254', priority: 512 }, true],
    [{ kind: 'rule', node: 'host', from: 'all', to: '10.0.0.5/32', table: 'main', priority: 513 }, false],
    [{ kind: 'rule', node: 'host', from: 'all', table: 'main', priority: 512 }, false],
    [{ kind: 'neigh', node: 'host', dev: 'br0', address: '10.0.0.50', lladdr: '02:00:00:00:00:50' }, true],
    // Learned, not static: the entry would age out.
    [{ kind: 'neigh', node: 'netns1', dev: 'veth1', address: '10.0.0.102', lladdr: 'fe:3d:b2:da:b4:f2' }, false],
    [{ kind: 'sysctl', node: 'host', key: 'net.ipv4.ip_forward', value: '1' }, true],
    [{ kind: 'sysctl', node: 'host', key: 'net.ipv4.ip_forward', value: ' 1\n' }, true],
    [{ kind: 'sysctl', node: 'netns1', key: 'net.ipv4.ip_forward', value: '1' }, false],
    [{ kind: 'sysctl', node: 'host', key: 'net.ipv4.conf.all.proxy_arp', value: '0' }, false],
    [{ kind: 'policy', node: 'host', table: 'filter', chain: 'FORWARD', policy: 'DROP' }, true],
    [{ kind: 'policy', node: 'host', table: 'filter', chain: 'FORWARD', policy: 'ACCEPT' }, false],
    [{ kind: 'policy', node: 'netns1', table: 'filter', chain: 'FORWARD', policy: 'ACCEPT' }, true],
    [{ kind: 'policy', node: 'netns1', table: 'filter', chain: 'FORWARD', policy: 'DROP' }, false],
    [{ kind: 'chain', node: 'host', table: 'nat', name: 'NSPLAY-LB' }, true],
    [{ kind: 'chain', node: 'host', table: 'filter', name: 'NSPLAY-LB' }, false],
    [{ kind: 'ipt', node: 'host', table: 'nat', chain: 'NSPLAY-LB', spec: `-p tcp -m statistic --mode random --probability 0.33333 -m comment --comment ${TAG} -j DNAT --to-destination 10.0.0.101:8080` }, true],
    [{ kind: 'ipt', node: 'host', table: 'nat', chain: 'PREROUTING', spec: `-p tcp -m statistic --mode random --probability 0.33333 -m comment --comment ${TAG} -j DNAT --to-destination 10.0.0.101:8080` }, false],
    [{ kind: 'ipt', node: 'host', table: 'filter', chain: 'INPUT', spec: '-p tcp -m tcp --dport 9 -m comment --comment name: "devops" id: "6bce" -j DROP' }, true],
    [{ kind: 'service', node: 'netns1', port: 8080 }, true],
    [{ kind: 'service', node: 'netns2', port: 8080 }, false],
  ];
  it.each(cases)('%j → %s', (fact, holds) => {
    expect(factHolds(fact, applied)).toBe(holds);
  });

  it('sees a running container', () => {
    expect(factHolds({ kind: 'container', name: 'web' }, { ...applied, containers: ['web'] })).toBe(true);
  });
});

describe('driftOf', () => {
  it('reports only what is not in the drawing when the kernel has it all', () => {
    expect(driftOf(plan, applied)).toEqual([
      { kind: 'extra', node: 'host', fact: { kind: 'link', node: 'host', ifname: 'stray1' }, message: 'veth stray1 in host is not in the drawing (added from a terminal?)' },
      { kind: 'extra', node: 'host', fact: { kind: 'link', node: 'host', ifname: 'stray0' }, message: 'veth stray0 in host is not in the drawing (added from a terminal?)' },
    ]);
    expect(driftOf(plan, applied, ['stray0', 'host/stray1'])).toEqual([]);
  });

  it('says what a learner broke, once per cause', () => {
    const messages = driftOf(plan, drifted, ['stray0', 'stray1']).map((d) => `${d.kind} ${d.node}: ${d.message}`);
    expect(messages).toEqual([
      'missing netns2: namespace netns2 is missing (deleted with ip netns del?)',
      'missing host: veth0 in host is missing (deleted from a terminal?); its peer veth1 in netns1 went with it',
      'missing host: veth2 in host is missing (deleted from a terminal?); its peer ceth0 in netns2 went with it',
      'missing host: the static ARP entry 10.0.0.50 → 02:00:00:00:00:50 on br0 in host is missing',
      'missing netns1: the route to default via 10.0.0.1 in netns1 is missing',
      ...plan.filter((s) => s.fact.kind === 'ipt' && s.fact.table === 'nat').map((s) =>
        `missing host: the iptables rule "-A ${s.argv[4]} ${(s.fact as { spec: string }).spec}" (table nat) in host is missing (flushed?)`),
    ]);
    const ns = driftOf(plan, drifted)[0];
    expect(ns).toEqual({ kind: 'missing', node: 'netns2', fact: { kind: 'netns', name: 'netns2' }, message: 'namespace netns2 is missing (deleted with ip netns del?)' });
  });

  it('reports a namespace made by hand, and settings changed by hand', () => {
    const touched: ObservedState = structuredClone(applied);
    touched.namespaces.scratch = { ...structuredClone(applied.namespaces.netns2), node: 'scratch' };
    touched.namespaces.host.iptables.chains.filter.FORWARD = 'ACCEPT';
    touched.namespaces.host.sysctls['net.ipv4.ip_forward'] = '0';
    touched.namespaces.netns2.links.find((l) => l.ifname === 'ceth0')!.up = false;
    touched.namespaces.netns1.listening = [];
    expect(driftOf(plan, touched, ['stray0', 'stray1']).map((d) => d.message)).toEqual([
      'net.ipv4.ip_forward in host is 0, not 1',
      'ceth0 in netns2 is down (set down from a terminal?)',
      'the filter FORWARD policy in host is ACCEPT, not DROP',
      'nothing listens on TCP port 8080 in netns1 (the server stopped?)',
      'namespace scratch is not in the drawing (made from a terminal with ip netns add?)',
    ]);
    expect(driftOf(plan, touched, ['stray0', 'stray1', 'scratch'])).toHaveLength(4);
  });
});

describe('removalSteps', () => {
  function withoutNetns2(): Doc {
    const doc = fixtureDoc();
    doc.nodes = doc.nodes.filter((n) => n.name !== 'netns2');
    doc.links = doc.links.filter((l) => l.a.node !== 'netns2');
    const host = doc.nodes.find((n) => n.name === 'host') as { iptables: { rules: { toDestination?: string }[] } };
    host.iptables.rules = host.iptables.rules.filter((r) => r.toDestination !== '10.0.0.102:8080');
    return doc;
  }

  // The undo commands of the previous plan's steps, so these tests follow compile.ts's argv spelling.
  const undoOf = (pick: (s: Step) => boolean) => {
    const s = plan.find(pick);
    if (!s?.undo) throw new Error('no such step with an undo');
    return [s.node, s.undo.join(' ')];
  };
  const spec = (s: Step) => (s.fact.kind === 'ipt' ? s.fact.spec : '');

  it('undoes a removed namespace with one delete, its host-side veth and the rule that pointed at it, in reverse order', () => {
    const undo = removalSteps(plan, planOf(withoutNetns2()), applied);
    expect(undo.map((s) => [s.node, s.argv.join(' ')])).toEqual([
      undoOf((s) => spec(s).includes('--to-destination 10.0.0.102:8080')),
      undoOf((s) => s.id === 'veth:host/veth2'),
      undoOf((s) => s.id === 'netns:netns2'),
    ]);
    expect(undo[0].argv.slice(0, 5)).toEqual(['iptables', '-t', 'nat', '-D', 'NSPLAY-LB']);
    expect(undo[1].argv.slice(0, 3)).toEqual(['ip', 'link', 'del']);
    expect(undo[2].argv).toEqual(['ip', 'netns', 'del', 'netns2']);
    const veth2 = plan.find((s) => s.id === 'veth:host/veth2')!;
    expect(undo[1]).toMatchObject({ id: 'undo:veth:host/veth2', node: 'host', undo: veth2.argv, fact: veth2.fact });
  });

  it('undoes a removed address and a removed route without touching their link', () => {
    const doc = fixtureDoc();
    const host = doc.nodes.find((n) => n.name === 'host') as { routes: { dst: string }[] };
    host.routes = host.routes.filter((r) => r.dst !== '11.0.0.99/32');
    doc.links[1].a.addresses = [];
    const undo = removalSteps(plan, planOf(doc), applied);
    expect(undo.map((s) => [s.node, s.argv.join(' ')])).toEqual([
      undoOf((s) => s.fact.kind === 'route' && s.fact.dst === '11.0.0.99'),
      undoOf((s) => s.id === 'addr:netns1/veth1/10.0.0.101/24'),
    ]);
    expect(undo.map((s) => s.argv.slice(0, 3).join(' '))).toEqual(['ip route del', 'ip addr del']);
  });

  it('skips what is already gone from the kernel and what has no undo', () => {
    const doc = fixtureDoc();
    doc.nodes = doc.nodes.filter((n) => n.name !== 'netns1');
    doc.links = doc.links.filter((l) => l.a.node !== 'netns1');
    const host = doc.nodes.find((n) => n.name === 'host') as { sysctls?: Record<string, string> };
    delete host.sysctls;
    const next = planOf({ ...doc, nodes: doc.nodes.map((n) => (n.name === 'host' ? { ...n, iptables: undefined } : n)) });
    // In the drifted kernel veth0 is already gone, the nat rules too; the namespace, the filter rules
    // and the nat chain remain. The FORWARD policy and ip_forward have no undo.
    expect(removalSteps(plan, next, drifted).map((s) => [s.node, s.argv.join(' ')])).toEqual([
      undoOf((s) => spec(s).startsWith('-o br0')),
      undoOf((s) => spec(s).startsWith('-i br0')),
      undoOf((s) => s.fact.kind === 'chain'),
      undoOf((s) => s.id === 'netns:netns1'),
    ]);
  });

  it('removes nothing when the drawing did not change', () => {
    expect(removalSteps(plan, planOf(fixtureDoc()), applied)).toEqual([]);
  });
});

describe('vethPeer', () => {
  it('finds where the far end of a veth goes', () => {
    expect(plan.flatMap((s) => { const p = vethPeer(s); return p ? [`${s.node}/${s.fact.kind === 'link' ? s.fact.ifname : ''} → ${p.node}/${p.ifname}`] : []; }))
      .toEqual(['host/veth0 → netns1/veth1', 'host/veth2 → netns2/ceth0', 'host/enp0s3 → internet/uplink']);
  });
});
