import { pino, type Logger as PinoLogger } from 'pino';
import type { LogLevel } from './config.ts';

export type AppLogger = PinoLogger;

/**
 * JSON log lines on stderr (never stdout: `nellie mcp` speaks MCP on stdout). Writes are
 * synchronous so the last lines before an exit are not lost.
 */
export function createAppLogger(options: {
  level: LogLevel;
  /** Extra fields on every line, e.g. the command. */
  base?: Record<string, unknown>;
  /** Defaults to stderr. */
  destination?: number;
}): AppLogger {
  return pino(
    {
      level: options.level,
      base: { pid: process.pid, ...options.base },
      timestamp: pino.stdTimeFunctions.isoTime,
      formatters: { level: (label) => ({ level: label }) },
    },
    pino.destination({ fd: options.destination ?? 2, sync: true }),
  );
}
