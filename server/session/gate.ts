// At most `width` kernel-changing jobs (session create, apply, destroy, reset) at once in this process.
//
// The kernel serializes namespace and link changes (rtnl_lock, the netns cleanup work), so 30 sessions
// building at once do not finish sooner than taking turns — they all finish late, and on a 2-core
// machine a holder waiting 10 s for `unshare --net` gives up ("the session sandbox did not start").
// Taking turns in arrival order keeps each job near its alone time; whoever clicked first is done first.
// Except a destroy (`urgent`): it goes before the jobs still waiting (after earlier urgent ones) — it
// frees what the others build on, and a learner leaving the room should not wait for 30 builds.
export interface Gate {
  run<T>(fn: () => Promise<T>, o?: { urgent?: boolean }): Promise<T>;
  /** Jobs running and waiting now. */
  load(): { running: number; waiting: number };
}

export function createGate(width: number): Gate {
  if (!Number.isInteger(width) || width < 1) throw new Error(`gate width must be a positive integer, not ${width}`);
  let running = 0;
  const waiting: Array<() => void> = [];
  let urgentWaiting = 0; // the first urgentWaiting entries of `waiting` are urgent
  return {
    async run(fn, o = {}) {
      if (running < width) running++;
      else if (o.urgent) {
        await new Promise<void>((go) => waiting.splice(urgentWaiting++, 0, () => { urgentWaiting--; go(); }));
      } else await new Promise<void>((go) => waiting.push(go));
      try {
        return await fn();
      } finally {
        const next = waiting.shift();
        if (next) next(); else running--;
      }
    },
    load: () => ({ running, waiting: waiting.length }),
  };
}
