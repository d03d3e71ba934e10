import type { AccessScope } from './access.ts';

/** An API key as stored: never its secret, only what identifies and limits it. */
export interface ApiKey {
  /**
   * Public id, also the start of the secret (`nellie_<id>_…`), so logs, listings and revocation
   * can name a key without revealing it.
   */
  id: string;
  /** The person or service the key belongs to; the audit log records it as the actor. */
  principal: string;
  scope: AccessScope;
  /** Repository names the key may see; null for every repository. */
  repositories: string[] | null;
  /** Free text for operators ("laptop", "CI"), or null. */
  description: string | null;
  createdAt: string;
  /** When it was revoked; a revoked key is refused from then on. */
  revokedAt: string | null;
}

export interface ApiKeyInput {
  /** Letters, digits and `. _ @ -`, at most 64 characters. */
  principal: string;
  scope: AccessScope;
  /** Repository names (at least one) the key is limited to; null or absent for every repository. */
  repositories?: readonly string[] | null;
  description?: string | null;
}

/** A new key and its secret, which is shown this once and never stored. */
export interface CreatedApiKey {
  key: ApiKey;
  secret: string;
}

/**
 * People and services with API keys. Stores keep a hash of each secret, never the secret, and
 * compare hashes in constant time.
 */
export interface PrincipalStore {
  /** Rejects with `INVALID_INPUT` for a malformed principal, scope or repository list. */
  createApiKey(input: ApiKeyInput): Promise<CreatedApiKey>;
  /** Oldest first; revoked keys only with `includeRevoked`. */
  listApiKeys(options?: { principal?: string; includeRevoked?: boolean }): Promise<ApiKey[]>;
  /**
   * Revokes a key by id (a revoked key stays listed with `revokedAt`). Revoking it again returns
   * it unchanged. Rejects with `NOT_FOUND` for an unknown id.
   */
  revokeApiKey(id: string): Promise<ApiKey>;
  /** The live key whose secret this is; null for an unknown, malformed or revoked secret. */
  verifyApiKey(secret: string): Promise<ApiKey | null>;
  /**
   * Whether any key was ever created, revoked ones included: once one was, every request needs a
   * key, and revoking the last one does not open the server to anonymous requests.
   */
  hasApiKeys(): Promise<boolean>;
}
