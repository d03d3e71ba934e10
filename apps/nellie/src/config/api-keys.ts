import { createHash } from 'node:crypto';
import { z } from 'zod';

export const minApiKeyLength = 16;
const apiKeyIdPattern = /^[A-Za-z0-9_.-]{1,64}$/;

export interface ApiKey {
  /** Public, non-secret id used in logs, metrics and the audit log. */
  id: string;
  /** The secret itself. */
  key: string;
}

/** Derives a short public id from a bare secret (a truncated sha256, which reveals nothing usable). */
export function deriveApiKeyId(secret: string): string {
  return `key-${createHash('sha256').update(secret).digest('hex').slice(0, 10)}`;
}

/** Parses `id:secret` or a bare secret. */
export function parseApiKey(value: string): ApiKey {
  const separator = value.indexOf(':');
  if (separator > 0) {
    const id = value.slice(0, separator);
    const key = value.slice(separator + 1);
    if (apiKeyIdPattern.test(id) && key.length > 0) return { id, key };
  }
  return { id: deriveApiKeyId(value), key: value };
}

/** An API key setting: `id:secret`, a bare secret, or `{ id?, key }`. */
export const apiKeySchema = z
  .union([
    z.string().transform(parseApiKey),
    z.strictObject({ id: z.string().optional(), key: z.string() }).transform((value) => ({
      id: value.id ?? deriveApiKeyId(value.key),
      key: value.key,
    })),
  ])
  .pipe(
    z.object({
      id: z
        .string()
        .regex(apiKeyIdPattern, 'a key id may use letters, digits, ".", "_" and "-" (at most 64)'),
      key: z
        .string()
        .min(
          minApiKeyLength,
          `an API key must be at least ${minApiKeyLength} characters (generate one with \`openssl rand -hex 24\`)`,
        )
        .refine((key) => !/\s/.test(key), 'an API key may not contain whitespace'),
    }),
  );
