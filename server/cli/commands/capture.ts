// nsplay capture ID NODE IFACE: packets on an interface as tcpdump-like lines, optionally into a pcap.
import { CaptureInputError, formatSummary, startCapture } from '../../capture/index.ts';
import { registerCommand } from './registry.ts';

const USAGE = 'capture ID NODE IFACE [--filter F] [--count N] [--seconds S] [--pcap FILE] [--json]';

function takeOption(args: string[], flag: string): string | undefined {
  const i = args.indexOf(flag);
  if (i < 0) return undefined;
  const v = args[i + 1];
  args.splice(i, 2);
  if (v === undefined) throw new CaptureInputError(`${flag} needs a value`);
  return v;
}

registerCommand('capture', {
  usage: [`${USAGE}   live packets on an interface ('any': the whole node); Ctrl-C stops`],
  async run({ engine, args, json, out, err }) {
    const rest = [...args];
    try {
      const filter = takeOption(rest, '--filter') ?? '';
      const countText = takeOption(rest, '--count');
      const secondsText = takeOption(rest, '--seconds');
      const pcap = takeOption(rest, '--pcap');
      const [id, node, iface, ...extra] = rest;
      if (!id || !node || !iface || extra.length > 0) { err(`nsplay: usage: nsplay ${USAGE}\n`); return 2; }
      const count = countText === undefined ? undefined : Number(countText);
      const seconds = secondsText === undefined ? undefined : Number(secondsText);
      if (seconds !== undefined && !(seconds > 0 && seconds <= 86400)) throw new CaptureInputError('--seconds takes a number of seconds');
      const capture = await startCapture(engine, id, node, iface, filter, { count, pcapFile: pcap, ratePerSec: 1000 });
      err(`capturing on ${iface} in ${node}${filter ? ` (${filter})` : ''}${pcap ? `, writing ${pcap}` : ''}; Ctrl-C stops\n`);
      let lastNote = '';
      capture.on('packets', (b) => {
        for (const p of b.packets) out(json ? `${JSON.stringify(p)}\n` : `${formatSummary(p)}\n`);
        if (b.note && b.note !== lastNote) { lastNote = b.note; err(`(${b.note})\n`); }
      });
      const stop = () => void capture.stop();
      process.once('SIGINT', stop);
      process.once('SIGTERM', stop);
      const timer = seconds ? setTimeout(stop, seconds * 1000) : undefined;
      const s = await capture.ended;
      if (timer) clearTimeout(timer);
      process.off('SIGINT', stop);
      process.off('SIGTERM', stop);
      err(`${s.packets} packets captured, ${s.shown} shown, ${s.sampledOut} sampled out, ${s.dropped + s.kernelDropped} dropped`
        + `${pcap ? `; ${pcap}: ${s.pcapPackets} packets, ${s.pcapBytes} bytes${s.pcapCapped ? ' (size cap reached)' : ''}` : ''}\n`);
      return 0;
    } catch (e) {
      if (e instanceof CaptureInputError) { err(`nsplay: ${e.message}\n`); return 2; }
      throw e;
    }
  },
});
