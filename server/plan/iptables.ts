// iptables rules as argv, in the exact order `iptables-save` prints them, so a rule we add can be
// recognised again in the kernel's listing.
import { withPrefix } from '../topology/address.ts';
import type { IptablesRule } from '../topology/schema.ts';

function addressMatch(flag: string, value: string | undefined): string[] {
  if (value === undefined) return [];
  const negated = value.startsWith('!');
  const addr = withPrefix(negated ? value.slice(1).trim() : value);
  return negated ? ['!', flag, addr] : [flag, addr];
}

/** The rule's match and target tokens, without table and chain: `-s 10.0.0.0/24 -o enp0s3 -j MASQUERADE`. */
export function ruleSpec(rule: IptablesRule, tag?: string): string[] {
  const spec: string[] = [
    ...addressMatch('-s', rule.source),
    ...addressMatch('-d', rule.destination),
    ...(rule.inIface ? ['-i', rule.inIface] : []),
    ...(rule.outIface ? ['-o', rule.outIface] : []),
    ...(rule.protocol ? ['-p', rule.protocol] : []),
  ];
  if (rule.protocol === 'tcp' || rule.protocol === 'udp') {
    if (rule.sport !== undefined || rule.dport !== undefined) {
      spec.push('-m', rule.protocol);
      if (rule.sport !== undefined) spec.push('--sport', String(rule.sport));
      if (rule.dport !== undefined) spec.push('--dport', String(rule.dport));
    }
  }
  if (rule.dstType) spec.push('-m', 'addrtype', '--dst-type', rule.dstType);
  if (rule.statistic?.mode === 'random') {
    spec.push('-m', 'statistic', '--mode', 'random', '--probability', formatProbability(rule.statistic.probability));
  } else if (rule.statistic?.mode === 'nth') {
    spec.push('-m', 'statistic', '--mode', 'nth', '--every', String(rule.statistic.every), '--packet', String(rule.statistic.packet));
  }
  if (tag) spec.push('-m', 'comment', '--comment', tag);
  spec.push('-j', rule.jump);
  // iptables-save prints REJECT's default explicitly; say it so the rule is recognised in the kernel.
  if (rule.jump === 'REJECT') spec.push('--reject-with', 'icmp-port-unreachable');
  if (rule.jump === 'DNAT' && rule.toDestination) spec.push('--to-destination', rule.toDestination);
  if (rule.jump === 'SNAT' && rule.toSource) spec.push('--to-source', rule.toSource);
  return spec;
}

/** iptables stores probabilities as 32-bit fractions and prints 11 decimals; compare at 4. */
export function formatProbability(p: number): string {
  return String(Math.round(p * 1e11) / 1e11);
}

/** A spec string normalised so that the kernel's printout and ours compare equal. */
export function canonicalSpec(tokens: string[]): string {
  const out = [...tokens];
  for (let i = 0; i < out.length - 1; i++) {
    if (out[i] === '--probability') out[i + 1] = Number(out[i + 1]).toFixed(4);
  }
  return out.join(' ');
}

export function tableArgs(table: string): string[] {
  return table === 'filter' ? [] : ['-t', table];
}
