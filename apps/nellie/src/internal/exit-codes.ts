import { NellieError } from '@nellie/core';

export const exitCodes = {
  ok: 0,
  /** Something failed while running. */
  runtime: 1,
  /** Bad arguments, flags or configuration. */
  usage: 2,
} as const;

/** Usage and configuration problems exit 2; everything else 1. */
export function exitCodeFor(error: unknown): number {
  if (
    NellieError.is(error) &&
    (error.code === 'INVALID_OPTIONS' || error.code === 'INVALID_INPUT')
  ) {
    return exitCodes.usage;
  }
  return exitCodes.runtime;
}
