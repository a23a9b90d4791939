// How a command reaches a node of a session: argv prefixes that enter the session's namespaces.
// host  → the holder's mount + network namespaces (private /run/netns, the session's sysfs)
// other → the holder's mount namespace, then `ip netns exec NODE` exactly as a learner would type it.

export interface SessionHandle {
  /** PID of the session's holder process. */
  holderPid: number;
}

export function enterHost(h: SessionHandle, argv: string[]): string[] {
  return ['nsenter', '-t', String(h.holderPid), '-m', '-n', '--', ...argv];
}

/** General commands in a node, faithful to `ip netns exec` (its own /sys, /etc/netns). */
export function enterNode(h: SessionHandle, node: string, argv: string[]): string[] {
  if (node === 'host') return enterHost(h, argv);
  return ['nsenter', '-t', String(h.holderPid), '-m', '--', 'ip', 'netns', 'exec', node, ...argv];
}

/** Cheaper entry for tools that only need the network namespace (iptables, sysctl, ss, ping). */
export function enterNet(h: SessionHandle, node: string, argv: string[]): string[] {
  if (node === 'host') return ['nsenter', `--net=/proc/${h.holderPid}/ns/net`, '--', ...argv];
  return ['nsenter', `--net=/proc/${h.holderPid}/root/run/netns/${node}`, '--', ...argv];
}

/** `ip` aimed at a node: `ip -n NODE …` inside the holder (no extra exec for the namespace switch). */
export function ipIn(h: SessionHandle, node: string, ipArgs: string[]): string[] {
  return enterHost(h, node === 'host' ? ['ip', ...ipArgs] : ['ip', '-n', node, ...ipArgs]);
}
