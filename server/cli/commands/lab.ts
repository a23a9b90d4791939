// nsplay lab …: the labs as lessons.
import { registerCommand } from './registry.ts';

registerCommand('lab', {
  usage: ['lab list [--json]                 the labs'],
  async run({ engine, args, json, out, err }) {
    const [sub] = args;
    if (sub === 'list') {
      const labs = await engine.labs();
      out(json ? `${JSON.stringify(labs)}\n` : labs.map((l) => `${l.id.padEnd(28)} ${l.title}\n`).join(''));
      return 0;
    }
    err(`nsplay: unknown lab command '${sub ?? ''}' (try: nsplay lab list)\n`);
    return 2;
  },
});
