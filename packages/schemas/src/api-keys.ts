import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import { accessScopes, limits } from '@nellie/core';
import { z } from 'zod';

/** A principal's name: who a key belongs to, recorded as the actor in the audit log. */
export const principalNameSchema = z
  .string()
  .min(1, 'principal must not be empty')
  .max(64, 'principal must be at most 64 characters')
  .regex(/^[\w.@-]+$/, 'principal may hold letters, digits and . _ @ - only');

export const accessScopeSchema = z.enum(accessScopes, {
  error: `scope must be one of ${accessScopes.join(', ')}`,
});

/** What a new key is for; validated by every principal store. */
export const apiKeyInputSchema = z.strictObject({
  principal: principalNameSchema,
  scope: accessScopeSchema,
  repositories: z
    .array(
      z
        .string()
        .trim()
        .min(1, 'a repository name must not be empty')
        .max(
          limits.repositoryLength,
          `a repository name is at most ${limits.repositoryLength} characters`,
        ),
    )
    .min(1, 'repositories must name at least one repository (or be left out for all of them)')
    .max(1000, 'repositories may name at most 1000 repositories')
    .transform((names) => [...new Set(names)])
    .nullable()
    .default(null),
  description: z
    .string()
    .trim()
    .max(200, 'description must be at most 200 characters')
    .nullable()
    .default(null)
    .transform((text) => (text === '' ? null : text)),
});

export const apiKeyListOptionsSchema = z.strictObject({
  principal: principalNameSchema.optional(),
  includeRevoked: z.boolean().default(false),
});

/** Public key ids: 12 lowercase hex digits. */
export const apiKeyIdSchema = z
  .string()
  .regex(/^[0-9a-f]{12}$/, 'a key id is 12 hexadecimal digits, as `nellie keys list` shows');

const secretPattern = /^nellie_([0-9a-f]{12})_([A-Za-z0-9_-]{43})$/;

/** A new key: its public id and its secret, `nellie_<id>_<43 random base64url characters>`. */
export function generateApiKeySecret(): { id: string; secret: string } {
  const id = randomBytes(6).toString('hex');
  return { id, secret: `nellie_${id}_${randomBytes(32).toString('base64url')}` };
}

/** The key id a presented secret claims, or null when it is not shaped like a Nellie key. */
export function apiKeyIdOf(secret: string): string | null {
  return secretPattern.exec(secret)?.[1] ?? null;
}

/**
 * The stored form of a secret: SHA-256, hex. The secrets are 256 random bits, so a fast hash is
 * enough (there is nothing to guess a dictionary for).
 */
export function hashApiKeySecret(secret: string): string {
  return createHash('sha256').update(secret, 'utf8').digest('hex');
}

/** Compares a presented secret with a stored hash in constant time. */
export function apiKeySecretMatches(secret: string, storedHash: string): boolean {
  const presented = Buffer.from(hashApiKeySecret(secret), 'hex');
  const stored = Buffer.from(storedHash, 'hex');
  return presented.length === stored.length && timingSafeEqual(presented, stored);
}
