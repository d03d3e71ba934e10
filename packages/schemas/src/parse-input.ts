import { NellieError } from '@nellie/core';
import { z } from 'zod';

/** Parses `value` with `schema`, or throws `INVALID_INPUT` naming `what` and everything wrong. */
export function parseInput<T extends z.ZodType>(
  schema: T,
  value: unknown,
  what: string,
): z.output<T> {
  const result = schema.safeParse(value);
  if (!result.success) {
    throw new NellieError('INVALID_INPUT', `Invalid ${what}: ${z.prettifyError(result.error)}`, {
      cause: result.error,
    });
  }
  return result.data;
}
