import type { ResolvedConfig } from '../config.ts';
import type { AppLogger } from '../logger.ts';

/** What every command receives: its effective configuration and a logger on stderr. */
export interface CommandContext {
  config: ResolvedConfig;
  logger: AppLogger;
  /** The command's own options (not settings), e.g. `--json`. */
  options: Record<string, unknown>;
}

/** Runs a command with its positional arguments and returns its exit code. */
export type Runner = (context: CommandContext, ...args: string[]) => Promise<number>;
