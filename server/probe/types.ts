// The vocabulary of a reachability probe: why a packet died, where, and the hops it took. Pure types.

export const REASONS = [
  'no-route', 'arp-failed', 'forward-drop', 'input-drop', 'output-drop', 'no-return-path',
  'ip-forward-off', 'link-down', 'port-closed', 'timeout',
  // a matrix only: the machine-wide neighbour table was full, the pair could not be tested (neigh-table.ts)
  'neigh-table-full',
] as const;
export type Reason = (typeof REASONS)[number];

/** A place a packet can be: a namespace (node) and one of its interfaces. */
export interface HopRef {
  node: string;
  /** Interface in that namespace; absent when the packet never got one (no route at the source). */
  interface?: string;
}

/** One step on the path, in order: out of an interface, into one, or delivered locally. */
export interface Hop extends HopRef {
  dir: 'out' | 'in' | 'local';
  leg: 'request' | 'reply';
  /** The bridge this interface is a port of (or the bridge itself), for drawing the hop on the bridge node. */
  bridge?: string;
  /** The packet's addresses as they are at this hop (NAT rewrites them). */
  src?: string;
  dst?: string;
  /** A rewrite done at this hop: "MASQUERADE 10.0.0.101 → 10.0.2.15", "DNAT 192.168.56.12:80 → 10.0.0.101:8080". */
  nat?: string;
}

/** The netfilter verdict that dropped a packet: where, and the rule or the chain policy. */
export interface DropInfo {
  node: string;
  table: string;
  chain: string;
  /** The rule as iptables-save prints it ("-A FORWARD -d 1.1.1.1/32 -j DROP"); absent for a policy. */
  rule?: string;
  /** "DROP" when the chain policy did it. */
  policy?: string;
  /** DROP or REJECT. */
  verdict: string;
  leg: 'request' | 'reply';
}

export interface ProbeResult {
  ok: boolean;
  /** Why it failed; absent when ok. */
  reason?: Reason;
  /** Where it died (absent when ok). */
  hop?: HopRef;
  rtt_ms?: number;
  path: Hop[];
  /** One or two sentences a learner can act on. */
  detail?: string;
  drop?: DropInfo;
  /** What was probed, resolved: source node and address, destination address, protocol, port. */
  from: { node: string; address?: string };
  to: { input: string; node?: string; address: string; port?: number };
  proto: 'icmp' | 'tcp';
  /** HTTP status when TO was ADDR:PORT and it answered HTTP. */
  http?: { status: number; bytes: number };
  /** iptables rules the route walk could not evaluate (matches it does not model); the kernel trace decides those. */
  notes?: string[];
  /** How the reason was found: the kernel (ping/curl, TRACE, taps, neighbour table) or the route walk alone. */
  evidence: 'kernel' | 'walk';
  /** Milliseconds the probe took. */
  ms: number;
}

export interface MatrixCell {
  from: string;
  to: string;
  /** The address probed for `to`. */
  address: string;
  ok: boolean;
  rtt_ms?: number;
  reason?: Reason;
  hop?: HopRef;
  detail?: string;
  /** 'kernel' for pairs given a full probe, 'walk' for the others. */
  evidence?: 'kernel' | 'walk';
}

export interface MatrixResult {
  nodes: string[];
  cells: MatrixCell[];
  /** Wall times: total; reading every namespace; the fping phase (iptables read after each fping); the route walks; the kernel-confirmed detail. */
  ms: { total: number; read?: number; ping: number; walk?: number; detail: number };
  /** Something the reader must know about the whole table (the neighbour table was full while it pinged). */
  note?: string;
}
