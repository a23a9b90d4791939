// CLI commands added by feature modules (probe, capture, lab …): each registers a top-level word.
import type { Engine } from '../../session/types.ts';

export interface CommandContext {
  engine: Engine;
  /** Arguments after the command word, with --json already taken out. */
  args: string[];
  json: boolean;
  out: (text: string) => void;
  err: (text: string) => void;
}

export interface CliCommand {
  /** e.g. "probe ID FROM TO [--json]" — shown in usage. */
  usage: string[];
  run(ctx: CommandContext): Promise<number>;
}

export const COMMANDS = new Map<string, CliCommand>();

export function registerCommand(word: string, command: CliCommand): void {
  COMMANDS.set(word, command);
}
