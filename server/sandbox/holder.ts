// The holder: one long-lived process per session that owns the session's host network namespace and a
// private mount namespace in which /run/netns is the session's own directory. Every shell and command
// "in host" joins it; `ip netns add` typed there lands in the session, never in the machine's /run/netns.
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { processRef, type ProcessRef } from './procfs.ts';

// Runs inside fresh mount + network namespaces (unshare made every mount private first, so nothing
// below propagates back to the machine). $1 = session directory, $2 = session id.
const HOLDER_SCRIPT = `
set -eu
dir="$1"
mount --bind "$dir/netns" /run/netns
mount --make-shared /run/netns
# A sysfs of this namespace (lab 8 reads /sys/class/net/veth0/address), keeping cgroups for runtimes.
mount --rbind /sys/fs/cgroup "$dir/cgroup"
mount -t sysfs nsplay-sysfs /sys
mount --rbind "$dir/cgroup" /sys/fs/cgroup
umount -l "$dir/cgroup"
ip link set lo up
echo ready
exec -a "nsplay-holder:$dir" sleep infinity </dev/null >/dev/null 2>&1
`;

export interface Holder extends ProcessRef {}

/**
 * Start the holder detached from us (it must outlive a CLI process). `onSpawn` runs as soon as the PID
 * is known — before setup finishes — so a crash in between still leaves a journal entry to reclaim.
 */
export async function startHolder(dir: string, sessionId: string, onSpawn: (h: Holder) => void, timeoutMs = 10_000): Promise<Holder> {
  for (const sub of ['netns', 'cgroup']) fs.mkdirSync(path.join(dir, sub), { recursive: true });
  // The bind mount needs a mount point; iproute2 creates this directory the same way on first use.
  fs.mkdirSync('/run/netns', { recursive: true });
  const child = spawn('unshare', ['--mount', '--net', '--propagation', 'private', '--', 'bash', '-c', HOLDER_SCRIPT, 'nsplay-holder', dir, sessionId], {
    detached: true,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const pid = child.pid;
  if (pid === undefined) throw new Error('could not start unshare (is util-linux installed?)');
  const ref = processRef(pid);
  if (ref) onSpawn(ref);
  let stderr = '';
  child.stderr!.on('data', (d) => (stderr += String(d)));
  const ready = await new Promise<boolean>((resolve) => {
    const timer = setTimeout(() => resolve(false), timeoutMs);
    let out = '';
    child.stdout!.on('data', (d) => {
      out += String(d);
      if (out.includes('ready\n')) { clearTimeout(timer); resolve(true); }
    });
    child.on('exit', () => { clearTimeout(timer); resolve(false); });
  });
  child.stdout!.destroy();
  child.stderr!.destroy();
  child.unref();
  if (!ready || !ref) {
    try { process.kill(pid, 'SIGKILL'); } catch { /* gone */ }
    throw new Error(`the session sandbox did not start: ${stderr.trim() || 'no answer from its holder process'}`);
  }
  return ref;
}
