/** Minimal structured logger; pino and a console adapter both satisfy it. */
export interface Logger {
  debug(fields: Record<string, unknown>, message: string): void;
  info(fields: Record<string, unknown>, message: string): void;
  warn(fields: Record<string, unknown>, message: string): void;
  error(fields: Record<string, unknown>, message: string): void;
}

const noop = (): void => {};

/** The default logger of every library: silent. */
export const noopLogger: Logger = { debug: noop, info: noop, warn: noop, error: noop };
