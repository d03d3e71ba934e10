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
import { Parameters, type Database } from './database.ts';

interface ApiKeyRow {
  id: string;
  principal: string;
  scope: ApiKey['scope'];
  repositories: string[] | null;
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
    repositories: row.repositories,
    description: row.description,
    createdAt: row.created_at,
    revokedAt: row.revoked_at,
  };
}

const uniqueViolation = '23505';

/** API keys in the `api_keys` table (a hash of each secret, never the secret). */
export class PostgresPrincipals {
  readonly #database: Database;
  readonly #s: string;

  constructor(database: Database) {
    this.#database = database;
    this.#s = database.schema;
  }

  async create(input: ApiKeyInput): Promise<CreatedApiKey> {
    const parsed = parseInput(apiKeyInputSchema, input, 'API key');
    // A 48-bit id collides with a stored one about never; draw again if it does.
    for (;;) {
      const { id, secret } = generateApiKeySecret();
      const createdAt = new Date().toISOString();
      try {
        await this.#database.write((db) =>
          db.query(
            `INSERT INTO ${this.#s}.api_keys
               (id, principal, scope, repositories, description, secret_hash, created_at)
             VALUES ($1, $2, $3, $4, $5, $6, $7)`,
            [
              id,
              parsed.principal,
              parsed.scope,
              parsed.repositories,
              parsed.description,
              hashApiKeySecret(secret),
              createdAt,
            ],
          ),
        );
      } catch (error) {
        if ((error as { code?: unknown }).code === uniqueViolation) continue;
        throw error;
      }
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
  }

  async list(options: { principal?: string; includeRevoked?: boolean } = {}): Promise<ApiKey[]> {
    const parsed = parseInput(apiKeyListOptionsSchema, options, 'API key listing');
    const params = new Parameters();
    const conditions = [
      ...(parsed.principal === undefined ? [] : [`principal = ${params.p(parsed.principal)}`]),
      ...(parsed.includeRevoked ? [] : ['revoked_at IS NULL']),
    ];
    const where = conditions.length > 0 ? `WHERE ${conditions.join(' AND ')}` : '';
    const { rows } = await this.#database.read((db) =>
      db.query<ApiKeyRow>(`SELECT * FROM ${this.#s}.api_keys ${where} ORDER BY seq`, params.values),
    );
    return rows.map(toApiKey);
  }

  async revoke(id: string): Promise<ApiKey> {
    const keyId = parseInput(apiKeyIdSchema, id, 'API key id');
    const rows = await this.#database.write(async (db) => {
      await db.query(
        `UPDATE ${this.#s}.api_keys SET revoked_at = $1 WHERE id = $2 AND revoked_at IS NULL`,
        [new Date().toISOString(), keyId],
      );
      return (await db.query<ApiKeyRow>(`SELECT * FROM ${this.#s}.api_keys WHERE id = $1`, [keyId]))
        .rows;
    });
    const row = rows[0];
    if (!row) {
      throw new NellieError(
        'NOT_FOUND',
        `No API key with id ${keyId}; \`nellie keys list --all\` shows every key.`,
      );
    }
    return toApiKey(row);
  }

  async verify(secret: string): Promise<ApiKey | null> {
    const id = typeof secret === 'string' ? apiKeyIdOf(secret) : null;
    if (id === null) return null;
    const { rows } = await this.#database.read((db) =>
      db.query<ApiKeyRow>(`SELECT * FROM ${this.#s}.api_keys WHERE id = $1`, [id]),
    );
    const row = rows[0];
    if (!row || row.revoked_at !== null || !apiKeySecretMatches(secret, row.secret_hash)) {
      return null;
    }
    return toApiKey(row);
  }

  async hasKeys(): Promise<boolean> {
    const { rows } = await this.#database.read((db) =>
      db.query(`SELECT 1 FROM ${this.#s}.api_keys LIMIT 1`),
    );
    return rows.length > 0;
  }
}
