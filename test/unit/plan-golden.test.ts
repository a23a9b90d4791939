// Golden plans for the end states of labs 1–4: the exact commands, reviewed as diffs.
// Regenerate after an intended change with: UPDATE_GOLDEN=1 npx vitest run --project unit test/unit/plan-golden.test.ts
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { compilePlan } from '../../server/plan/compile.ts';
import { renderScript } from '../../server/plan/script.ts';
import type { Step } from '../../server/plan/step.ts';
import { loadTopology } from '../../server/topology/load.ts';
import type { Topology } from '../../server/topology/schema.ts';

const LABS = ['01-rootns-netns', '02-rootns-netns-netns', '03-bridge', '04-expose-service'] as const;
const TAG = 'nsplay:golden';
const UPDATE = process.env.UPDATE_GOLDEN === '1';
const GOLDEN_DIR = new URL('../golden/', import.meta.url);

function loadLab(lab: string): Topology {
  const r = loadTopology(readFileSync(new URL(`../../labs/${lab}/final.yaml`, import.meta.url), 'utf8'));
  if (!r.ok) throw new Error(`labs/${lab}/final.yaml: ${r.errors.map((e) => `${e.path}: ${e.message}`).join('; ')}`);
  return r.value;
}

/** One line per step: `node | argv joined | undo | why`. */
function planText(plan: Step[]): string {
  return plan.map((s) => `${s.node} | ${s.argv.join(' ')} | ${s.undo ? s.undo.join(' ') : '-'} | ${s.why}`).join('\n') + '\n';
}

function matchGolden(file: string, actual: string) {
  const url = new URL(file, GOLDEN_DIR);
  if (UPDATE) {
    mkdirSync(GOLDEN_DIR, { recursive: true });
    writeFileSync(url, actual);
    return;
  }
  expect(existsSync(url), `test/golden/${file} is missing; run with UPDATE_GOLDEN=1 to create it`).toBe(true);
  expect(actual).toBe(readFileSync(url, 'utf8'));
}

/** The plan as a learner reads it: "node: command". */
const commands = (plan: Step[]) => plan.map((s) => `${s.node}: ${s.argv.join(' ')}`);

describe.each(LABS)('lab %s end state', (lab) => {
  const topology = loadLab(lab);
  const plan = compilePlan(topology, { tag: TAG });
  const script = renderScript(plan);

  it('plan matches test/golden/<lab>.plan.txt', () => matchGolden(`${lab}.plan.txt`, planText(plan)));
  it('script matches test/golden/<lab>.sh', () => matchGolden(`${lab}.sh`, script));

  it('step ids are unique', () => {
    const ids = plan.map((s) => s.id);
    expect(new Set(ids).size).toBe(ids.length);
  });

  it('every undo runs the same tool as its step', () => {
    for (const s of plan) if (s.undo) expect(s.undo[0], s.id).toBe(s.argv[0]);
  });

  it('compiles byte-identically twice, and regardless of the order nodes and links are listed', () => {
    const again = compilePlan(loadLab(lab), { tag: TAG });
    expect(JSON.stringify(again)).toBe(JSON.stringify(plan));
    expect(again).toEqual(plan);
    const shuffled = { ...topology, nodes: [...topology.nodes].reverse(), links: [...topology.links].reverse() };
    expect(JSON.stringify(compilePlan(shuffled, { tag: TAG }))).toBe(JSON.stringify(plan));
  });

  it('no argv or undo token is empty or holds whitespace, a newline or NUL (the why is prose and may)', () => {
    for (const s of plan) {
      for (const t of [...s.argv, ...(s.undo ?? [])]) expect(t, `${s.id}: ${JSON.stringify(t)}`).toMatch(/^[^\s\u0000]+$/);
      expect(s.why).not.toMatch(/[\n\u0000]/);
      expect(s.why.length).toBeGreaterThan(10);
    }
  });

  it('every iptables rule carries the ownership comment', () => {
    for (const s of plan.filter((s) => s.fact.kind === 'ipt')) {
      expect(s.argv.join(' ')).toContain(`-m comment --comment ${TAG}`);
      expect(s.undo?.join(' ')).toContain(`-m comment --comment ${TAG}`);
    }
  });

  it('the script parses with bash -n', () => {
    const r = spawnSync('bash', ['-n'], { input: script, encoding: 'utf8' });
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
  });
});

describe('plans do not depend on the machine', () => {
  it('orders the same under a locale that collates differently (lt_LT puts y before j)', () => {
    const doc = {
      nodes: [{ name: 'n', kind: 'netns' }],
      links: [{ a: { node: 'host', ifname: 'y0' }, b: { node: 'n', ifname: 'y1' } }, { a: { node: 'host', ifname: 'j0' }, b: { node: 'n', ifname: 'j1' } }],
    };
    const script = `Promise.all([import('./server/plan/compile.ts'), import('./server/topology/load.ts')]).then(([c, l]) => {
      process.stdout.write(JSON.stringify(c.compilePlan(l.validateTopology(${JSON.stringify(doc)}).value, { tag: '${TAG}' })));
    });`;
    const env = { ...process.env, LANG: 'lt_LT.UTF-8', LC_ALL: 'lt_LT.UTF-8' };
    const child = spawnSync(process.execPath, ['--import', 'tsx', '-e', script], { cwd: new URL('../../', import.meta.url), env, encoding: 'utf8' });
    expect(child.stderr).toBe('');
    const here = loadTopology(JSON.stringify(doc));
    expect(here.ok).toBe(true);
    if (!here.ok) return;
    expect(child.stdout).toBe(JSON.stringify(compilePlan(here.value, { tag: TAG })));
    expect(JSON.parse(child.stdout).map((s: Step) => s.id).indexOf('veth:host/j0')).toBeLessThan(JSON.parse(child.stdout).map((s: Step) => s.id).indexOf('veth:host/y0'));
  });
});

// The seed's own commands, as nsplay writes them: if a feature of the lab goes missing, these fail
// even when someone regenerates the golden files without reading the diff.
describe('plans contain what the seed typed', () => {
  it('lab 1: netns1, the veth pair straight into it, both addresses up', () => {
    const c = commands(compilePlan(loadLab('01-rootns-netns'), { tag: TAG }));
    expect(c).toEqual(expect.arrayContaining([
      'host: ip netns add netns1',
      expect.stringMatching(/^host: ip link add (name )?veth0 type veth peer name veth1 netns netns1$/),
      'host: ip addr add 10.0.0.201/24 dev veth0',
      'netns1: ip addr add 10.0.0.101/24 dev veth1',
      expect.stringMatching(/^netns1: ip link set (dev )?veth1 up$/),
    ]));
  });

  it('lab 2: default routes in both namespaces via the host, FORWARD ACCEPT on the host', () => {
    const c = commands(compilePlan(loadLab('02-rootns-netns-netns'), { tag: TAG }));
    expect(c).toEqual(expect.arrayContaining([
      'netns1: ip route add default via 10.0.0.201 dev veth1',
      'netns2: ip route add default via 10.0.1.201 dev veth3',
      'host: iptables -P FORWARD ACCEPT',
      'host: ip addr add 10.0.1.201/24 dev veth2',
    ]));
  });

  it('lab 3: br0 with its address, both host ends as ports, MASQUERADE out of enp0s3', () => {
    const plan = compilePlan(loadLab('03-bridge'), { tag: TAG });
    const c = commands(plan);
    expect(c).toEqual(expect.arrayContaining([
      'host: ip link add name br0 type bridge',
      'host: ip addr add 10.0.0.1/24 dev br0',
      expect.stringMatching(/^host: ip link set (dev )?veth0 master br0$/),
      expect.stringMatching(/^host: ip link set (dev )?veth2 master br0$/),
      `host: iptables -t nat -A POSTROUTING -s 10.0.0.0/24 -o enp0s3 -m comment --comment ${TAG} -j MASQUERADE`,
    ]));
    // The bridge exists before a port is plugged into it.
    const bridge = plan.findIndex((s) => s.id === 'bridge:host/br0');
    expect(bridge).toBeGreaterThanOrEqual(0);
    for (const s of plan.filter((s) => s.fact.kind === 'master')) expect(plan.indexOf(s)).toBeGreaterThan(bridge);
    // No address on the bridge ports: the bridge holds the host's address.
    expect(c.some((l) => /addr add .* dev veth[02]$/.test(l))).toBe(false);
  });

  it('lab 4: DNAT in PREROUTING and OUTPUT to 10.0.0.101:8080, and the service in netns1', () => {
    const plan = compilePlan(loadLab('04-expose-service'), { tag: TAG });
    const c = commands(plan);
    for (const chain of ['PREROUTING', 'OUTPUT']) {
      expect(c).toContain(`host: iptables -t nat -A ${chain} -d 192.168.56.12/32 -p tcp -m tcp --dport 80 -m comment --comment ${TAG} -j DNAT --to-destination 10.0.0.101:8080`);
    }
    expect(c).toContain('host: iptables -P FORWARD ACCEPT');
    expect(c).toContain('netns1: ip route add default via 10.0.0.201 dev veth1');
    const service = plan.find((s) => s.tool === 'service');
    expect(service).toMatchObject({ node: 'netns1', fact: { kind: 'service', node: 'netns1', port: 8080 } });
  });

  it('cleanup removes what the seed removes: namespaces, the bridge, the NAT rules', () => {
    const cleanup = (lab: string) => renderScript(compilePlan(loadLab(lab), { tag: TAG })).split('cleanup() {')[1];
    expect(cleanup('03-bridge')).toMatch(/ip netns del netns1[\s\S]*/);
    expect(cleanup('03-bridge')).toMatch(/ip link del (dev )?br0/);
    expect(cleanup('03-bridge')).toContain('iptables -t nat -D POSTROUTING -s 10.0.0.0/24 -o enp0s3');
    expect(cleanup('04-expose-service')).toContain('iptables -t nat -D OUTPUT -d 192.168.56.12/32');
    expect(cleanup('04-expose-service')).toContain('ip netns del netns1');
  });
});
