// Short tcpdump taps for one probe: which packets crossed an interface (the request leaving the source,
// arriving at the target, the reply going back, ARP asked and never answered). Stopped by PID.
import type { Engine } from '../session/types.ts';
import { parseTcpdumpLine, type PacketSummary } from '../capture/parse-tcpdump.ts';
import { startHelper, stopAll, type Helper } from './helpers.ts';
import type { IfRef } from './netview.ts';

export interface TapHandle {
  stop(): Promise<TapResult[]>;
}

export interface TapResult extends IfRef { packets: PacketSummary[] }

/** A BPF filter for the probe's traffic: built here from validated values only, always after `--`. */
export function tapFilter(proto: 'icmp' | 'tcp'): string {
  return proto === 'icmp' ? 'icmp or arp' : 'tcp or arp or icmp';
}

export async function startTaps(engine: Engine, id: string, ifaces: IfRef[], proto: 'icmp' | 'tcp'): Promise<TapHandle> {
  const taps: { ref: IfRef; helper: Helper }[] = [];
  const settled = await Promise.allSettled(ifaces.map(async (ref) => {
    const helper = await startHelper(engine, id, ref.node,
      ['tcpdump', '-l', '--immediate-mode', '-nn', '-tt', '-c', '200', '-i', ref.ifname, '--', tapFilter(proto)], { maxLines: 200 });
    taps.push({ ref, helper });
    await helper.waitFor((l) => l.includes('listening on'), 800, 'stderr');
  }));
  const handle: TapHandle = {
    async stop() {
      await new Promise((r) => setTimeout(r, 10));
      await stopAll(taps.map((t) => t.helper), 200);
      return taps.map((t) => ({
        ...t.ref,
        packets: t.helper.lines.map((l) => parseTcpdumpLine(l, t.ref.ifname)).filter((p): p is PacketSummary => p !== null),
      }));
    },
  };
  const failed = settled.find((s): s is PromiseRejectedResult => s.status === 'rejected');
  if (failed) {
    await handle.stop();
    throw failed.reason;
  }
  return handle;
}
