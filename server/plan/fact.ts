// What a step makes true in the kernel, as data. `diffPlan` compares facts with the observed state.
export type Fact =
  | { kind: 'netns'; name: string }
  | { kind: 'container'; name: string }
  | { kind: 'link'; node: string; ifname: string }
  | { kind: 'up'; node: string; ifname: string }
  | { kind: 'master'; node: string; ifname: string; master: string }
  | { kind: 'mac'; node: string; ifname: string; mac: string }
  | { kind: 'mtu'; node: string; ifname: string; mtu: number }
  | { kind: 'addr'; node: string; ifname: string; cidr: string }
  | { kind: 'neigh'; node: string; dev: string; address: string; lladdr: string }
  | { kind: 'route'; node: string; table: string; dst: string; via?: string; dev?: string; src?: string; scope?: string }
  | { kind: 'rule'; node: string; from: string; to?: string; table: string; priority: number }
  | { kind: 'sysctl'; node: string; key: string; value: string }
  | { kind: 'policy'; node: string; table: string; chain: string; policy: string }
  | { kind: 'chain'; node: string; table: string; name: string }
  | { kind: 'ipt'; node: string; table: string; chain: string; spec: string }
  | { kind: 'service'; node: string; port: number };
