// Every lab as a lesson, in a real session: each step's checks fail before its commands run and all
// pass after (and every check is seen failing somewhere: a check that cannot fail is a defect); then
// reset returns the session to the lab's start, and destroy leaves nothing behind.
// One lab: npx vitest run --project integration test/integration/lab-walks.test.ts -t 06-cni
import { describe, it } from 'vitest';
import { listLabIds } from '../../server/labs/catalog.ts';
import { engine, expectFreshSandbox, expectGone, runner, walkSteps } from './lab-walk.ts';

describe.each(listLabIds())('lab %s, step by step', (lab) => {
  it('walks, resets and leaves nothing behind', async () => {
    const { id } = await engine.create({ lab, owner: 'test' });
    try {
      const timings = await walkSteps(id, lab);
      console.log(`${lab}: ${timings.map((t) => `step ${t.step} ${t.beforeMs}+${t.runMs}+${t.afterMs} ms`).join(', ')}`);
      const already = timings.flatMap((t) => t.alreadyTrue.map((l) => `step ${t.step}: ${l}`));
      if (already.length) console.log(`${lab}: true before their step (seen failing later): ${already.join('; ')}`);
      await runner.reset(id);
      await expectFreshSandbox(id, lab);
    } finally {
      await engine.destroy(id);
    }
    expectGone(id);
  }, 150_000);
});
