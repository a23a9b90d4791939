#!/usr/bin/env node
// Launcher: load TypeScript through tsx in this same process, then run the CLI.
import { register } from 'tsx/esm/api';

register();
const { runCli } = await import('../server/cli/main.ts');
await runCli(process.argv.slice(2));
