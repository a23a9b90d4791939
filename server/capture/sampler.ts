// Keeping a busy capture readable and bounded: show at most `rate` packets a second (1 in N when the
// link is busier, N following the last second's rate), and hold at most ~1 MiB of summaries for a
// slow reader, counting what had to be dropped. Pure.

export class Sampler {
  total = 0;
  shown = 0;
  /** Packets not shown because of the rate limit. */
  sampledOut = 0;
  private windowStart = -1;
  private inWindow = 0;
  private shownInWindow = 0;
  private every = 1;

  constructor(readonly ratePerSec = 200, readonly windowMs = 1000) {}

  /** Counts a packet seen at `nowMs`; true when it should be shown. */
  offer(nowMs: number): boolean {
    this.total++;
    if (this.windowStart < 0 || nowMs - this.windowStart >= this.windowMs) {
      // The next window samples 1 in N, where N keeps last window's packets under the rate.
      const elapsed = this.windowStart < 0 ? this.windowMs : Math.max(nowMs - this.windowStart, this.windowMs);
      const perWindow = (this.inWindow * this.windowMs) / elapsed;
      this.every = Math.max(1, Math.ceil(perWindow / this.ratePerSec));
      this.windowStart = nowMs;
      this.inWindow = 0;
      this.shownInWindow = 0;
    }
    this.inWindow++;
    const pick = (this.inWindow - 1) % this.every === 0 && this.shownInWindow < this.ratePerSec;
    if (pick) { this.shown++; this.shownInWindow++; } else this.sampledOut++;
    return pick;
  }

  /** 1 in N currently shown. */
  get sampling(): number {
    return this.every;
  }

  /** "12,403 packets, showing 1 in 50" while sampling; undefined while every packet is shown. */
  note(): string | undefined {
    if (this.sampledOut === 0) return undefined;
    const every = Math.max(this.every, Math.round(this.total / Math.max(this.shown, 1)));
    return `${this.total.toLocaleString('en-US')} packets, showing 1 in ${every}`;
  }
}

/** A FIFO holding at most `maxBytes` (by the caller's size estimate); the oldest items go first. */
export class BoundedQueue<T> {
  private items: { item: T; size: number }[] = [];
  private head = 0;
  bytes = 0;
  dropped = 0;

  constructor(readonly maxBytes = 1024 * 1024, private readonly sizeOf: (t: T) => number = (t) => JSON.stringify(t).length) {}

  push(item: T): void {
    const size = this.sizeOf(item);
    this.items.push({ item, size });
    this.bytes += size;
    while (this.bytes > this.maxBytes && this.head < this.items.length) {
      this.bytes -= this.items[this.head++].size;
      this.dropped++;
    }
    if (this.head > 1024 && this.head * 2 > this.items.length) {
      this.items = this.items.slice(this.head);
      this.head = 0;
    }
  }

  get length(): number {
    return this.items.length - this.head;
  }

  /** Takes up to `max` items, oldest first. */
  take(max = Infinity): T[] {
    const n = Math.min(max, this.length);
    const taken = this.items.slice(this.head, this.head + n);
    this.head += n;
    for (const x of taken) this.bytes -= x.size;
    const out = taken.map((x) => x.item);
    if (this.head === this.items.length) { this.items = []; this.head = 0; this.bytes = 0; }
    return out;
  }
}
