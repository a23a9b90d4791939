// Evaluating a step's checks, each one against the kernel: those that send packets together, then those
// that read state together (reads change nothing; probes change only what conntrack remembers).
import { NodeMissing, type CheckContext } from './context.ts';
import { describeCheck } from './describe.ts';
import { checkFile, checkJson } from './files.ts';
import { checkAddress, checkContainer, checkLink, checkNeighbor, checkNetns, checkRoute, checkRule } from './kernel.ts';
import { checkConntrack, checkIptables, checkNft } from './netfilter.ts';
import { fail, type CheckOutcome } from './result.ts';
import { kindOf, type Check } from './schema.ts';
import { checkHttp, checkReach } from './traffic.ts';

export interface CheckResult extends CheckOutcome {
  /** Index of the check in its step. */
  index: number;
  kind: string;
  label: string;
  ms: number;
}

type Evaluator = (c: CheckContext, spec: any) => Promise<CheckOutcome>;

const EVALUATORS: Record<string, Evaluator> = {
  reach: checkReach, http: checkHttp, link: checkLink, address: checkAddress, route: checkRoute, neighbor: checkNeighbor,
  rule: checkRule, netns: checkNetns, container: checkContainer, iptables: checkIptables, nft: checkNft,
  conntrack: checkConntrack, file: checkFile, json: checkJson,
};

export async function evaluateCheck(c: CheckContext, check: Check, index: number): Promise<CheckResult> {
  const { kind, spec } = kindOf(check);
  const started = performance.now();
  let outcome: CheckOutcome;
  try {
    outcome = await EVALUATORS[kind](c, spec);
  } catch (e) {
    outcome = fail(e instanceof NodeMissing ? e.message : `could not evaluate: ${(e as Error).message}`);
  }
  return { ...outcome, index, kind, label: describeCheck(check), ms: Math.round(performance.now() - started) };
}

const SENDS_PACKETS = new Set(['reach', 'http']);

/** Checks that send packets first, then the ones that read state (conntrack sees their connections). */
export async function evaluateChecks(c: CheckContext, checks: Check[]): Promise<CheckResult[]> {
  const indexed = checks.map((check, i) => ({ check, i, sends: SENDS_PACKETS.has(kindOf(check).kind) }));
  const first = await Promise.all(indexed.filter((x) => x.sends).map((x) => evaluateCheck(c, x.check, x.i)));
  const then = await Promise.all(indexed.filter((x) => !x.sends).map((x) => evaluateCheck(c, x.check, x.i)));
  return [...first, ...then].sort((a, b) => a.index - b.index);
}
