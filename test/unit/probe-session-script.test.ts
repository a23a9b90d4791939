// The per-namespace script and the channel protocol of session-script.ts. NS_SCRIPT runs here under a
// plain `sh` with only the flags that touch no network (c = sysctls, read from files given as paths;
// w = wait for words, then exec an argv), so no namespace is needed.
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { NS_SCRIPT, parseChannel, parseReadOutput, sysctlPath, unsafeWord } from '../../server/probe/session-script.ts';

const ns = (args: string[], input = '', env?: NodeJS.ProcessEnv) => {
  const r = spawnSync('/bin/sh', ['-c', NS_SCRIPT, 'nsplay-ns', ...args], { input, encoding: 'utf8', timeout: 10_000, env });
  return r.stdout;
};

describe('NS_SCRIPT', () => {
  it('reads sysctls with the shell alone, in sysctl\'s own format, skipping keys the kernel lacks', () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'nsplay-ns-script-'));
    try {
      fs.writeFileSync(path.join(dir, 'ip_forward'), '1\n');
      const out = ns(['-c', 'netns1', '2', 'net.ipv4.ip_forward', path.join(dir, 'ip_forward'), 'net.bridge.bridge-nf-call-iptables', path.join(dir, 'missing')]);
      expect(out).toBe('@@ns netns1\n@@sysctl\nnet.ipv4.ip_forward = 1\n');
      expect(parseReadOutput(out)).toEqual([{ node: 'netns1', sysctls: { 'net.ipv4.ip_forward': '1' } }]);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  it('waits for its words, then runs the argv with them appended: split on blanks, never globbed', () => {
    const out = ns(['-w', 'ns01', '0', 'printf', '%s|'], '10.0.0.2 10.0.0.3 *\n');
    expect(out).toBe('@@ns ns01\n@@ready\n@@run\n10.0.0.2|10.0.0.3|*|');
    expect(parseChannel(out)).toEqual({ read: '@@ns ns01\n', run: '10.0.0.2|10.0.0.3|*|' });
  });

  it('with I, reads iptables after the run, in a section of its own', () => {
    // A stand-in iptables-save first on PATH: the machine's own rules are never read here.
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'nsplay-ns-script-'));
    let out = '';
    try {
      fs.writeFileSync(path.join(dir, 'iptables-save'), '#!/bin/sh\necho "*filter"\necho COMMIT\n', { mode: 0o755 });
      out = ns(['-Iw', 'ns01', '0', 'printf', '%s|'], '10.0.0.2\n', { ...process.env, PATH: dir });
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
    expect(out).toBe('@@ns ns01\n@@ready\n@@run\n10.0.0.2|@@after\n@@iptables\n*filter\nCOMMIT\n');
    expect(parseChannel('@@ns ns01\n@@ready\n@@run\n10.0.0.2 : 0.05\n@@after\n@@iptables\n*filter\nCOMMIT\n')).toEqual({
      read: '@@ns ns01\n@@iptables\n*filter\nCOMMIT\n', run: '10.0.0.2 : 0.05\n',
    });
  });

  it('runs nothing when its channel closes without words', () => {
    expect(ns(['-w', 'ns01', '0', 'echo', 'ran'], '')).toBe('@@ns ns01\n@@ready\n');
    expect(ns(['-w', 'ns01', '0', 'echo', 'ran'], '\n')).toBe('@@ns ns01\n@@ready\n');
    expect(parseChannel('@@ns ns01\n@@ready\n')).toEqual({ read: '@@ns ns01\n', run: null });
  });
});

describe('channel protocol', () => {
  it('a channel that never got to @@ready has no read', () => {
    expect(parseChannel('@@ns ns01\n@@batch\n[{"ifname":"lo"')).toEqual({ read: null, run: null });
  });

  it('lets only plain words (addresses, ports, names) down a channel', () => {
    expect(unsafeWord(['10.0.0.2', 'fe80::1%eth0', '10.0.0.0/24', 'ns-1.a_b'])).toBeUndefined();
    for (const bad of ['a b', '$(reboot)', '*', '-x', '', 'a;b', 'a\nb', '`id`']) expect(unsafeWord(['10.0.0.1', bad])).toBe(bad);
  });

  it('maps sysctl keys to /proc/sys the way sysctl does', () => {
    expect(sysctlPath('net.ipv4.ip_forward')).toBe('/proc/sys/net/ipv4/ip_forward');
    expect(sysctlPath('net/ipv4/conf/eth0.1/proxy_arp')).toBe('/proc/sys/net/ipv4/conf/eth0.1/proxy_arp');
  });
});
