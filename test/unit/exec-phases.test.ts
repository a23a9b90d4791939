// How an apply's missing steps are grouped (server/exec/steps.ts phasedGroups): phases in order, one
// group per node inside a phase, and consecutive single-node phases on the same node joined.
import { describe, expect, it } from 'vitest';
import { phasedGroups } from '../../server/exec/steps.ts';
import { compilePlan } from '../../server/plan/compile.ts';
import type { Step } from '../../server/plan/step.ts';
import { starTopology } from '../../bench/star.ts';

const ids = (groups: Step[][][]) => groups.map((phase) => phase.map((g) => `${g[0].node}: ${g.map((s) => s.id.split(':')[0]).join(',')}`));

describe('phasedGroups', () => {
  it('a star: namespaces and veths in one host group, then each namespace on its own', () => {
    const plan = compilePlan(starTopology(3));
    const groups = phasedGroups(plan);
    // one host batch creates the namespaces and the links born into them (was two: a phase barrier with nothing to order)
    expect(groups[0]).toHaveLength(1);
    expect(groups[0][0][0].node).toBe('host');
    expect(groups[0][0].filter((s) => s.fact.kind === 'netns')).toHaveLength(3);
    expect(groups[0][0].filter((s) => s.fact.kind === 'link').length).toBeGreaterThanOrEqual(4); // the bridge and 3 veths
    // plan order is kept inside the joined group: every namespace before the links
    const kinds = groups[0][0].map((s) => s.fact.kind);
    expect(kinds.lastIndexOf('netns')).toBeLessThan(kinds.indexOf('link'));
    // then the configuration inside each node, nodes side by side
    expect(new Set(groups[1].map((g) => g[0].node))).toEqual(new Set(['host', 'n1', 'n2', 'n3']));
    // nothing lost or repeated
    expect(groups.flat(2)).toHaveLength(plan.length);
    expect(new Set(groups.flat(2))).toEqual(new Set(plan));
  });

  it('keeps a phase barrier where a phase has more than one node', () => {
    const step = (node: string, kind: string, id: string) => ({ id, node, tool: 'ip', argv: ['ip'], undo: null, why: '', fact: { kind } }) as unknown as Step;
    const steps = [step('host', 'netns', 'netns:a'), step('a', 'link', 'link:a'), step('host', 'link', 'link:h'), step('a', 'addr', 'addr:a')];
    expect(ids(phasedGroups(steps))).toEqual([['host: netns'], ['a: link', 'host: link'], ['a: addr']]);
    const hostOnly = [step('host', 'netns', 'netns:a'), step('host', 'link', 'link:h'), step('host', 'sysctl', 'sysctl:h'), step('a', 'addr', 'addr:a')];
    expect(ids(phasedGroups(hostOnly))).toEqual([['host: netns,link,sysctl'], ['a: addr']]);
  });
});
