import { readFile } from 'node:fs/promises';
import { NellieError } from '@nellie/core';
import { z } from 'zod';

/**
 * Reads a model directory's JSON config and validates it with `schema`; an unreadable or
 * invalid file is `MODEL_LOAD_FAILED`, naming the file and `what` it should be.
 */
export async function readModelConfigFile<Schema extends z.ZodType>(
  path: string,
  schema: Schema,
  what: string,
  remedy = '',
): Promise<z.infer<Schema>> {
  let raw: unknown;
  try {
    raw = JSON.parse(await readFile(path, 'utf8'));
  } catch (error) {
    throw new NellieError(
      'MODEL_LOAD_FAILED',
      `${path} is not readable JSON: ${error instanceof Error ? error.message : String(error)}.` +
        (remedy ? ` ${remedy}` : ''),
      { cause: error },
    );
  }
  const parsed = schema.safeParse(raw);
  if (!parsed.success) {
    throw new NellieError(
      'MODEL_LOAD_FAILED',
      `${path} is not a valid ${what}: ${z.prettifyError(parsed.error)}`,
      { cause: parsed.error },
    );
  }
  return parsed.data;
}
