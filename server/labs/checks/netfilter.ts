// Checks read from iptables, nftables and conntrack in a node.
import type { CheckContext } from './context.ts';
import { fail, pass, presence, type CheckOutcome } from './result.ts';
import type { ConntrackSpec, IptablesSpec, NftSpec } from './schema.ts';

const BUILTIN = new Set(['INPUT', 'FORWARD', 'OUTPUT', 'PREROUTING', 'POSTROUTING']);
const squash = (s: string) => s.trim().split(/\s+/).join(' ');
// A rule drawn on the canvas carries nsplay's ownership comment; it is the same rule as the typed one.
const OWNER_TAG = / -m comment --comment "?nsplay:s[0-9a-f]{6}"?(?= )/;
const untagged = (line: string) => line.replace(OWNER_TAG, '');

export async function checkIptables(c: CheckContext, s: IptablesSpec): Promise<CheckOutcome> {
  const r = await c.cached(`iptables:${s.node}:${s.table}`, () => c.runIn(s.node, ['iptables', '-t', s.table, '-S']));
  if (r.code !== 0) return fail(`iptables -t ${s.table} -S failed in ${s.node}: ${r.stderr.trim()}`);
  const lines = r.stdout.split('\n').map(squash).filter(Boolean).map(untagged);
  if (s.policy) {
    const line = lines.find((l) => l.startsWith(`-P ${s.policy!.chain} `));
    const is = line?.split(' ')[2];
    return is === s.policy.is ? pass() : fail(`the ${s.table} ${s.policy.chain} policy is ${is ?? 'unknown'}`);
  }
  if (s.chain !== undefined) {
    const found = BUILTIN.has(s.chain) || lines.includes(`-N ${s.chain}`);
    return presence(s.expect, found, `chain ${s.chain} in ${s.table}`);
  }
  if (s.rule !== undefined) {
    const want = squash(s.rule);
    const chain = want.split(' ')[1];
    const inChain = lines.filter((l) => l.startsWith(`-A ${chain} `));
    return presence(s.expect, lines.includes(want), `the rule '${want}'`, inChain.length ? `${chain} has: ${inChain.join(' | ')}` : `${chain} has no rules`);
  }
  const re = new RegExp(s.match!, 'u');
  const hit = lines.find((l) => re.test(l));
  return presence(s.expect, hit, `a ${s.table} rule matching /${s.match}/`);
}

export async function checkNft(c: CheckContext, s: NftSpec): Promise<CheckOutcome> {
  const r = await c.cached(`nft:${s.node}`, () => c.runIn(s.node, ['nft', 'list', 'ruleset']));
  if (r.code !== 0) return fail(`nft list ruleset failed in ${s.node}: ${r.stderr.trim()}`);
  const re = new RegExp(s.match, 'u');
  return presence(s.expect, r.stdout.split('\n').find((l) => re.test(l)), `an nftables line matching /${s.match}/`);
}

/** `conntrack -L` lines → (original destination, reply source) of each connection. */
export function parseConntrack(text: string): { dst: string; replySrc: string }[] {
  const out: { dst: string; replySrc: string }[] = [];
  for (const line of text.split('\n')) {
    const srcs = [...line.matchAll(/\bsrc=([0-9.]+)/g)].map((m) => m[1]);
    const dst = /\bdst=([0-9.]+)/.exec(line)?.[1];
    if (dst && srcs.length >= 2) out.push({ dst, replySrc: srcs[1] });
  }
  return out;
}

export async function checkConntrack(c: CheckContext, s: ConntrackSpec): Promise<CheckOutcome> {
  const r = await c.runIn(s.node, ['conntrack', '-L', '-d', s.dst]);
  if (r.code !== 0) return fail(`conntrack -L failed in ${s.node}: ${r.stderr.trim()}`);
  const natted = parseConntrack(r.stdout).filter((e) => e.dst === s.dst && e.replySrc !== s.dst);
  const seen = new Set(natted.map((e) => e.replySrc));
  const missing = s.natTo.filter((a) => !seen.has(a));
  if (s.expect === 'absent') return natted.length ? fail(`${natted.length} NATed connection(s) to ${s.dst} are still tracked`) : pass();
  return missing.length === 0
    ? pass(`connections to ${s.dst} answered by ${[...seen].sort().join(', ')}`)
    : fail(`no tracked connection to ${s.dst} was sent on to ${missing.join(', ')}${seen.size ? ` (seen: ${[...seen].sort().join(', ')})` : ''}`);
}
