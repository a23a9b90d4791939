// Seed section 1, typed verbatim in a fresh lab session's host shell.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createSession, nsplay, seed } from './cli.ts';

describe('lab 1: rootns ↔ netns, the seed verbatim', () => {
  let id = '';
  beforeAll(async () => { id = await createSession('01-rootns-netns'); });
  afterAll(async () => { await nsplay(['session', 'destroy', id]); });

  it('builds the namespace and pings both ways', async () => {
    const r = await seed(id, `
      ip netns add netns1
      ip link add veth0 type veth peer name veth1
      ip link set veth1 netns netns1
      ip addr add 10.0.0.201/24 dev veth0
      ip link set veth0 up
      ip netns exec netns1 ip addr add 10.0.0.101/24 dev veth1
      ip netns exec netns1 ip link set veth1 up
      ping 10.0.0.101
      ip netns exec netns1 ping 10.0.0.201
    `);
    for (const [line, res] of r) expect(res.code, `${line}\n${res.stderr}`).toBe(0);
    expect(r.get('ping 10.0.0.101')!.stdout).toContain('1 received');
    expect(r.get('ip netns exec netns1 ping 10.0.0.201')!.stdout).toContain('1 received');
  });

  it('shows the namespace to nsplay (observed state) and cleans up as the seed does', async () => {
    const st = JSON.parse((await nsplay(['status', id, '--json'])).stdout);
    expect(Object.keys(st.observed.namespaces)).toContain('netns1');
    expect(st.observed.namespaces.host.links.map((l: { ifname: string }) => l.ifname)).toContain('veth0');
    const r = await seed(id, 'ip netns del netns1\nip link show veth0');
    expect(r.get('ip netns del netns1')!.code).toBe(0);
    expect(r.get('ip link show veth0')!.stderr).toContain('does not exist');
  });
});
