// The machine's own network state, read-only: taken before and after the integration suite.
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';

function out(argv: string[]): string {
  try {
    return execFileSync(argv[0], argv.slice(1), { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
  } catch (e) {
    return `ERROR ${(e as Error).message.split('\n')[0]}`;
  }
}

const SYSCTLS = ['net.ipv4.ip_forward', 'net.ipv4.conf.all.forwarding', 'net.ipv4.conf.all.proxy_arp', 'net.ipv4.neigh.default.gc_thresh3', 'net.ipv4.conf.default.rp_filter'];

/** Everything nsplay must never change in the machine's root network namespace, as comparable text. */
export function snapshotMachine(): Record<string, string> {
  const strip = (s: string) => s.split('\n').filter((l) => !l.startsWith('#')).map((l) => l.replace(/\[\d+:\d+\]/g, '')).join('\n');
  const links = JSON.parse(out(['ip', '-j', 'link', 'show']) || '[]') as { ifname: string; operstate: string; flags: string[] }[];
  return {
    links: JSON.stringify(links.map((l) => ({ ifname: l.ifname, flags: l.flags }))),
    addr: out(['ip', '-j', 'addr', 'show']),
    route: out(['ip', '-j', 'route', 'show', 'table', 'all']),
    rule: out(['ip', '-j', 'rule', 'show']),
    iptables: strip(out(['iptables-save'])),
    nft: out(['nft', 'list', 'ruleset']),
    sysctl: out(['sysctl', ...SYSCTLS]),
    // Canaries of concurrent suite runs (look-alike nsplay-sXXXXXX namespaces) come and go; ours are checked apart.
    netns: out(['ip', 'netns', 'list']).split('\n').filter((l) => !/^nsplay-s[0-9a-f]{6}\b/.test(l)).join('\n'),
    // Mount points, less the container runtime's own (other work on a shared machine may start containers).
    mounts: fs.readFileSync('/proc/self/mountinfo', 'utf8').split('\n').map((l) => l.split(' ')[4] ?? '')
      .filter((m) => !/^\/(var\/lib\/containers|run\/containers|run\/user|run\/netns\/netns-|run\/netns\/nsplay-s[0-9a-f]{6}$)/.test(m)).sort().join('\n'),
  };
}

export function diffSnapshots(a: Record<string, string>, b: Record<string, string>): string[] {
  return Object.keys(a).filter((k) => a[k] !== b[k]).map((k) => `${k} changed:\n--- before\n${a[k]}\n--- after\n${b[k]}`);
}
