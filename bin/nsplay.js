#!/usr/bin/env node
// Launcher: run the prebuilt CLI bundle (.nsplay-build/cli-ID.mjs, made by scripts/build-cli.mjs at setup)
// when it was built from exactly the sources under server/ now on disk; otherwise (no bundle, a file
// under server/ edited since, or NSPLAY_CLI_TSX=1) load the TypeScript through tsx in this process.
import { freshBundle } from '../scripts/build-cli.mjs';

const bundle = process.env.NSPLAY_CLI_TSX === '1' ? null : freshBundle();
let runCli;
if (bundle) {
  ({ runCli } = await import(bundle));
} else {
  const { register } = await import('tsx/esm/api');
  register();
  ({ runCli } = await import('../server/cli/main.ts'));
}
await runCli(process.argv.slice(2));
