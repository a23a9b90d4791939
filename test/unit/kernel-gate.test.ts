import { describe, expect, it } from 'vitest';
import { createGate } from '../../server/session/gate.ts';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe('kernel job gate', () => {
  it('runs at most `width` jobs at once, in arrival order, and passes results and errors through', async () => {
    const gate = createGate(2);
    let running = 0;
    let most = 0;
    const order: number[] = [];
    const job = (i: number) => gate.run(async () => {
      running++; most = Math.max(most, running);
      await sleep(10);
      running--;
      order.push(i);
      if (i === 3) throw new Error('job 3 failed');
      return i * 10;
    });
    const results = await Promise.allSettled([0, 1, 2, 3, 4, 5].map(job));
    expect(most).toBe(2);
    expect(results.map((r) => (r.status === 'fulfilled' ? r.value : (r.reason as Error).message)))
      .toEqual([0, 10, 20, 'job 3 failed', 40, 50]);
    // pairs finish together; a later arrival never overtakes an earlier one's pair
    expect(order.slice(0, 2).sort()).toEqual([0, 1]);
    expect(order.slice(2, 4).sort()).toEqual([2, 3]);
    expect(gate.load()).toEqual({ running: 0, waiting: 0 });
  });

  it('lets an urgent job (a destroy) go before the jobs waiting, after earlier urgent ones', async () => {
    const gate = createGate(1);
    const order: string[] = [];
    let release!: () => void;
    const first = gate.run(() => new Promise<void>((r) => { release = r; }).then(() => { order.push('running'); }));
    const jobs = [
      gate.run(async () => { order.push('build a'); }),
      gate.run(async () => { order.push('build b'); }),
      gate.run(async () => { order.push('destroy x'); }, { urgent: true }),
      gate.run(async () => { order.push('build c'); }),
      gate.run(async () => { order.push('destroy y'); }, { urgent: true }),
    ];
    expect(gate.load()).toEqual({ running: 1, waiting: 5 });
    release();
    await Promise.all([first, ...jobs]);
    expect(order).toEqual(['running', 'destroy x', 'destroy y', 'build a', 'build b', 'build c']);
    expect(gate.load()).toEqual({ running: 0, waiting: 0 });
  });

  it('refuses a width that would never run anything', () => {
    expect(() => createGate(0)).toThrow(/positive integer/);
    expect(() => createGate(1.5)).toThrow(/positive integer/);
  });
});
