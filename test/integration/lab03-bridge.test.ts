// Seed section 3 verbatim: bridge as gateway; 1.1.1.1 unreachable until MASQUERADE via $gw_dev.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createSession, nsplay, seed } from './cli.ts';

describe('lab 3: bridge, tcpdump, MASQUERADE — the seed verbatim', () => {
  let id = '';
  beforeAll(async () => { id = await createSession('03-bridge'); });
  afterAll(async () => { await nsplay(['session', 'destroy', id]); });

  it('pings across the bridge', async () => {
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
      ip netns exec netns2 ip route add default via 10.0.0.1 dev veth3
      ping 10.0.0.101
      ping 10.0.0.102
      ip netns exec netns1 ping 10.0.0.1
      ip netns exec netns2 ping 10.0.0.1
      ip netns exec netns1 ping 10.0.0.102
      ip netns exec netns2 ping 10.0.0.101
    `);
    for (const [line, res] of r) expect(res.code, `${line}\n${res.stdout}${res.stderr}`).toBe(0);
  });

  it('cannot reach the internet; tcpdump sees the request on br0 and on enp0s3', async () => {
    const r = await seed(id, `
      ip netns exec netns1 ping 1.1.1.1 # not reachable
      (sleep 0.5; ip netns exec netns1 ping 1.1.1.1 >/dev/null) & tcpdump -i br0 -nn icmp # => bridge is reacheable
      (sleep 0.5; ip netns exec netns1 ping 1.1.1.1 >/dev/null) & tcpdump -i enp0s3 -nn icmp # => default is reacheable
    `);
    expect(r.get('ip netns exec netns1 ping 1.1.1.1 # not reachable')!.stdout).toContain('0 received');
    const onBridge = [...r.values()][1].stdout;
    const onUplink = [...r.values()][2].stdout;
    // "10.0.0.101 > 1.1.1.1: ip of packet is can't resolve when return, should be source nat"
    expect(onBridge).toMatch(/IP 10\.0\.0\.101 > 1\.1\.1\.1: ICMP echo request/);
    expect(onUplink).toMatch(/IP 10\.0\.0\.101 > 1\.1\.1\.1: ICMP echo request/);
  });

  it('reaches 1.1.1.1 after MASQUERADE on $gw_dev, and the seed cleanup succeeds', async () => {
    const r = await seed(id, `
      gw_dev=$(ip -j route show | jq -r '.[]|select(.dst=="default")|.dev') # get default gateway device
      echo $gw_dev
      iptables -t nat -A POSTROUTING -s 10.0.0.0/24 -o $gw_dev -j MASQUERADE # source nat
      ip netns exec netns1 ping 1.1.1.1
      iptables -t nat -S POSTROUTING
    `);
    expect(r.get('echo $gw_dev')!.stdout.trim()).toBe('enp0s3');
    expect(r.get('ip netns exec netns1 ping 1.1.1.1')!.stdout).toContain('1 received');
    expect(r.get('iptables -t nat -S POSTROUTING')!.stdout).toContain('-A POSTROUTING -s 10.0.0.0/24 -o enp0s3 -j MASQUERADE');
    const cleanup = await seed(id, `
      ip netns del netns1
      ip netns del netns2
      ip link del br0
      gw_dev=$(ip -j route show | jq -r '.[]|select(.dst=="default")|.dev') # get default gateway device
      echo $gw_dev
      iptables -t nat -D POSTROUTING -s 10.0.0.0/24 -o $gw_dev -j MASQUERADE
    `);
    for (const [line, res] of cleanup) expect(res.code, `${line}\n${res.stderr}`).toBe(0);
  });
});
