// What the kernel really has, per namespace — read by the observers, compared by diffPlan, drawn by the UI.

export interface ObservedLink {
  ifname: string;
  ifindex: number;
  /** "veth", "bridge", "loopback", "dummy", … (from linkinfo.info_kind; "loopback" for lo). */
  kind: string;
  up: boolean;            // administratively up (IFF_UP in flags)
  operUp: boolean;        // operstate UP/UNKNOWN with carrier (LOWER_UP)
  mac?: string;
  mtu?: number;
  master?: string;        // bridge name when a bridge port
  /** veth only: peer's ifindex and, when the peer is in another namespace, that namespace's netnsid here. */
  peerIfindex?: number;
  linkNetnsid?: number;
  addresses: string[];    // IPv4 CIDRs, e.g. "10.0.0.1/24"
}

export interface ObservedRoute {
  table: string;          // "main", "local" or a number
  dst: string;            // "default", "10.0.0.0/24", "11.0.0.99"
  gateway?: string;
  dev?: string;
  scope?: string;
  prefsrc?: string;
  protocol?: string;
  metric?: number;
  type?: string;          // "unicast", "local", "broadcast", …
}

export interface ObservedRule { priority: number; from: string; to?: string; table: string }

export interface ObservedNeighbor { dev: string; address: string; lladdr?: string; state: string[] }

export interface ObservedIptables {
  /** table → chain → policy ("ACCEPT"/"DROP") for built-in chains, "-" for user chains. */
  chains: Record<string, Record<string, string>>;
  /** table → rules as iptables-save prints them after "-A": {chain, spec tokens joined by one space}. */
  rules: Record<string, { chain: string; spec: string }[]>;
}

export interface NamespaceState {
  node: string;           // node name: 'host', 'netns1', a container name, or a hand-made namespace
  /** nsfs inode identifying the namespace (from stat of its file / /proc/PID/ns/net). */
  inode?: number;
  links: ObservedLink[];
  routes: ObservedRoute[];
  rules: ObservedRule[];
  neighbors: ObservedNeighbor[];
  sysctls: Record<string, string>;
  iptables: ObservedIptables;
  /** TCP ports with a listener. */
  listening: number[];
  /** netnsid → node name, for pairing veth peers across namespaces. */
  netnsIds: Record<number, string>;
}

export interface ObservedState {
  at: number;             // ms since epoch
  namespaces: Record<string, NamespaceState>;
  containers: string[];   // container node names running
}
