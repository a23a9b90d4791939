// A Step is one kernel change as a value: where it runs, its argv, how to undo it, why it is there,
// and the fact it establishes (so a diff against the observed kernel can skip it).
import type { Fact } from './fact.ts';

export type Tool = 'ip' | 'iptables' | 'sysctl' | 'service' | 'runtime';

export interface Step {
  /** Stable identity, unique in a plan: "netns:netns1", "addr:netns1/veth1/10.0.0.101/24". */
  id: string;
  /** The node whose network namespace runs it: 'host' or a namespace/container node name. */
  node: string;
  tool: Tool;
  /** The command as typed inside that node (no `ip netns exec` prefix; the executor adds the entering). */
  argv: string[];
  /** The command that reverses it, run in the same node; null when removing the parent undoes it. */
  undo: string[] | null;
  /** One line a learner can read next to the command. */
  why: string;
  fact: Fact;
  /** Data the step needs besides argv, e.g. the page an HTTP service answers with. */
  input?: string;
}

export interface StepResult {
  step: Step;
  ok: boolean;
  code: number;
  stdout: string;
  stderr: string;
  ms: number;
  skipped?: boolean;
}

export type Plan = Step[];
