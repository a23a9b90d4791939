// The per-session limits module: env parsing (defaults, validation, messages) and the probe window.
import { describe, expect, it } from 'vitest';
import { checkTopologySize, createRateWindow, DEFAULT_LIMITS, describeLimits, readLimits } from '../../server/realtime/limits.ts';

describe('readLimits', () => {
  it('defaults when nothing is set (30 min idle grace)', () => {
    expect(readLimits({})).toEqual({
      maxNodes: 60, maxLinks: 120, maxTerminals: 8, maxCaptures: 4, probesPerMinute: 60, idleMs: 30 * 60_000,
    });
    expect(readLimits({ NSPLAY_MAX_NODES: '' })).toEqual(DEFAULT_LIMITS);
    expect(describeLimits(DEFAULT_LIMITS)).toContain('idle sessions reclaimed after 30 min');
  });

  it('reads every variable', () => {
    expect(readLimits({
      NSPLAY_MAX_NODES: '10', NSPLAY_MAX_LINKS: '20', NSPLAY_MAX_TERMINALS: '2', NSPLAY_MAX_CAPTURES: '1',
      NSPLAY_PROBES_PER_MINUTE: '5', NSPLAY_IDLE_MINUTES: '0.5',
    })).toEqual({ maxNodes: 10, maxLinks: 20, maxTerminals: 2, maxCaptures: 1, probesPerMinute: 5, idleMs: 30_000 });
  });

  it.each([
    ['NSPLAY_MAX_NODES', '0'], ['NSPLAY_MAX_NODES', '2001'], ['NSPLAY_MAX_LINKS', '4001'], ['NSPLAY_MAX_NODES', '1.5'],
    ['NSPLAY_MAX_TERMINALS', '-1'], ['NSPLAY_MAX_CAPTURES', 'four'], ['NSPLAY_PROBES_PER_MINUTE', '1e3'],
    ['NSPLAY_IDLE_MINUTES', '0'], ['NSPLAY_IDLE_MINUTES', '99999999'], ['NSPLAY_IDLE_MINUTES', 'NaN'], ['NSPLAY_IDLE_MINUTES', '30; rm -rf /'],
  ])('%s=%s is refused with the variable and its range', (name, value) => {
    expect(() => readLimits({ [name]: value })).toThrow(new RegExp(`^${name}='.*' must be .* from .* to .*\\(default`));
  });
});

describe('checkTopologySize', () => {
  const topo = (nodes: number, links: number) => ({
    nodes: Array.from({ length: nodes }, (_, i) => ({ name: `n${i}` })),
    links: Array.from({ length: links }, () => ({})),
  }) as never;
  it('passes at the limit, refuses one past it naming the variable', () => {
    expect(() => checkTopologySize(topo(60, 120), DEFAULT_LIMITS)).not.toThrow();
    expect(() => checkTopologySize(topo(61, 0), DEFAULT_LIMITS))
      .toThrow('this topology has 61 nodes; a session may have at most 60 (limit NSPLAY_MAX_NODES=60; to change it, start the server with NSPLAY_MAX_NODES=N)');
    expect(() => checkTopologySize(topo(1, 121), DEFAULT_LIMITS)).toThrow(/121 links.*NSPLAY_MAX_LINKS=120/);
  });
});

describe('createRateWindow', () => {
  it('charges per key over a sliding minute', () => {
    let t = 1_000_000;
    const w = createRateWindow(3, () => t);
    w.take('a', 1);
    w.take('a', 2);
    expect(() => w.take('a', 1)).toThrow(/at most 3 probes per minute.*3 used, try again in 60 s.*NSPLAY_PROBES_PER_MINUTE=3/);
    w.take('b', 3); // another session has its own budget
    t += 30_000;
    expect(() => w.take('a', 1)).toThrow(/try again in 30 s/);
    t += 30_000;
    w.take('a', 3);
    expect(w.used('a')).toBe(3);
    w.forget('a');
    expect(w.used('a')).toBe(0);
  });

  it('a request bigger than the whole budget says so; charge() counts after the fact', () => {
    const t = 0;
    const w = createRateWindow(4, () => t);
    expect(() => w.take('a', 5)).toThrow(/asks for 5 probes at once; a session may run at most 4 per minute/);
    w.take('a', 1);
    w.charge('a', 9);
    expect(w.used('a')).toBe(10);
    expect(() => w.take('a', 1)).toThrow(/10 used/);
  });
});
