// nsplay probe ID FROM TO: can FROM reach TO, and if not, where and why the packet died.
import { formatProbe } from '../../probe/format.ts';
import { probe, ProbeInputError } from '../../probe/index.ts';
import { registerCommand } from './registry.ts';

registerCommand('probe', {
  usage: ['probe ID FROM TO [--json] [--no-trace]   reachability (TO: node, address, ADDR:PORT); exit 1 when unreachable'],
  async run({ engine, args, json, out, err }) {
    const rest = args.filter((a) => a !== '--no-trace');
    const [id, from, to, ...extra] = rest;
    if (!id || !from || !to || extra.length > 0) {
      err('nsplay: usage: nsplay probe ID FROM TO [--json] [--no-trace]\n');
      return 2;
    }
    try {
      const r = await probe(engine, id, from, to, { trace: !args.includes('--no-trace') });
      out(json ? `${JSON.stringify(r)}\n` : formatProbe(r));
      return r.ok ? 0 : 1;
    } catch (e) {
      if (e instanceof ProbeInputError) { err(`nsplay: ${e.message}\n`); return 2; }
      throw e;
    }
  },
});
