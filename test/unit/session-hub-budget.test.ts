// The session hub's status polling budget: a room of connected sessions must not take the machine
// (server/realtime/sessions.ts). A fake engine whose status read takes READ_MS counts reads and how
// many run at once.
import { afterEach, describe, expect, it } from 'vitest';
import { createSessionHub, type SessionHub } from '../../server/realtime/sessions.ts';
import type { Engine, SessionStatus } from '../../server/session/types.ts';

const READ_MS = 20;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

function countingEngine() {
  const c = { reads: new Map<string, number>(), running: 0, maxRunning: 0, total: 0 };
  let n = 0;
  const engine = {
    async create() { n += 1; return { id: `s${n}`, createdAt: Date.now() }; },
    async status(id: string): Promise<SessionStatus> {
      c.running++; c.total++;
      c.maxRunning = Math.max(c.maxRunning, c.running);
      c.reads.set(id, (c.reads.get(id) ?? 0) + 1);
      await sleep(READ_MS);
      c.running--;
      return { id, observed: { at: Date.now() } } as unknown as SessionStatus;
    },
    async destroy() {},
  } as unknown as Engine;
  return { engine, c };
}

let hub: SessionHub | undefined;
afterEach(async () => { await hub?.closeAll(); hub = undefined; });

const options = (o: object = {}) => ({
  graceMs: 60_000, pollMs: 50, owner: 'test', push() {}, closed() {}, log() {}, cores: 2, maxReads: 1, pollShare: 0.25, ...o,
});

describe('status polling budget', () => {
  it('reads one connected session every pollMs', async () => {
    const { engine, c } = countingEngine();
    hub = createSessionHub(engine, options({ pollMs: 200 }));
    await hub.open('sock1', {});
    c.total = 0;
    await sleep(1000);
    // ~1000 / 200 reads; a loaded machine may lose a timer tick
    expect(c.total).toBeGreaterThanOrEqual(3);
    expect(c.total).toBeLessThanOrEqual(6);
  });

  it('spreads reads of many sessions to a share of the cores, never more than maxReads at once', async () => {
    const { engine, c } = countingEngine();
    hub = createSessionHub(engine, options());
    for (let i = 0; i < 10; i++) await hub.open(`sock${i}`, {});
    c.total = 0;
    await sleep(2000);
    // unbudgeted: 10 sessions × 2000/50 ms = 400 reads (100 with one slot); budget: each session
    // every 10 × 20 ms / (0.25 × 2) = 400 ms → ~50 reads
    expect(c.maxRunning).toBe(1);
    expect(c.total).toBeLessThanOrEqual(70);
    // ...and every session is still read
    for (let i = 1; i <= 10; i++) expect(c.reads.get(`s${i}`) ?? 0).toBeGreaterThan(1);
  });

  it('a typed command (nudge) gets its session read within ~300 ms even when polling is slow', async () => {
    const { engine, c } = countingEngine();
    hub = createSessionHub(engine, options({ pollMs: 60_000 }));
    await hub.open('sock1', {});
    const b = hub.of('sock1')!;
    await sleep(50);
    const before = c.total;
    hub.nudge(b);
    await sleep(600);
    expect(c.total).toBe(before + 1);
  });

  it('a page\'s own refresh goes ahead of the background line', async () => {
    const { engine, c } = countingEngine();
    hub = createSessionHub(engine, options({ pollMs: 10 }));
    for (let i = 0; i < 10; i++) await hub.open(`sock${i}`, {});
    await sleep(100);
    const b = hub.of('sock9')!;
    const before = c.reads.get(b.id) ?? 0;
    const t0 = Date.now();
    void hub.refresh(b, true);
    while ((c.reads.get(b.id) ?? 0) === before && Date.now() - t0 < 2000) await sleep(2);
    // behind at most the read running now (and its own, if one of its reads was running): not behind
    // the nine other sessions' reads (9 × READ_MS)
    expect(Date.now() - t0).toBeLessThan(READ_MS * 7);
  });
});
