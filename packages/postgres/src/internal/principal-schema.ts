/**
 * Migration 3: API keys of people and services. Only a hash of each secret is kept; the id is
 * public and also the start of the secret, so a presented key is found by its id.
 */
export const principalsMigration = (s: string): string => `
  CREATE TABLE ${s}.api_keys (
    seq bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    id text NOT NULL UNIQUE,
    principal text NOT NULL,
    scope text NOT NULL CHECK (scope IN ('read', 'write', 'admin')),
    repositories text[],
    description text,
    secret_hash text NOT NULL,
    created_at text NOT NULL,
    revoked_at text
  );
  CREATE INDEX api_keys_principal ON ${s}.api_keys (principal, seq);
`;
