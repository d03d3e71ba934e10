import { NellieError } from '@nellie/core';
import type { Queryable } from './database.ts';
import { anchorsMigration } from './migrations/0006-anchors.ts';
import { termDocumentsMigration } from './migrations/0007-term-documents.ts';
import { feedTransactionsMigration } from './migrations/0008-feed-transactions.ts';
import { coveringLookupsMigration } from './migrations/0009-covering-lookups.ts';
import { checkpointCodeMigration } from './migrations/checkpoint-code.ts';
import { leasesMigration } from './migrations/0002-leases.ts';
import { indexJobsMigration } from './migrations/0004-index-jobs.ts';
import { principalsMigration } from './principal-schema.ts';

/** Embedding owners; stored in `embeddings.kind` and `embedding_queue.kind`. */
export const kindChunk = 0;
export const kindLesson = 1;
export const kindCheckpoint = 2;
export type EmbeddingKind = typeof kindChunk | typeof kindLesson | typeof kindCheckpoint;

/** The text search configuration, schema-qualified, as a SQL expression. */
export function textConfig(schema: string): string {
  return `'${schema}.nellie_code'::regconfig`;
}

/**
 * Migrations, applied in order, each in its own transaction and recorded in `schema_migrations`.
 * Never edit a released migration: append a new one. `s` is the quoted schema, `name` its bare
 * name.
 */
export const migrations: readonly ((s: string, name: string) => string)[] = [
  (s: string, name: string): string => `
    -- Token text (identifier-split by the application, as the SQLite store indexes it) is
    -- parsed like 'simple' and stemmed with snowball's English stemmer without stop words, the
    -- counterpart of the SQLite store's porter tokenizer.
    CREATE TEXT SEARCH DICTIONARY ${s}.nellie_stem (TEMPLATE = snowball, Language = english);
    CREATE TEXT SEARCH CONFIGURATION ${s}.nellie_code (COPY = pg_catalog.simple);
    ALTER TEXT SEARCH CONFIGURATION ${s}.nellie_code
      ALTER MAPPING FOR asciiword, word, numword, asciihword, hword, numhword, hword_part,
        hword_asciipart, hword_numpart
      WITH ${s}.nellie_stem;

    CREATE TABLE ${s}.meta (key text PRIMARY KEY, value text NOT NULL);

    CREATE TABLE ${s}.repositories (
      id integer GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
      name text NOT NULL UNIQUE,
      root_path text NOT NULL UNIQUE,
      created_at text NOT NULL,
      last_indexed_at text
    );

    CREATE TABLE ${s}.files (
      id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
      repository_id integer NOT NULL REFERENCES ${s}.repositories(id) ON DELETE CASCADE,
      path text NOT NULL,
      language text,
      size bigint NOT NULL,
      mtime_ms double precision NOT NULL,
      content_hash text NOT NULL,
      indexed_at text NOT NULL,
      UNIQUE (repository_id, path)
    );

    CREATE TABLE ${s}.chunks (
      id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
      file_id bigint NOT NULL REFERENCES ${s}.files(id) ON DELETE CASCADE,
      repository_id integer NOT NULL,
      start_line integer NOT NULL,
      end_line integer NOT NULL,
      symbol_name text,
      symbol_key text,
      symbol_kind text,
      enclosing_symbol text,
      language text,
      content text NOT NULL,
      content_hash text NOT NULL,
      -- symbol A, container B, path C, body D (bm25 column weights are applied in JS)
      tokens tsvector NOT NULL
    );
    CREATE INDEX chunks_file_id ON ${s}.chunks (file_id);
    CREATE INDEX chunks_content_hash ON ${s}.chunks (content_hash);
    CREATE INDEX chunks_repository_language ON ${s}.chunks (repository_id, language);
    CREATE INDEX chunks_language ON ${s}.chunks (language);
    CREATE INDEX chunks_symbol_key ON ${s}.chunks (symbol_key) WHERE symbol_key IS NOT NULL;
    CREATE INDEX chunks_tokens ON ${s}.chunks USING gin (tokens);

    CREATE TABLE ${s}.lessons (
      seq bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
      id text NOT NULL UNIQUE,
      title text NOT NULL,
      content text NOT NULL,
      tags text NOT NULL,
      severity text NOT NULL CHECK (severity IN ('critical', 'warning', 'info')),
      repo text,
      agent text,
      created_at text NOT NULL,
      updated_at text NOT NULL,
      content_hash text NOT NULL,
      tokens tsvector NOT NULL
    );
    CREATE INDEX lessons_content_hash ON ${s}.lessons (content_hash);
    CREATE INDEX lessons_tokens ON ${s}.lessons USING gin (tokens);

    CREATE TABLE ${s}.checkpoints (
      seq bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
      id text NOT NULL UNIQUE,
      agent text NOT NULL,
      repo text,
      session_id text,
      working_on text NOT NULL,
      state text NOT NULL,
      status text NOT NULL CHECK (status IN ('in_progress', 'done')),
      created_at text NOT NULL,
      content_hash text NOT NULL,
      tokens tsvector NOT NULL
    );
    CREATE INDEX checkpoints_agent ON ${s}.checkpoints (agent, seq);
    CREATE INDEX checkpoints_content_hash ON ${s}.checkpoints (content_hash);
    CREATE INDEX checkpoints_tokens ON ${s}.checkpoints USING gin (tokens);

    CREATE TABLE ${s}.agent_status (
      agent text PRIMARY KEY,
      status text NOT NULL CHECK (status IN ('idle', 'in_progress')),
      current_task text,
      last_checkpoint_id text,
      updated_at text NOT NULL
    );

    -- One vector per content hash, for the model recorded in meta.
    CREATE TABLE ${s}.embeddings (
      id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
      content_hash text NOT NULL UNIQUE,
      kind smallint NOT NULL,
      vector real[] NOT NULL
    );

    -- Content hashes referenced by a chunk, lesson or checkpoint that have no vector yet.
    CREATE TABLE ${s}.embedding_queue (
      id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
      content_hash text NOT NULL UNIQUE,
      kind smallint NOT NULL
    );

    -- Deleted vector ids, so in-memory indexes in other processes can drop them.
    CREATE TABLE ${s}.embedding_tombstones (
      seq bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
      embedding_id bigint NOT NULL
    );

    CREATE TABLE ${s}.audit_log (
      id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
      at text NOT NULL,
      actor text NOT NULL,
      channel text NOT NULL,
      action text NOT NULL,
      target text,
      details text
    );
    CREATE INDEX audit_log_at ON ${s}.audit_log (at);
    COMMENT ON SCHEMA ${s} IS 'Nellie store ${name}';
  `,
  leasesMigration,
  principalsMigration,
  indexJobsMigration,
  checkpointCodeMigration,
  anchorsMigration,
  termDocumentsMigration,
  feedTransactionsMigration,
  coveringLookupsMigration,
];

export const schemaVersion = migrations.length;

/**
 * Brings the schema up to date. Each migration runs in its own transaction under an advisory
 * lock, so two servers starting together apply it once. Returns the schema version.
 */
export async function migrate(
  write: <T>(run: (db: Queryable) => Promise<T>) => Promise<T>,
  s: string,
  name: string,
): Promise<number> {
  for (;;) {
    const version = await write(async (db) => {
      await db.query(`SELECT pg_advisory_xact_lock(hashtext($1))`, [`nellie-migrate-${name}`]);
      await db.query(`CREATE SCHEMA IF NOT EXISTS ${s}`);
      await db.query(
        `CREATE TABLE IF NOT EXISTS ${s}.schema_migrations (
           version integer PRIMARY KEY,
           applied_at timestamptz NOT NULL DEFAULT now()
         )`,
      );
      const { rows } = await db.query<{ version: number | null }>(
        `SELECT max(version) AS version FROM ${s}.schema_migrations`,
      );
      const current = rows[0]?.version ?? 0;
      if (current > schemaVersion) {
        throw new NellieError(
          'SCHEMA_TOO_NEW',
          `The schema ${name} is at version ${current}, newer than this Nellie knows (${schemaVersion}); upgrade Nellie.`,
        );
      }
      if (current === schemaVersion) return current;
      await db.query(migrations[current]!(s, name));
      await db.query(`INSERT INTO ${s}.schema_migrations (version) VALUES ($1)`, [current + 1]);
      return current + 1;
    });
    if (version === schemaVersion) return version;
  }
}
