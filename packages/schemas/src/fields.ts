import { hasLoneSurrogate, limits, loneSurrogateMessage } from '@nellie/core';
import { z } from 'zod';

// The building blocks of every request: each maximum comes from `limits` in @nellie/core, so the
// store, the REST API, the MCP tools and the CLI accept exactly the same inputs.

/**
 * A text field that is stored: trimmed, non-empty, at most `max` long and well-formed Unicode (a
 * lone surrogate would come back altered from SQLite's UTF-8 storage, so it is refused).
 */
export function storedTextSchema(field: string, max: number): z.ZodString {
  return z
    .string({ error: `${field} must be a string` })
    .trim()
    .min(1, `${field} must not be empty`)
    .max(max, `${field} must be at most ${max} characters`)
    .refine((text) => !hasLoneSurrogate(text), loneSurrogateMessage(field));
}

/** A filter value: trimmed, non-empty (an empty filter would match nothing) and bounded. */
export function filterTextSchema(field: string, max: number): z.ZodString {
  return z
    .string({ error: `${field} must be a string` })
    .trim()
    .min(1, `${field} must not be empty (omit it to search everything)`)
    .max(max, `${field} must be at most ${max} characters`);
}

/** Where some code is: its repository, the file (relative to the root, and absolute), the lines. */
export const codeLocationFields = {
  repository: z.string(),
  rootPath: z.string(),
  path: z.string(),
  absolutePath: z.string(),
  startLine: z.number().int(),
  endLine: z.number().int(),
};

/** How many items to return: a whole number in 1..`max`, `fallback` when left out. */
export function limitSchema(max: number, fallback: number): z.ZodDefault<z.ZodNumber> {
  return z
    .number({ error: 'limit must be a number' })
    .int('limit must be a whole number')
    .min(1, `limit must be between 1 and ${max}`)
    .max(max, `limit must be between 1 and ${max}`)
    .default(fallback);
}

/** Items to skip before a page; deep paging beyond `limits.offset` is refused, not slow. */
export const offsetSchema = z
  .number({ error: 'offset must be a number' })
  .int('offset must be a whole number')
  .min(0, 'offset must not be negative')
  .max(limits.offset, `offset must be at most ${limits.offset}`)
  .default(0);

/** The id of a lesson, checkpoint or index job. */
export const idSchema = z
  .string({ error: 'id must be a string' })
  .trim()
  .min(1, 'id must not be empty')
  .max(limits.idLength, `id must be at most ${limits.idLength} characters`);

/**
 * A JSON object kept exactly as given. `z.record` would rebuild it by assignment, which turns an
 * own `__proto__` key into a prototype and drops it. Shown in JSON Schema as `{"type": "object"}`.
 */
export const jsonObjectSchema = z
  .unknown()
  .refine(
    (value) => typeof value === 'object' && value !== null && !Array.isArray(value),
    'must be a JSON object',
  )
  .meta({ type: 'object', additionalProperties: {} }) as unknown as z.ZodType<
  Record<string, unknown>
>;
