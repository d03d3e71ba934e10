import { NellieError, type ApiKey, type ApiKeyInput, type CreatedApiKey } from '@nellie/core';
import {
  apiKeyIdOf,
  apiKeyIdSchema,
  apiKeyInputSchema,
  apiKeyListOptionsSchema,
  apiKeySecretMatches,
  generateApiKeySecret,
  hashApiKeySecret,
  parseInput,
} from '@nellie/schemas';
import type { StoreContext } from './context.ts';

interface ApiKeyRow {
  id: string;
  principal: string;
  scope: ApiKey['scope'];
  repositories: string | null;
  description: string | null;
  secret_hash: string;
  created_at: string;
  revoked_at: string | null;
}

function toApiKey(row: ApiKeyRow): ApiKey {
  return {
    id: row.id,
    principal: row.principal,
    scope: row.scope,
    repositories: row.repositories === null ? null : (JSON.parse(row.repositories) as string[]),
    description: row.description,
    createdAt: row.created_at,
    revokedAt: row.revoked_at,
  };
}

/** API keys in the `api_keys` table (a hash of each secret, never the secret). */
export class SqlitePrincipals {
  readonly #ctx: StoreContext;

  constructor(ctx: StoreContext) {
    this.#ctx = ctx;
  }

  create(input: ApiKeyInput): CreatedApiKey {
    const parsed = parseInput(apiKeyInputSchema, input, 'API key');
    return this.#ctx.write(() => {
      // A 48-bit id collides with a stored one about never; draw again if it does.
      for (;;) {
        const { id, secret } = generateApiKeySecret();
        const taken = this.#ctx.statement(`SELECT 1 FROM api_keys WHERE id = ?`).get(id);
        if (taken) continue;
        const createdAt = new Date().toISOString();
        this.#ctx
          .statement(
            `INSERT INTO api_keys (id, principal, scope, repositories, description, secret_hash, created_at)
             VALUES (?, ?, ?, ?, ?, ?, ?)`,
          )
          .run(
            id,
            parsed.principal,
            parsed.scope,
            parsed.repositories === null ? null : JSON.stringify(parsed.repositories),
            parsed.description,
            hashApiKeySecret(secret),
            createdAt,
          );
        return {
          secret,
          key: {
            id,
            principal: parsed.principal,
            scope: parsed.scope,
            repositories: parsed.repositories,
            description: parsed.description,
            createdAt,
            revokedAt: null,
          },
        };
      }
    });
  }

  list(options: { principal?: string; includeRevoked?: boolean } = {}): ApiKey[] {
    const parsed = parseInput(apiKeyListOptionsSchema, options, 'API key listing');
    const conditions = [
      ...(parsed.principal === undefined ? [] : ['principal = $principal']),
      ...(parsed.includeRevoked ? [] : ['revoked_at IS NULL']),
    ];
    const where = conditions.length > 0 ? `WHERE ${conditions.join(' AND ')}` : '';
    return this.#ctx.read(() =>
      (
        this.#ctx
          .statement(`SELECT * FROM api_keys ${where} ORDER BY seq`)
          .all(parsed.principal === undefined ? {} : { principal: parsed.principal }) as ApiKeyRow[]
      ).map(toApiKey),
    );
  }

  revoke(id: string): ApiKey {
    const keyId = parseInput(apiKeyIdSchema, id, 'API key id');
    return this.#ctx.write(() => {
      this.#ctx
        .statement(`UPDATE api_keys SET revoked_at = ? WHERE id = ? AND revoked_at IS NULL`)
        .run(new Date().toISOString(), keyId);
      const row = this.#ctx.statement(`SELECT * FROM api_keys WHERE id = ?`).get(keyId) as
        ApiKeyRow | undefined;
      if (!row) {
        throw new NellieError(
          'NOT_FOUND',
          `No API key with id ${keyId}; \`nellie keys list --all\` shows every key.`,
        );
      }
      return toApiKey(row);
    });
  }

  verify(secret: string): ApiKey | null {
    const id = typeof secret === 'string' ? apiKeyIdOf(secret) : null;
    if (id === null) return null;
    const row = this.#ctx.read(
      () =>
        this.#ctx.statement(`SELECT * FROM api_keys WHERE id = ?`).get(id) as ApiKeyRow | undefined,
    );
    if (!row || row.revoked_at !== null || !apiKeySecretMatches(secret, row.secret_hash)) {
      return null;
    }
    return toApiKey(row);
  }

  hasKeys(): boolean {
    return this.#ctx.read(
      () => this.#ctx.statement(`SELECT 1 FROM api_keys LIMIT 1`).get() !== undefined,
    );
  }
}
