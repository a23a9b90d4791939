// Where the server listens: --port/--host, else PORT/HOST, else 127.0.0.1:3000.

export interface Options { port: number; host: string }

export function parseOptions(argv: string[], env: NodeJS.ProcessEnv): Options {
  const opts: Options = { port: Number(env.PORT ?? 3000), host: env.HOST ?? '127.0.0.1' };
  for (let i = 0; i < argv.length; i++) {
    const [flag, inline] = argv[i].split('=', 2);
    const value = () => inline ?? argv[++i];
    if (flag === '--port' || flag === '-p') opts.port = Number(value());
    else if (flag === '--host' || flag === '-H') opts.host = value();
    else if (flag === '--help' || flag === '-h') {
      console.log('usage: node --import tsx server/index.ts [--port N] [--host ADDR]');
      process.exit(0);
    } else throw new Error(`unknown option '${argv[i]}' (try --help)`);
  }
  if (!Number.isInteger(opts.port) || opts.port < 0 || opts.port > 65535) throw new Error(`port '${opts.port}' must be 0 to 65535`);
  return opts;
}
