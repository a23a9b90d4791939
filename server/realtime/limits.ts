// Per-session limits of the socket API, and how long a session outlives its last page. One place for
// the numbers: read from the environment at start (validated), defaults below. Every refusal names
// the limit and the variable that changes it.
import type { CaptureRegistry } from '../capture/index.ts';
import type { Topology } from '../topology/schema.ts';

export interface Limits {
  /** Nodes in one previewed/applied topology (NSPLAY_MAX_NODES; the schema's 2000 is the hard cap). */
  maxNodes: number;
  /** Links (veth pairs) in one previewed/applied topology (NSPLAY_MAX_LINKS; hard cap 4000). */
  maxLinks: number;
  /** Terminals open at once in one session, over all its pages (NSPLAY_MAX_TERMINALS). */
  maxTerminals: number;
  /** Captures running at once in one session (NSPLAY_MAX_CAPTURES). */
  maxCaptures: number;
  /** Probe cost per session in any 60 s: a probe costs 1, a matrix its node count (NSPLAY_PROBES_PER_MINUTE). */
  probesPerMinute: number;
  /** A session with no page connected is destroyed after this long (NSPLAY_IDLE_MINUTES). */
  idleMs: number;
}

interface Knob { key: keyof Limits; env: string; def: number; min: number; max: number; unit?: 'minutes' }

const KNOBS: Knob[] = [
  { key: 'maxNodes', env: 'NSPLAY_MAX_NODES', def: 60, min: 1, max: 2000 },
  { key: 'maxLinks', env: 'NSPLAY_MAX_LINKS', def: 120, min: 0, max: 4000 },
  { key: 'maxTerminals', env: 'NSPLAY_MAX_TERMINALS', def: 8, min: 0, max: 256 },
  { key: 'maxCaptures', env: 'NSPLAY_MAX_CAPTURES', def: 4, min: 0, max: 64 },
  { key: 'probesPerMinute', env: 'NSPLAY_PROBES_PER_MINUTE', def: 60, min: 0, max: 100_000 },
  // A week at most: setTimeout cannot wait much beyond 24 days anyway.
  { key: 'idleMs', env: 'NSPLAY_IDLE_MINUTES', def: 30, min: 0.05, max: 7 * 24 * 60, unit: 'minutes' },
];

const envOf = (key: keyof Limits) => KNOBS.find((k) => k.key === key)!.env;

export const DEFAULT_LIMITS: Limits = Object.fromEntries(
  KNOBS.map((k) => [k.key, k.unit === 'minutes' ? k.def * 60_000 : k.def]),
) as unknown as Limits;

/** The limits from NSPLAY_* variables (unset or empty: the default); throws on a value out of range. */
export function readLimits(env: Record<string, string | undefined>): Limits {
  const out = { ...DEFAULT_LIMITS };
  for (const k of KNOBS) {
    const raw = env[k.env]?.trim();
    if (!raw) continue;
    const n = Number(raw);
    const integer = k.unit !== 'minutes';
    if (!/^[0-9]+(\.[0-9]+)?$/.test(raw) || !Number.isFinite(n) || (integer && !Number.isInteger(n)) || n < k.min || n > k.max) {
      throw new Error(`${k.env}='${raw.slice(0, 32)}' must be ${integer ? 'a whole number' : 'a number'} from ${k.min} to ${k.max}${k.unit ? ` (${k.unit})` : ''} (default ${k.def})`);
    }
    out[k.key] = k.unit === 'minutes' ? Math.round(n * 60_000) : n;
  }
  return out;
}

/** One line for the start-up log. */
export function describeLimits(l: Limits): string {
  const idle = l.idleMs % 60_000 === 0 ? `${l.idleMs / 60_000} min` : `${(l.idleMs / 1000).toFixed(0)} s`;
  return `limits per session: ${l.maxNodes} nodes, ${l.maxLinks} links, ${l.maxTerminals} terminals, ${l.maxCaptures} captures, ` +
    `${l.probesPerMinute} probes/min; idle sessions reclaimed after ${idle}`;
}

/** "… (limit NSPLAY_X=n; to change it, start the server with NSPLAY_X=N)". */
export function limitError(key: keyof Limits, value: number, what: string): Error {
  const env = envOf(key);
  const e = new Error(`${what} (limit ${env}=${value}; to change it, start the server with ${env}=N)`);
  e.name = 'LimitExceeded';
  return e;
}

/** Refuses a topology with more nodes or links than this server allows per session. */
export function checkTopologySize(t: Pick<Topology, 'nodes' | 'links'>, l: Limits): void {
  if (t.nodes.length > l.maxNodes) {
    throw limitError('maxNodes', l.maxNodes, `this topology has ${t.nodes.length} nodes; a session may have at most ${l.maxNodes}`);
  }
  if (t.links.length > l.maxLinks) {
    throw limitError('maxLinks', l.maxLinks, `this topology has ${t.links.length} links; a session may have at most ${l.maxLinks}`);
  }
}

/**
 * Probe budget per session over a sliding 60 s window. `take(key, cost)` charges or throws;
 * `charge(key, cost)` charges after the fact (a matrix over "every node" learns its size when done).
 */
export interface RateWindow {
  take(key: string, cost: number): void;
  charge(key: string, cost: number): void;
  used(key: string): number;
  forget(key: string): void;
}

export function createRateWindow(perMinute: number, now: () => number = Date.now, windowMs = 60_000): RateWindow {
  const spent = new Map<string, { at: number; cost: number }[]>();
  const live = (key: string) => {
    const t = now();
    const list = (spent.get(key) ?? []).filter((e) => t - e.at < windowMs);
    if (list.length) spent.set(key, list); else spent.delete(key);
    return list;
  };
  const used = (key: string) => live(key).reduce((n, e) => n + e.cost, 0);
  const charge = (key: string, cost: number) => {
    if (cost > 0) spent.set(key, [...live(key), { at: now(), cost }]);
  };
  return {
    take(key, cost) {
      const u = used(key);
      if (u + cost > perMinute) {
        const list = live(key);
        const wait = list.length ? Math.max(1, Math.ceil((windowMs - (now() - list[0].at)) / 1000)) : 60;
        throw limitError('probesPerMinute', perMinute, cost > perMinute
          ? `this asks for ${cost} probes at once; a session may run at most ${perMinute} per minute (a matrix costs one per node)`
          : `a session may run at most ${perMinute} probes per minute (a matrix costs one per node); ${u} used, try again in ${wait} s`);
      }
      charge(key, cost);
    },
    charge,
    used,
    forget(key) { spent.delete(key); },
  };
}

/**
 * The capture registry with the session limit checked first, counting starts still in flight (so two
 * concurrent starts cannot both take the last slot).
 */
export function limitCaptures(registry: CaptureRegistry, max: number): CaptureRegistry {
  const starting = new Map<string, number>();
  return {
    async start(owner, sessionId, node, iface, filter, o) {
      // A capture being stopped (it hands over its last block for up to ~1 s) no longer counts.
      const running = registry.list(sessionId).filter((c) => c.stats().running && !c.stopRequested()).length;
      const pending = starting.get(sessionId) ?? 0;
      if (running + pending >= max) {
        throw limitError('maxCaptures', max, `${running + pending} captures are running in this session, the most it may have; stop one first`);
      }
      starting.set(sessionId, pending + 1);
      try {
        return await registry.start(owner, sessionId, node, iface, filter, o);
      } finally {
        const left = (starting.get(sessionId) ?? 1) - 1;
        if (left > 0) starting.set(sessionId, left); else starting.delete(sessionId);
      }
    },
    get: (id) => registry.get(id),
    stop: (id) => registry.stop(id),
    stopOwner: (owner) => registry.stopOwner(owner),
    removeSession: (sessionId) => registry.removeSession(sessionId),
    pcapPath: (id) => registry.pcapPath(id),
    list: (sessionId) => registry.list(sessionId),
  };
}
