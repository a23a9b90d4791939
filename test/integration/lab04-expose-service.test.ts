// Seed section 4 verbatim: a service in netns1, published on the host's LAN address with DNAT.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createSession, nsplay, seed } from './cli.ts';

describe('lab 4: expose a service — the seed verbatim', () => {
  let id = '';
  beforeAll(async () => { id = await createSession('04-expose-service'); });
  afterAll(async () => { await nsplay(['session', 'destroy', id]); });

  it('serves from netns1, reachable from the host', async () => {
    const r = await seed(id, `
      ip netns add netns1
      ip link add veth0 type veth peer name veth1
      ip link set veth1 netns netns1
      ip addr add 10.0.0.201/24 dev veth0
      ip link set veth0 up
      ip netns exec netns1 ip addr add 10.0.0.101/24 dev veth1
      ip netns exec netns1 ip link set veth1 up
      ip netns exec netns1 ip route add default via 10.0.0.201 dev veth1
      ip netns exec netns1 python3 -m http.server 8080 >/dev/null 2>&1 &
      for i in $(seq 50); do curl -s -o /dev/null 10.0.0.101:8080 && break; sleep 0.1; done
      curl 10.0.0.101:8080 # should return index.html
    `);
    for (const [line, res] of r) expect(res.code, `${line}\n${res.stderr}`).toBe(0);
    expect(r.get('curl 10.0.0.101:8080 # should return index.html')!.stdout).toContain('Directory listing');
  });

  it('is not reachable from external until DNAT; then is', async () => {
    const before = await seed(id, `
      ip netns exec external curl -sS -m 2 10.0.0.101:8080 # not reachable
      ip netns exec external curl -sS -m 2 192.168.56.12:80 # host ip, not reachable
    `);
    for (const [line, res] of before) expect(res.code, line).not.toBe(0);
    const after = await seed(id, `
      iptables -P FORWARD ACCEPT
      iptables -t nat -A PREROUTING -d 192.168.56.12 -p tcp -m tcp --dport 80 -j DNAT --to-destination 10.0.0.101:8080
      ip netns exec external curl -sS -m 2 192.168.56.12:80
    `);
    for (const [line, res] of after) expect(res.code, `${line}\n${res.stderr}`).toBe(0);
    expect(after.get('ip netns exec external curl -sS -m 2 192.168.56.12:80')!.stdout).toContain('Directory listing');
  });

  it('from inside the host: refused until the OUTPUT rule; the seed cleanup succeeds', async () => {
    const r = await seed(id, `
      curl 192.168.56.12:80 # host ip, not reachable
      iptables -t nat -A OUTPUT -d 192.168.56.12 -p tcp -m tcp --dport 80 -j DNAT --to-destination 10.0.0.101:8080
      curl 192.168.56.12:80
    `);
    const lines = [...r.values()];
    expect(lines[0].stderr).toMatch(/Failed to connect to 192\.168\.56\.12 port 80 after \d+ ms: (Connection refused|Couldn't connect to server)/);
    expect(lines[2].code).toBe(0);
    expect(lines[2].stdout).toContain('Directory listing');
    const cleanup = await seed(id, `
      ip netns del netns1
      iptables -t nat -D PREROUTING -d 192.168.56.12 -p tcp -m tcp --dport 80 -j DNAT --to-destination 10.0.0.101:8080
      iptables -t nat -D OUTPUT -d 192.168.56.12 -p tcp -m tcp --dport 80 -j DNAT --to-destination 10.0.0.101:8080
    `);
    for (const [line, res] of cleanup) expect(res.code, `${line}\n${res.stderr}`).toBe(0);
  });
});
