// Netfilter TRACE for the length of one probe: in each namespace on the path, a tagged TRACE rule in
// raw PREROUTING and raw OUTPUT (`-m comment --comment nsplay-probe:<id>`) and an `xtables-monitor
// --trace` reading what it marks. Removed again in every case — stop() is called from a finally.
import type { Engine } from '../session/types.ts';
import { runIn, startHelper, stopAll, type Helper } from './helpers.ts';
import { parseXtablesTrace, type TracedPacket } from './trace-parse.ts';

export interface TraceHandle {
  tag: string;
  nodes: string[];
  /** Nodes where the monitor confirmed it saw our rules go in (it was listening in time). */
  ready: Set<string>;
  /** Stops the monitors, removes every rule this trace inserted; returns the traced packets per node. */
  stop(): Promise<Record<string, TracedPacket[]>>;
}

/** A probe's tag: the PID of the process that owns it, so rules of a crashed process can be found. */
export function traceTag(probeId: string, pid = process.pid): string {
  return `nsplay-probe:${pid}.${probeId}`;
}

export interface StaleRule { node: string; chain: string; spec: string }

/**
 * TRACE rules tagged by a process that is gone (a server killed mid-probe): found in observed raw
 * tables, so the next probe can remove them. Pure; `alive` answers for a PID.
 */
export function staleTraceRules(raw: Record<string, { chain: string; spec: string }[]>, alive: (pid: number) => boolean): StaleRule[] {
  const out: StaleRule[] = [];
  for (const [node, rules] of Object.entries(raw)) {
    for (const r of rules) {
      const m = /--comment "?nsplay-probe:(\d+)\.[0-9a-f]+"? -j TRACE$/.exec(r.spec);
      if (m && !alive(Number(m[1]))) out.push({ node, chain: r.chain, spec: r.spec });
    }
  }
  return out;
}

/** Deletes stale rules, each by its exact spec (tokens as iptables-save printed them). */
export async function removeStaleTraceRules(engine: Engine, id: string, stale: StaleRule[]): Promise<void> {
  await Promise.all(stale.map((r) => runIn(engine, id, r.node, ['iptables', '-t', 'raw', '-D', r.chain, ...r.spec.split(' ')]).catch(() => null)));
}

export function traceRules(tag: string, proto: 'icmp' | 'tcp', action: '-I' | '-D'): string {
  const pos = action === '-I' ? ' 1' : '';
  const spec = `-p ${proto} -m comment --comment ${tag} -j TRACE`;
  return `*raw\n${action} PREROUTING${pos} ${spec}\n${action} OUTPUT${pos} ${spec}\nCOMMIT\n`;
}

/** Removes the rules; falls back to one delete at a time when the batch fails (someone flushed raw). */
async function removeRules(engine: Engine, id: string, node: string, tag: string, proto: 'icmp' | 'tcp', hadRaw: boolean): Promise<void> {
  const batch = await runIn(engine, id, node, ['iptables-restore', '--noflush'], { input: traceRules(tag, proto, '-D'), timeoutMs: 5000 }).catch(() => null);
  if (!batch || batch.code !== 0) {
    for (const chain of ['PREROUTING', 'OUTPUT']) {
      for (let i = 0; i < 3; i++) {
        const r = await runIn(engine, id, node, ['iptables', '-t', 'raw', '-D', chain, '-p', proto, '-m', 'comment', '--comment', tag, '-j', 'TRACE']).catch(() => null);
        if (!r || r.code !== 0) break;
      }
    }
  }
  if (hadRaw) return;
  // We created the raw table: leave none behind if nobody else put a rule in it meanwhile.
  const left = await runIn(engine, id, node, ['iptables-save', '-t', 'raw']).catch(() => null);
  if (left && left.code === 0 && !/^-A /m.test(left.stdout)) {
    await runIn(engine, id, node, ['nft', 'delete', 'table', 'ip', 'raw']).catch(() => null);
  }
}

/**
 * Starts monitors, then inserts the rules (the monitor prints the insert as an event, which proves it
 * listens before the first probe packet). `hadRaw[node]`: the raw table existed before.
 */
export async function startTrace(engine: Engine, id: string, nodes: string[], probeId: string, proto: 'icmp' | 'tcp', hadRaw: Record<string, boolean>): Promise<TraceHandle> {
  const tag = traceTag(probeId);
  const monitors: Helper[] = [];
  const inserted = new Set<string>();
  const ready = new Set<string>();
  const handle: TraceHandle = {
    tag, nodes, ready,
    async stop() {
      // Rules first (nothing new gets marked), then the monitors after their last lines arrived.
      await Promise.all([...inserted].map((n) => removeRules(engine, id, n, tag, proto, hadRaw[n] ?? true)));
      await new Promise((r) => setTimeout(r, 20));
      await stopAll(monitors, 200);
      const out: Record<string, TracedPacket[]> = {};
      for (const m of monitors) out[m.node] = parseXtablesTrace(m.lines.join('\n'));
      return out;
    },
  };
  // allSettled: every node's setup has finished (rules in or not) before a failure cleans up.
  const setups = await Promise.allSettled(nodes.map(async (node) => {
      // stdbuf: xtables-monitor writes events through stdio, block-buffered into a pipe.
      const m = await startHelper(engine, id, node, ['stdbuf', '-oL', 'xtables-monitor', '--trace', '--event', '-4'], { maxLines: 4000 });
      monitors.push(m);
      inserted.add(node);
      const seen = m.waitFor((l) => l.includes('EVENT') && l.includes(tag), 600);
      const r = await runIn(engine, id, node, ['iptables-restore', '--noflush'], { input: traceRules(tag, proto, '-I') });
      if (r.code !== 0) throw new Error(`TRACE rule in ${node}: ${r.stderr.trim()}`);
      if (await seen) ready.add(node);
  }));
  const failed = setups.find((s): s is PromiseRejectedResult => s.status === 'rejected');
  if (failed) {
    await handle.stop().catch(() => undefined);
    throw failed.reason;
  }
  return handle;
}
