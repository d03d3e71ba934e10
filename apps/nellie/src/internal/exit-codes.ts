import { NellieError } from '@nellie/core';

export const exitCodes = {
  ok: 0,
  /** Something failed while running. */
  runtime: 1,
  /** Bad arguments, flags or configuration. */
  usage: 2,
} as const;

/** Usage and configuration problems (a path that may not be indexed too) exit 2; everything else 1. */
export function exitCodeFor(error: unknown): number {
  if (
    NellieError.is(error) &&
    (error.code === 'INVALID_OPTIONS' ||
      error.code === 'INVALID_INPUT' ||
      error.code === 'PATH_NOT_ALLOWED')
  ) {
    return exitCodes.usage;
  }
  return exitCodes.runtime;
}
