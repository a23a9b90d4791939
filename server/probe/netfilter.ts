// What iptables would do to one packet, read from iptables-save rules: the chains of a hook in table
// order, jumps into user chains, the first terminal verdict, NAT rewrites. Pure. Matches it does not
// understand make a rule "uncertain" (treated as not matching); the kernel trace has the last word.
import type { ObservedIptables } from '../observe/types.ts';
import { cidrContains, ipv4ToInt } from '../topology/address.ts';

export type Hook = 'PREROUTING' | 'INPUT' | 'FORWARD' | 'OUTPUT' | 'POSTROUTING';

export interface Packet {
  src: string;
  dst: string;
  proto: 'icmp' | 'tcp';
  sport?: number;
  dport?: number;
  /** 8 echo request, 0 echo reply (ICMP only). */
  icmpType?: number;
  /** Conntrack state: the first packet of a flow is NEW, everything after (replies) ESTABLISHED. */
  state: 'NEW' | 'ESTABLISHED';
  /** TCP: SYN for the request, SYN+ACK for the reply. */
  syn?: boolean;
  ack?: boolean;
}

export interface HookContext {
  in?: string;
  out?: string;
  isLocal: (address: string) => boolean;
  /** Address a MASQUERADE on `out` would use. */
  addressOf?: (ifname: string) => string | undefined;
}

export interface NatRewrite {
  target: 'DNAT' | 'SNAT' | 'MASQUERADE' | 'REDIRECT';
  address?: string;
  port?: number;
}

export interface HookVerdict {
  verdict: 'ACCEPT' | 'DROP' | 'REJECT';
  table?: string;
  chain?: string;
  /** "-A FORWARD -d 1.1.1.1/32 -j DROP" for a rule; absent when a policy decided. */
  rule?: string;
  policy?: string;
  nat?: NatRewrite & { table: string; chain: string; rule: string };
  uncertain: string[];
}

const HOOK_TABLES: Record<Hook, string[]> = {
  PREROUTING: ['raw', 'mangle', 'nat'],
  INPUT: ['mangle', 'filter', 'nat'],
  FORWARD: ['mangle', 'filter'],
  OUTPUT: ['raw', 'mangle', 'nat', 'filter'],
  POSTROUTING: ['mangle', 'nat'],
};

const PROTO_NUMBERS: Record<string, string> = { '1': 'icmp', '6': 'tcp', '17': 'udp' };
const ICMP_TYPES: Record<string, number> = { 'echo-request': 8, 'echo-reply': 0 };
const CONTINUE_TARGETS = new Set(['LOG', 'TRACE', 'MARK', 'CONNMARK', 'CT', 'NOTRACK', 'TCPMSS', 'NFLOG', 'CHECKSUM', 'TOS', 'DSCP']);
const NAT_TARGETS = new Set(['DNAT', 'SNAT', 'MASQUERADE', 'REDIRECT']);

interface ParsedRule {
  tests: ((p: Packet, c: HookContext) => boolean)[];
  unknown: string[];
  target?: string;
  goto: boolean;
  targetArgs: Record<string, string>;
}

function inRange(value: number | undefined, spec: string): boolean {
  if (value === undefined) return false;
  return spec.split(',').some((part) => {
    const [lo, hi] = part.split(':');
    const a = lo === '' ? 0 : Number(lo);
    const b = hi === undefined ? a : hi === '' ? 65535 : Number(hi);
    return value >= a && value <= b;
  });
}

function ifaceMatches(pattern: string, name: string | undefined): boolean {
  if (name === undefined) return false;
  return pattern.endsWith('+') ? name.startsWith(pattern.slice(0, -1)) : name === pattern;
}

function addrMatches(spec: string, address: string): boolean {
  return spec.split(',').some((s) => cidrContains(s.includes('/') ? s : `${s}/32`, address));
}

function rangeMatches(spec: string, address: string): boolean {
  const [a, b = a] = spec.split('-');
  const v = ipv4ToInt(address);
  return v >= ipv4ToInt(a) && v <= ipv4ToInt(b);
}

function icmpTypeMatches(spec: string, type: number | undefined): boolean {
  if (spec === 'any') return true;
  const t = ICMP_TYPES[spec] ?? Number(spec.split('/')[0]);
  return type === t;
}

function addrType(p: Packet, c: HookContext, which: 'src' | 'dst', types: string): boolean {
  const local = c.isLocal(p[which]);
  return types.split(',').some((t) => (t === 'LOCAL' ? local : t === 'UNICAST' ? !local && !p[which].endsWith('.255') : false));
}

/** One option with its arguments → a test, or null when the option is not understood. */
function optionTest(opt: string, args: string[]): ((p: Packet, c: HookContext) => boolean) | null | 'ignore' {
  const a = args[0] ?? '';
  switch (opt) {
    case '-s': case '--source': return (p) => addrMatches(a, p.src);
    case '-d': case '--destination': return (p) => addrMatches(a, p.dst);
    case '-i': case '--in-interface': return (_p, c) => ifaceMatches(a, c.in);
    case '-o': case '--out-interface': return (_p, c) => ifaceMatches(a, c.out);
    case '-p': case '--protocol': {
      const proto = PROTO_NUMBERS[a] ?? a;
      return (p) => proto === 'all' || proto === p.proto;
    }
    case '--dport': case '--destination-port': case '--dports': case '--destination-ports': return (p) => inRange(p.dport, a);
    case '--sport': case '--source-port': case '--sports': case '--source-ports': return (p) => inRange(p.sport, a);
    case '--ports': return (p) => inRange(p.dport, a) || inRange(p.sport, a);
    case '--icmp-type': return (p) => p.proto === 'icmp' && icmpTypeMatches(a, p.icmpType);
    case '--ctstate': case '--state': return (p) => a.split(',').includes(p.state);
    case '--dst-type': return (p, c) => addrType(p, c, 'dst', a);
    case '--src-type': return (p, c) => addrType(p, c, 'src', a);
    case '--src-range': return (p) => rangeMatches(a, p.src);
    case '--dst-range': return (p) => rangeMatches(a, p.dst);
    case '--syn': return (p) => p.proto === 'tcp' && p.syn === true && p.ack !== true;
    case '--comment': case '--limit': case '--limit-burst': case '--limit-iface-in': case '--limit-iface-out':
    case '--mode': case '--probability': case '--every': case '--packet':
      return 'ignore';
    default: return null;
  }
}

const TARGET_OPTIONS = new Set(['--to-destination', '--to-source', '--to-ports', '--to', '--reject-with', '--random',
  '--persistent', '--fully-random', '--log-prefix', '--log-level', '--set-mark', '--set-xmark', '--notrack', '--zone', '--random-fully']);

/** iptables-save spec tokens → tests and target. Matches on several words ("--comment a b") keep the extra words. */
export function parseRule(spec: string): ParsedRule {
  const t = spec.split(' ').filter((x) => x !== '');
  const rule: ParsedRule = { tests: [], unknown: [], goto: false, targetArgs: {} };
  let negate = false;
  let afterTarget = false;
  for (let i = 0; i < t.length; i++) {
    const tok = t[i];
    if (tok === '!') { negate = true; continue; }
    if (tok === '-j' || tok === '-g' || tok === '--jump' || tok === '--goto') {
      rule.target = t[++i];
      rule.goto = tok === '-g' || tok === '--goto';
      afterTarget = true;
      continue;
    }
    if (tok === '-m' || tok === '--match') { i++; continue; }
    if (!tok.startsWith('-')) continue; // an extra word of the previous option ("--comment two words")
    const args: string[] = [];
    while (i + 1 < t.length && !t[i + 1].startsWith('-') && t[i + 1] !== '!') args.push(t[++i]);
    if (afterTarget || TARGET_OPTIONS.has(tok)) {
      rule.targetArgs[tok] = args.join(' ');
      continue;
    }
    const test = optionTest(tok, args);
    if (test === 'ignore') { negate = false; continue; }
    if (test === null) {
      rule.unknown.push(`${negate ? '! ' : ''}${tok}${args.length ? ` ${args.join(' ')}` : ''}`);
    } else {
      rule.tests.push(negate ? (p, c) => !test(p, c) : test);
    }
    negate = false;
  }
  return rule;
}

function natOf(target: string, args: Record<string, string>, p: Packet, c: HookContext): NatRewrite {
  const spec = args['--to-destination'] ?? args['--to-source'] ?? args['--to'] ?? '';
  const [addrPart, portPart] = spec.split(':');
  const address = addrPart ? addrPart.split('-')[0] : undefined;
  const port = portPart ? Number(portPart.split('-')[0]) : undefined;
  switch (target) {
    case 'MASQUERADE': return { target, address: c.out ? c.addressOf?.(c.out) : undefined };
    case 'REDIRECT': {
      const to = args['--to-ports'];
      return { target, address: c.in ? c.addressOf?.(c.in) ?? '127.0.0.1' : '127.0.0.1', port: to ? Number(to.split('-')[0]) : p.dport };
    }
    default: return { target: target as NatRewrite['target'], address, port };
  }
}

type Walk = { verdict: 'ACCEPT' | 'DROP' | 'REJECT' | 'RETURN' | 'CONTINUE'; rule?: string; chain?: string; nat?: HookVerdict['nat'] };

function walkChain(ipt: ObservedIptables, table: string, chain: string, p: Packet, c: HookContext, uncertain: string[], depth: number): Walk {
  if (depth > 16) return { verdict: 'CONTINUE' };
  for (const r of (ipt.rules[table] ?? []).filter((x) => x.chain === chain)) {
    const parsed = parseRule(r.spec);
    if (parsed.unknown.length > 0) {
      uncertain.push(`${table} -A ${chain} ${r.spec} (nsplay cannot evaluate: ${parsed.unknown.join(', ')})`);
      continue;
    }
    if (!parsed.tests.every((test) => test(p, c))) continue;
    const text = `-A ${chain} ${r.spec}`;
    const target = parsed.target;
    if (!target || CONTINUE_TARGETS.has(target)) continue;
    if (target === 'ACCEPT' || target === 'DROP' || target === 'REJECT') return { verdict: target, rule: text, chain };
    if (target === 'RETURN') return { verdict: 'RETURN' };
    if (NAT_TARGETS.has(target)) {
      return { verdict: 'ACCEPT', rule: text, chain, nat: { ...natOf(target, parsed.targetArgs, p, c), table, chain, rule: text } };
    }
    if (ipt.chains[table]?.[target] === undefined && !(ipt.rules[table] ?? []).some((x) => x.chain === target)) {
      uncertain.push(`${table} ${text} (target ${target} is not evaluated)`);
      continue;
    }
    const inner = walkChain(ipt, table, target, p, c, uncertain, depth + 1);
    if (inner.verdict !== 'RETURN' && inner.verdict !== 'CONTINUE') return inner;
    if (parsed.goto) return { verdict: 'RETURN' };
  }
  return { verdict: 'CONTINUE' };
}

/** Runs a packet through every table of one hook; the first DROP/REJECT ends it. NAT tables only see NEW packets. */
export function runHook(ipt: ObservedIptables, hook: Hook, p: Packet, c: HookContext): HookVerdict {
  const uncertain: string[] = [];
  let nat: HookVerdict['nat'];
  for (const table of HOOK_TABLES[hook]) {
    if (table === 'nat' && p.state !== 'NEW') continue;
    if (ipt.chains[table]?.[hook] === undefined && !(ipt.rules[table] ?? []).some((r) => r.chain === hook)) continue;
    const w = walkChain(ipt, table, hook, p, c, uncertain, 0);
    if (w.verdict === 'DROP' || w.verdict === 'REJECT') return { verdict: w.verdict, table, chain: w.chain ?? hook, rule: w.rule, uncertain };
    if (w.nat) nat = w.nat;
    if (w.verdict === 'ACCEPT') continue;
    const policy = ipt.chains[table]?.[hook] ?? 'ACCEPT';
    if (policy === 'DROP') return { verdict: 'DROP', table, chain: hook, policy, uncertain };
  }
  return { verdict: 'ACCEPT', nat, uncertain };
}
