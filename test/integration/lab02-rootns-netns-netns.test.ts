// Seed section 2 verbatim: unreachable without routes, dropped by FORWARD DROP, working after both fixes.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createSession, nsplay, seed } from './cli.ts';

describe('lab 2: rootns ↔ netns ↔ netns, the seed verbatim', () => {
  let id = '';
  beforeAll(async () => { id = await createSession('02-rootns-netns-netns'); });
  afterAll(async () => { await nsplay(['session', 'destroy', id]); });

  it('gives every outcome the seed states', async () => {
    const setup = await seed(id, `
      ip netns add netns1
      ip netns add netns2
      ip link add veth0 type veth peer name veth1
      ip link add veth2 type veth peer name veth3
      ip link set veth1 netns netns1
      ip link set veth3 netns netns2
      ip addr add 10.0.0.201/24 dev veth0
      ip addr add 10.0.1.201/24 dev veth2
      ip link set veth0 up
      ip link set veth2 up
      ip netns exec netns1 ip addr add 10.0.0.101/24 dev veth1
      ip netns exec netns1 ip link set veth1 up
      ip netns exec netns2 ip addr add 10.0.1.101/24 dev veth3
      ip netns exec netns2 ip link set veth3 up
      ping 10.0.0.101
      ip netns exec netns1 ping 10.0.0.201
      ping 10.0.1.101
      ip netns exec netns2 ping 10.0.1.201
    `);
    for (const [line, res] of setup) expect(res.code, `${line}\n${res.stderr}`).toBe(0);

    const unreachable = await seed(id, `
      ip netns exec netns1 ping 10.0.1.101
      ip netns exec netns2 ping 10.0.0.101
      ip netns exec netns1 ip route show
    `);
    expect(unreachable.get('ip netns exec netns1 ping 10.0.1.101')!.stderr).toContain('ping: connect: Network is unreachable');
    expect(unreachable.get('ip netns exec netns2 ping 10.0.0.101')!.stderr).toContain('ping: connect: Network is unreachable');
    expect(unreachable.get('ip netns exec netns1 ip route show')!.stdout).not.toContain('default');

    const routed = await seed(id, `
      ip netns exec netns1 ip route add default via 10.0.0.201 dev veth1
      ip netns exec netns2 ip route add default via 10.0.1.201 dev veth3
      ip netns exec netns1 ping 10.0.1.101
      iptables -S FORWARD
    `);
    // "But iptables is blocking FORWARD": the host (Docker's VM) has policy DROP.
    expect(routed.get('ip netns exec netns1 ping 10.0.1.101')!.stdout).toContain('0 received');
    expect(routed.get('iptables -S FORWARD')!.stdout).toContain('-P FORWARD DROP');

    const fixed = await seed(id, `
      iptables -P FORWARD ACCEPT
      ip netns exec netns1 ping 10.0.1.101
      ip netns exec netns2 ping 10.0.0.101
    `);
    for (const [line, res] of fixed) expect(res.code, `${line}\n${res.stdout}${res.stderr}`).toBe(0);
    expect(fixed.get('ip netns exec netns1 ping 10.0.1.101')!.stdout).toContain('1 received');

    const cleanup = await seed(id, 'ip netns del netns1\nip netns del netns2\nip netns list');
    expect(cleanup.get('ip netns del netns2')!.code).toBe(0);
    expect(cleanup.get('ip netns list')!.stdout).not.toContain('netns1');
  });
});
