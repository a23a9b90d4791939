// An in-memory Engine for the realtime tests: sessions are records, apply "runs" each compiled step
// instantly, terminals are plain local shells. Only for testing socket logic, never the product.
import { compilePlan } from '../../server/plan/compile.ts';
import { renderScript } from '../../server/plan/script.ts';
import type { ObservedState } from '../../server/observe/types.ts';
import {
  SessionNotFound, type Engine, type SessionInfo, type SessionStatus,
} from '../../server/session/types.ts';
import type { Topology } from '../../server/topology/schema.ts';

export interface FakeEngine extends Engine {
  sessions: Map<string, { info: SessionInfo; desired: Topology; observed: ObservedState }>;
  destroyed: string[];
  /** Make the kernel "change": the next status() reports a namespace made by hand. */
  addObservedNamespace(id: string, name: string): void;
}

const empty = (): ObservedState => ({ at: Date.now(), namespaces: {}, containers: [] });

export function createFakeEngine(opts: { shell?: string[] } = {}): FakeEngine {
  const sessions: FakeEngine['sessions'] = new Map();
  const destroyed: string[] = [];
  let n = 0;
  const get = (id: string) => {
    const s = sessions.get(id);
    if (!s) throw new SessionNotFound(id);
    return s;
  };
  return {
    sessions,
    destroyed,
    addObservedNamespace(id, name) {
      get(id).observed.namespaces[name] = {
        node: name, links: [], routes: [], rules: [], neighbors: [], sysctls: {},
        iptables: { chains: {}, rules: {} }, listening: [], netnsIds: {},
      };
    },
    async create({ lab, owner }) {
      const info: SessionInfo = { id: `f${++n}`, lab, owner, createdAt: Date.now(), phase: 'ready', nodes: ['host'] };
      sessions.set(info.id, { info, desired: { version: 1, nodes: [], links: [] }, observed: empty() });
      return info;
    },
    async list() { return [...sessions.values()].map((s) => s.info); },
    async info(id) { return get(id).info; },
    async destroy(id) { if (sessions.delete(id)) destroyed.push(id); },
    async apply(id, topology, onStep) {
      const s = get(id);
      const steps = compilePlan(topology);
      steps.forEach((step, index) => {
        onStep?.({ index, total: steps.length, step, status: 'running' });
        onStep?.({ index, total: steps.length, step, status: 'ok', ms: 0 });
      });
      s.desired = topology;
      return { ok: true, results: steps.map((step) => ({ step, ok: true, code: 0, stdout: '', stderr: '', ms: 0 })), skipped: 0 };
    },
    async preview(id, topology) {
      get(id);
      const steps = compilePlan(topology);
      return { steps, script: renderScript(steps) };
    },
    async status(id): Promise<SessionStatus> {
      const s = get(id);
      return { info: s.info, desired: s.desired, observed: { ...s.observed, at: Date.now() }, drift: [] };
    },
    async enterArgv(id) {
      get(id);
      return opts.shell ?? ['/bin/bash', '--norc', '--noprofile', '-i'];
    },
    async labs() {
      return [{ id: '01-netns', title: 'Network namespaces', summary: 'a namespace and a veth', steps: 3 }];
    },
    async reclaim() { return []; },
  };
}
