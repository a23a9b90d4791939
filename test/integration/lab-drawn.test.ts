// "The check decides": a learner may reach a step's state by drawing instead of typing. Lab 3's end
// state, drawn and applied by the engine, passes the checks of the steps that build it.
import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadTopology } from '../../server/topology/load.ts';
import { ROOT } from './env.ts';
import { engine, expectGone, runner } from './lab-walk.ts';

describe('checks judge the kernel, however the state got there', () => {
  it('lab 3 drawn: the namespaces, bridge, routes and MASQUERADE steps pass', async () => {
    const drawing = loadTopology(fs.readFileSync(path.join(ROOT, 'labs/03-bridge/final.yaml'), 'utf8'));
    if (!drawing.ok) throw new Error(JSON.stringify(drawing.errors));
    const { id } = await engine.create({ lab: '03-bridge', owner: 'test' });
    try {
      expect((await runner.check(id, { step: 0 })).ok).toBe(false);
      const applied = await engine.apply(id, drawing.value);
      expect(applied.ok, JSON.stringify(applied.error)).toBe(true);
      const all = await runner.check(id, { all: true });
      const passed = all.steps.map((s) => s.passed);
      // Step 4 also says the internet does not answer yet — true only before MASQUERADE; step 6 is the clean-up.
      expect(passed, JSON.stringify(all.steps.map((s) => s.checks.filter((c) => !c.ok).map((c) => `${c.label}: ${c.detail}`)))).toEqual([true, true, true, false, true, false]);
      expect(all.steps[3].checks.filter((c) => !c.ok).map((c) => c.label)).toEqual(['netns1 cannot reach 1.1.1.1 (sent, but no reply)']);
      expect((await runner.progress(id)).current).toBe(3);
    } finally {
      await engine.destroy(id);
    }
    expectGone(id);
  }, 120_000);
});
