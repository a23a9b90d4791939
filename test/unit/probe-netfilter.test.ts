// What iptables would do to a packet, from iptables-save rules: matches, user chains, policies, NAT.
import { describe, expect, it } from 'vitest';
import { parseIptablesSave } from '../../server/observe/parse-iptables.ts';
import { parseRule, runHook, type HookContext, type Packet } from '../../server/probe/netfilter.ts';

const save = (text: string) => parseIptablesSave(text.split('\n').map((l) => l.trim()).join('\n'));
const ping: Packet = { src: '10.0.0.101', dst: '10.0.1.101', proto: 'icmp', icmpType: 8, state: 'NEW' };
const syn: Packet = { src: '10.0.0.101', dst: '10.0.1.101', proto: 'tcp', sport: 40000, dport: 8080, state: 'NEW', syn: true };
const fwd: HookContext = { in: 'veth0', out: 'veth2', isLocal: (a) => a === '10.0.0.201' || a === '192.168.56.12', addressOf: (i) => (i === 'enp0s3' ? '10.0.2.15' : undefined) };

describe('parseRule', () => {
  it('understands the matches iptables-save prints', () => {
    const r = parseRule('-s 10.0.0.0/24 ! -d 10.0.0.0/24 -i veth+ -p tcp -m tcp --dport 80:90 -m comment --comment two words -j DNAT --to-destination 10.0.0.101:8080');
    expect(r.unknown).toEqual([]);
    expect(r.target).toBe('DNAT');
    expect(r.targetArgs['--to-destination']).toBe('10.0.0.101:8080');
    expect(r.tests.every((t) => t({ ...syn, dst: '1.1.1.1', dport: 85 }, fwd))).toBe(true);
    expect(r.tests.every((t) => t({ ...syn, dst: '10.0.0.7', dport: 85 }, fwd))).toBe(false);
  });

  it('marks what it cannot evaluate', () => {
    expect(parseRule('-m physdev --physdev-in veth0 -j DROP').unknown).toEqual(['--physdev-in veth0']);
  });
});

describe('runHook', () => {
  it('stops at the FORWARD policy', () => {
    const v = runHook(save('*filter\n:FORWARD DROP [0:0]\nCOMMIT'), 'FORWARD', ping, fwd);
    expect(v).toMatchObject({ verdict: 'DROP', table: 'filter', chain: 'FORWARD', policy: 'DROP' });
    expect(v.rule).toBeUndefined();
  });

  it('names the rule that dropped, through a user chain and back', () => {
    const ipt = save(`*filter
      :FORWARD ACCEPT [0:0]
      :BLOCK - [0:0]
      -A FORWARD -j BLOCK
      -A FORWARD -d 10.0.1.101/32 -j DROP
      -A BLOCK -p tcp -m tcp --dport 8080 -j REJECT --reject-with icmp-port-unreachable
      -A BLOCK -j RETURN
      COMMIT`);
    expect(runHook(ipt, 'FORWARD', syn, fwd)).toMatchObject({ verdict: 'REJECT', chain: 'BLOCK', rule: '-A BLOCK -p tcp -m tcp --dport 8080 -j REJECT --reject-with icmp-port-unreachable' });
    expect(runHook(ipt, 'FORWARD', ping, fwd)).toMatchObject({ verdict: 'DROP', chain: 'FORWARD', rule: '-A FORWARD -d 10.0.1.101/32 -j DROP' });
    expect(runHook(ipt, 'FORWARD', { ...ping, dst: '10.0.1.102' }, fwd).verdict).toBe('ACCEPT');
  });

  it('lets replies through an ESTABLISHED rule and skips nat for them', () => {
    const ipt = save(`*filter
      :FORWARD DROP [0:0]
      -A FORWARD -m conntrack --ctstate RELATED,ESTABLISHED -j ACCEPT
      COMMIT
      *nat
      :POSTROUTING ACCEPT [0:0]
      -A POSTROUTING -o veth2 -j MASQUERADE
      COMMIT`);
    expect(runHook(ipt, 'FORWARD', ping, fwd).verdict).toBe('DROP');
    expect(runHook(ipt, 'FORWARD', { ...ping, state: 'ESTABLISHED' }, fwd).verdict).toBe('ACCEPT');
    expect(runHook(ipt, 'POSTROUTING', { ...ping, state: 'ESTABLISHED' }, fwd).nat).toBeUndefined();
  });

  it('rewrites with DNAT, MASQUERADE and SNAT', () => {
    const ipt = save(`*nat
      :PREROUTING ACCEPT [0:0]
      :OUTPUT ACCEPT [0:0]
      :POSTROUTING ACCEPT [0:0]
      -A PREROUTING -d 192.168.56.12/32 -p tcp -m tcp --dport 80 -j DNAT --to-destination 10.0.0.101:8080
      -A OUTPUT -m addrtype --dst-type LOCAL -p tcp -m tcp --dport 80 -j DNAT --to-destination 10.0.0.101:8080
      -A POSTROUTING -s 10.0.0.0/24 -o enp0s3 -j MASQUERADE
      -A POSTROUTING -s 10.0.1.0/24 -j SNAT --to-source 10.0.2.99
      COMMIT`);
    const web: Packet = { ...syn, src: '192.168.56.1', dst: '192.168.56.12', dport: 80 };
    expect(runHook(ipt, 'PREROUTING', web, { ...fwd, in: 'enp0s8' }).nat).toMatchObject({ target: 'DNAT', address: '10.0.0.101', port: 8080 });
    expect(runHook(ipt, 'OUTPUT', { ...web, src: '192.168.56.12' }, { isLocal: fwd.isLocal, out: 'lo' }).nat).toMatchObject({ target: 'DNAT', address: '10.0.0.101' });
    expect(runHook(ipt, 'POSTROUTING', { ...ping, dst: '1.1.1.1' }, { ...fwd, out: 'enp0s3' }).nat).toMatchObject({ target: 'MASQUERADE', address: '10.0.2.15' });
    expect(runHook(ipt, 'POSTROUTING', { ...ping, src: '10.0.1.5' }, fwd).nat).toMatchObject({ target: 'SNAT', address: '10.0.2.99' });
    expect(runHook(ipt, 'POSTROUTING', ping, fwd).nat).toBeUndefined();
  });

  it('treats a table or chain that is not there as ACCEPT', () => {
    expect(runHook(save(''), 'INPUT', ping, fwd)).toEqual({ verdict: 'ACCEPT', nat: undefined, uncertain: [] });
  });

  it('reports rules it could not evaluate without letting them decide', () => {
    const v = runHook(save('*filter\n:FORWARD ACCEPT [0:0]\n-A FORWARD -m physdev --physdev-in veth0 -j DROP\nCOMMIT'), 'FORWARD', ping, fwd);
    expect(v.verdict).toBe('ACCEPT');
    expect(v.uncertain[0]).toContain('physdev');
  });
});
