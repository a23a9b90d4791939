// nsplay matrix ID [NODES…]: reachability between every pair of nodes.
import { formatMatrix } from '../../probe/format.ts';
import { matrix, ProbeInputError } from '../../probe/index.ts';
import { registerCommand } from './registry.ts';

registerCommand('matrix', {
  usage: ['matrix ID [NODES…] [--json] [--detail N]   all-pairs reachability (default: every node with an address)'],
  async run({ engine, args, json, out, err }) {
    const rest = [...args];
    let detail: number | undefined;
    const i = rest.indexOf('--detail');
    if (i >= 0) {
      detail = Number(rest[i + 1]);
      if (!Number.isInteger(detail) || detail < 0 || detail > 100) { err('nsplay: --detail takes a number from 0 to 100\n'); return 2; }
      rest.splice(i, 2);
    }
    const [id, ...nodes] = rest;
    if (!id || nodes.some((n) => n.startsWith('-'))) {
      err('nsplay: usage: nsplay matrix ID [NODES…] [--json] [--detail N]\n');
      return 2;
    }
    try {
      const m = await matrix(engine, id, nodes, { detail });
      out(json ? `${JSON.stringify(m)}\n` : formatMatrix(m));
      return 0;
    } catch (e) {
      if (e instanceof ProbeInputError) { err(`nsplay: ${e.message}\n`); return 2; }
      throw e;
    }
  },
});
