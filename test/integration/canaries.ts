// Foreign state nsplay does not own, planted before the integration suite and compared after it:
// a look-alike namespace with a veth pair, an iptables chain with a rule jumping to it, a running
// ping and a look-alike container. Everything must be byte-identical at the end (issue: ownership).
import { execFileSync, spawn } from 'node:child_process';
import fs from 'node:fs';

const NS = `nsplay-s${process.pid.toString(16).padStart(6, '0').slice(-6)}`; // looks like a session id
const CONTAINER = `nsplay-${NS.slice(7)}-canary`;

function sh(argv: string[]): string {
  return execFileSync(argv[0], argv.slice(1), { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
}

function tryRun(argv: string[]): void {
  try { sh(argv); } catch { /* best effort */ }
}

export interface Canaries { pingPid: number; container: boolean }

export function plantCanaries(): Canaries {
  sh(['ip', 'netns', 'add', NS]);
  sh(['ip', '-n', NS, 'link', 'add', 'name', 'nsplay0', 'type', 'veth', 'peer', 'name', 'nsplay1']);
  sh(['ip', '-n', NS, 'link', 'set', 'dev', 'lo', 'up']);
  sh(['ip', 'netns', 'exec', NS, 'iptables', '-N', 'NSPLAY-CANARY']);
  sh(['ip', 'netns', 'exec', NS, 'iptables', '-A', 'INPUT', '-m', 'comment', '--comment', 'nsplay:s000000', '-j', 'NSPLAY-CANARY']);
  const ping = spawn('ip', ['netns', 'exec', NS, 'ping', '-i', '5', '127.0.0.1'], { stdio: 'ignore', detached: true });
  ping.unref();
  let container = false;
  try {
    sh(['podman', '--runtime', 'runc', '--cgroup-manager', 'cgroupfs', 'run', '-d', '--network', 'none', '--name', CONTAINER,
      '--ulimit', 'nofile=20000:20000', '--ulimit', 'nproc=1000:1000', 'localhost/nsplay/busybox:1']);
    container = true;
  } catch { /* no image yet: the container canary is skipped (setup.sh builds the image) */ }
  return { pingPid: ping.pid!, container };
}

export function readCanaries(c: Canaries): string {
  const alive = fs.existsSync(`/proc/${c.pingPid}`) && !fs.readFileSync(`/proc/${c.pingPid}/stat`, 'utf8').includes(') Z ');
  return JSON.stringify({
    links: sh(['ip', '-n', NS, '-o', 'link', 'show']).replace(/link\/ether \S+/g, ''),
    iptables: sh(['ip', 'netns', 'exec', NS, 'iptables', '-S']),
    ping: alive,
    container: c.container ? sh(['podman', 'inspect', '-f', '{{.State.Status}} {{.Name}}', CONTAINER]) : 'none',
    netns: sh(['ip', 'netns', 'list']).split('\n').filter((l) => l.startsWith(NS)).length,
  });
}

export function removeCanaries(c: Canaries): void {
  try { process.kill(c.pingPid, 'SIGKILL'); } catch { /* gone */ }
  if (c.container) tryRun(['podman', 'rm', '-f', '-t', '0', CONTAINER]);
  tryRun(['ip', 'netns', 'del', NS]);
}
