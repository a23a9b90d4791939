// `nsplay probe` and `nsplay matrix` as a user runs them, on namespaces made by hand in the host shell
// (the seed's lab 3 commands, nothing drawn): the probe names the hop and the reason, --json prints
// ok/reason/hop/rtt_ms/path, and the fix typed in the terminal turns it green.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createSession, nsplay, seed } from './cli.ts';

describe('nsplay probe / matrix on the seed lab 3, typed by hand', () => {
  let id = '';
  beforeAll(async () => {
    id = await createSession('03-bridge');
    const r = await seed(id, `
      ip netns add netns1
      ip netns add netns2
      ip link add veth0 type veth peer name veth1
      ip link add veth2 type veth peer name veth3
      ip link set veth1 netns netns1
      ip link set veth3 netns netns2
      ip link add name br0 type bridge
      ip addr add 10.0.0.1/24 dev br0
      ip link set br0 up
      ip link set veth0 master br0
      ip link set veth2 master br0
      ip link set veth0 up
      ip link set veth2 up
      ip netns exec netns1 ip addr add 10.0.0.101/24 dev veth1
      ip netns exec netns1 ip link set veth1 up
      ip netns exec netns1 ip route add default via 10.0.0.1 dev veth1
      ip netns exec netns2 ip addr add 10.0.0.102/24 dev veth3
      ip netns exec netns2 ip link set veth3 up
    `);
    for (const [line, res] of r) expect(res.code, `${line}\n${res.stderr}`).toBe(0);
  });
  afterAll(async () => { await nsplay(['session', 'destroy', id]); });

  it('before MASQUERADE: no-return-path at internet eth0 (--json), exit 1', async () => {
    const r = await nsplay(['probe', id, 'netns1', '1.1.1.1', '--json']);
    expect(r.code, r.stderr).toBe(1);
    const j = JSON.parse(r.stdout);
    expect(j).toMatchObject({ ok: false, reason: 'no-return-path', hop: { node: 'internet', interface: 'eth0' } });
    expect(j.path.map((h: { node: string; interface?: string }) => `${h.node}:${h.interface}`)).toEqual(
      ['netns1:veth1', 'host:veth0', 'host:br0', 'host:enp0s3', 'internet:eth0']);
  });

  it('netns2 has no default route: no-route at netns2 (text output)', async () => {
    const r = await nsplay(['probe', id, 'netns2', '1.1.1.1']);
    expect(r.code).toBe(1);
    expect(r.stdout).toMatch(/^✗ netns2 → 1\.1\.1\.1: no-route at netns2\n/);
  });

  it('after the seed\'s MASQUERADE and a default route: ok, with rtt and both legs of the path', async () => {
    await seed(id, `
      iptables -t nat -A POSTROUTING -s 10.0.0.0/24 -o enp0s3 -j MASQUERADE
      ip netns exec netns2 ip route add default via 10.0.0.1 dev veth3
    `);
    const r = await nsplay(['probe', id, 'netns1', '1.1.1.1', '--json']);
    expect(r.code, r.stdout + r.stderr).toBe(0);
    const j = JSON.parse(r.stdout);
    expect(j.ok).toBe(true);
    expect(j.reason).toBeUndefined();
    expect(j.rtt_ms).toBeGreaterThan(0);
    expect(j.path.find((h: { nat?: string }) => h.nat?.startsWith('MASQUERADE'))).toMatchObject({ node: 'host', interface: 'enp0s3' });
    expect(j.path.at(-1)).toMatchObject({ node: 'netns1', leg: 'reply', dir: 'local' });
    const web = JSON.parse((await nsplay(['probe', id, 'netns2', '8.8.8.8:80', '--json'])).stdout);
    expect(web).toMatchObject({ ok: true, proto: 'tcp', http: { status: 200 } });
  });

  it('matrix --json: every pair, with reasons for the failing ones', async () => {
    const r = await nsplay(['matrix', id, 'host', 'netns1', 'netns2', 'internet', 'external', '--json']);
    expect(r.code, r.stderr).toBe(0);
    const m = JSON.parse(r.stdout);
    expect(m.cells).toHaveLength(20);
    const cell = (from: string, to: string) => m.cells.find((c: { from: string; to: string }) => c.from === from && c.to === to);
    expect(cell('netns1', 'netns2')).toMatchObject({ ok: true });
    expect(cell('netns1', 'internet')).toMatchObject({ ok: true });
    expect(cell('internet', 'netns1')).toMatchObject({ ok: false, reason: 'no-route', hop: { node: 'internet' } });
    expect(cell('netns1', 'external')).toMatchObject({ ok: false, reason: 'no-return-path', hop: { node: 'external', interface: 'eth0' } });
    const text = await nsplay(['matrix', id]);
    expect(text.stdout).toMatch(/pairs reachable/);
  });

  it('rejects bad input before running anything', async () => {
    expect((await nsplay(['probe', id, 'netns1', '10.0.0.1:99999'])).stderr).toMatch(/ports run from 1 to 65535/);
    expect((await nsplay(['probe', id, 'nosuch', '10.0.0.1'])).stderr).toMatch(/no node 'nosuch'/);
    expect((await nsplay(['probe', id, 'netns1', '-rf'])).code).toBe(2);
  });
});
