import type Database from 'better-sqlite3';
import { scopeText } from './ranking/scope.ts';
import { pathTokenText, tokenText } from './tokens.ts';

/** `PRAGMA application_id` of a Nellie database ("NELI"), to tell it from other SQLite files. */
export const applicationId = 0x4e454c49;

/** Embedding owners; stored in `embeddings.kind` and `embedding_queue.kind`. */
export const kindChunk = 0;
export const kindLesson = 1;
export const kindCheckpoint = 2;
export type EmbeddingKind = typeof kindChunk | typeof kindLesson | typeof kindCheckpoint;

/** The tokenizer of the full-text tables (and of the in-memory path words, `path-words.ts`). */
export const tokenizer = `tokenize = 'porter unicode61 remove_diacritics 2'`;

/**
 * Migrations, applied in order; `PRAGMA user_version` records how many have run. Never edit a
 * released migration: append a new one.
 */
export const migrations: readonly ((db: Database.Database) => void)[] = [
  (db: Database.Database): void => {
    db.exec(`
      CREATE TABLE meta (
        key TEXT PRIMARY KEY,
        value TEXT NOT NULL
      ) WITHOUT ROWID;

      CREATE TABLE repositories (
        id INTEGER PRIMARY KEY,
        name TEXT NOT NULL UNIQUE,
        root_path TEXT NOT NULL UNIQUE,
        created_at TEXT NOT NULL,
        last_indexed_at TEXT
      );

      CREATE TABLE files (
        id INTEGER PRIMARY KEY,
        repository_id INTEGER NOT NULL REFERENCES repositories(id) ON DELETE CASCADE,
        path TEXT NOT NULL,
        language TEXT,
        size INTEGER NOT NULL,
        mtime_ms REAL NOT NULL,
        content_hash TEXT NOT NULL,
        indexed_at TEXT NOT NULL,
        UNIQUE (repository_id, path)
      );

      CREATE TABLE chunks (
        id INTEGER PRIMARY KEY,
        file_id INTEGER NOT NULL REFERENCES files(id) ON DELETE CASCADE,
        repository_id INTEGER NOT NULL,
        start_line INTEGER NOT NULL,
        end_line INTEGER NOT NULL,
        symbol_name TEXT,
        -- symbol_name normalised (getUserById, get_user_by_id → getuserbyid) for exact lookups
        symbol_key TEXT,
        symbol_kind TEXT,
        enclosing_symbol TEXT,
        language TEXT,
        content TEXT NOT NULL,
        content_hash TEXT NOT NULL
      );
      CREATE INDEX chunks_file_id ON chunks(file_id);
      CREATE INDEX chunks_content_hash ON chunks(content_hash);
      CREATE INDEX chunks_repository_language ON chunks(repository_id, language);
      CREATE INDEX chunks_language ON chunks(language);
      CREATE INDEX chunks_symbol_key ON chunks(symbol_key) WHERE symbol_key IS NOT NULL;

      CREATE VIRTUAL TABLE chunks_fts USING fts5(
        symbol, container, path, body,
        content = '', contentless_delete = 1, ${tokenizer}
      );

      CREATE TABLE lessons (
        seq INTEGER PRIMARY KEY,
        id TEXT NOT NULL UNIQUE,
        title TEXT NOT NULL,
        content TEXT NOT NULL,
        tags TEXT NOT NULL,
        severity TEXT NOT NULL CHECK (severity IN ('critical', 'warning', 'info')),
        repo TEXT,
        agent TEXT,
        created_at TEXT NOT NULL,
        updated_at TEXT NOT NULL,
        content_hash TEXT NOT NULL
      );
      CREATE INDEX lessons_content_hash ON lessons(content_hash);

      CREATE VIRTUAL TABLE lessons_fts USING fts5(
        title, tags, content,
        content = '', contentless_delete = 1, ${tokenizer}
      );

      CREATE TABLE checkpoints (
        seq INTEGER PRIMARY KEY,
        id TEXT NOT NULL UNIQUE,
        agent TEXT NOT NULL,
        repo TEXT,
        session_id TEXT,
        working_on TEXT NOT NULL,
        state TEXT NOT NULL,
        status TEXT NOT NULL CHECK (status IN ('in_progress', 'done')),
        created_at TEXT NOT NULL,
        content_hash TEXT NOT NULL
      );
      CREATE INDEX checkpoints_agent ON checkpoints(agent, seq);
      CREATE INDEX checkpoints_content_hash ON checkpoints(content_hash);

      CREATE VIRTUAL TABLE checkpoints_fts USING fts5(
        working_on, state,
        content = '', contentless_delete = 1, ${tokenizer}
      );

      CREATE TABLE agent_status (
        agent TEXT PRIMARY KEY,
        status TEXT NOT NULL CHECK (status IN ('idle', 'in_progress')),
        current_task TEXT,
        last_checkpoint_id TEXT,
        updated_at TEXT NOT NULL
      ) WITHOUT ROWID;

      -- One vector per content hash, for the model recorded in meta. AUTOINCREMENT: ids are
      -- never reused, so an in-memory ANN index can follow new rows by id.
      CREATE TABLE embeddings (
        id INTEGER PRIMARY KEY AUTOINCREMENT,
        content_hash TEXT NOT NULL UNIQUE,
        kind INTEGER NOT NULL,
        vector BLOB NOT NULL
      );

      -- Content hashes referenced by a chunk, lesson or checkpoint that have no vector yet.
      CREATE TABLE embedding_queue (
        id INTEGER PRIMARY KEY AUTOINCREMENT,
        content_hash TEXT NOT NULL UNIQUE,
        kind INTEGER NOT NULL
      );

      -- Deleted vector ids, so ANN indexes in other processes can drop them.
      CREATE TABLE embedding_tombstones (
        seq INTEGER PRIMARY KEY AUTOINCREMENT,
        embedding_id INTEGER NOT NULL
      );

      CREATE TABLE audit_log (
        id INTEGER PRIMARY KEY AUTOINCREMENT,
        at TEXT NOT NULL,
        actor TEXT NOT NULL,
        channel TEXT NOT NULL,
        action TEXT NOT NULL,
        target TEXT,
        details TEXT
      );
      CREATE INDEX audit_log_at ON audit_log(at);

      CREATE TRIGGER embeddings_after_insert AFTER INSERT ON embeddings BEGIN
        DELETE FROM embedding_queue WHERE content_hash = new.content_hash;
      END;
      CREATE TRIGGER embeddings_after_delete AFTER DELETE ON embeddings BEGIN
        INSERT INTO embedding_tombstones (embedding_id) VALUES (old.id);
      END;
    `);
    for (const [table, kind] of [
      ['chunks', kindChunk],
      ['lessons', kindLesson],
      ['checkpoints', kindCheckpoint],
    ] as const) {
      const fts = `${table}_fts`;
      const key = table === 'chunks' ? 'id' : 'seq';
      db.exec(`
        CREATE TRIGGER ${table}_after_insert AFTER INSERT ON ${table} BEGIN
          INSERT OR IGNORE INTO embedding_queue (content_hash, kind)
            SELECT new.content_hash, ${kind}
            WHERE NOT EXISTS (SELECT 1 FROM embeddings WHERE content_hash = new.content_hash);
        END;
        CREATE TRIGGER ${table}_after_delete AFTER DELETE ON ${table} BEGIN
          DELETE FROM ${fts} WHERE rowid = old.${key};
          DELETE FROM embeddings WHERE content_hash = old.content_hash
            AND NOT EXISTS (SELECT 1 FROM ${table} WHERE content_hash = old.content_hash);
          DELETE FROM embedding_queue WHERE content_hash = old.content_hash
            AND NOT EXISTS (SELECT 1 FROM ${table} WHERE content_hash = old.content_hash);
        END;
        CREATE TRIGGER ${table}_after_update_hash AFTER UPDATE OF content_hash ON ${table}
          WHEN old.content_hash <> new.content_hash BEGIN
          DELETE FROM embeddings WHERE content_hash = old.content_hash
            AND NOT EXISTS (SELECT 1 FROM ${table} WHERE content_hash = old.content_hash);
          DELETE FROM embedding_queue WHERE content_hash = old.content_hash
            AND NOT EXISTS (SELECT 1 FROM ${table} WHERE content_hash = old.content_hash);
          INSERT OR IGNORE INTO embedding_queue (content_hash, kind)
            SELECT new.content_hash, ${kind}
            WHERE NOT EXISTS (SELECT 1 FROM embeddings WHERE content_hash = new.content_hash);
        END;
      `);
    }
  },
  (db: Database.Database): void => {
    // Version 2: chunks point at their vector row, so vector hits map to chunks (and filters on
    // repository and language are checked) through an index, without reading chunk rows.
    db.exec(`
      ALTER TABLE chunks ADD COLUMN embedding_id INTEGER;
      UPDATE chunks SET embedding_id =
        (SELECT e.id FROM embeddings e WHERE e.content_hash = chunks.content_hash);
      CREATE INDEX chunks_embedding ON chunks(embedding_id, repository_id, language)
        WHERE embedding_id IS NOT NULL;
      DROP INDEX chunks_repository_language;
      CREATE INDEX chunks_repository_language ON chunks(repository_id, language, embedding_id);
      DROP INDEX chunks_language;
      CREATE INDEX chunks_language ON chunks(language, embedding_id);
      CREATE TRIGGER embeddings_link_chunks AFTER INSERT ON embeddings BEGIN
        UPDATE chunks SET embedding_id = new.id WHERE content_hash = new.content_hash;
      END;
    `);
  },
  (db: Database.Database): void => {
    // Version 3: the full-text index gains a `scope` column (repository and language tokens), so
    // filtered searches intersect posting lists instead of filtering a global candidate pool.
    // A contentless table cannot gain a column: it is rebuilt from the chunks.
    db.exec(`
      DROP TABLE chunks_fts;
      CREATE VIRTUAL TABLE chunks_fts USING fts5(
        symbol, container, path, body, scope,
        content = '', contentless_delete = 1, ${tokenizer}
      );
    `);
    const batch = db.prepare(
      `SELECT c.id, c.repository_id, c.language, c.symbol_name, c.enclosing_symbol, c.content,
         f.path
       FROM chunks c JOIN files f ON f.id = c.file_id
       WHERE c.id > ? ORDER BY c.id LIMIT 1000`,
    );
    const insert = db.prepare(
      `INSERT INTO chunks_fts (rowid, symbol, container, path, body, scope) VALUES (?, ?, ?, ?, ?, ?)`,
    );
    let after = 0;
    for (;;) {
      const rows = batch.all(after) as {
        id: number;
        repository_id: number;
        language: string | null;
        symbol_name: string | null;
        enclosing_symbol: string | null;
        content: string;
        path: string;
      }[];
      if (rows.length === 0) break;
      for (const row of rows) {
        insert.run(
          row.id,
          tokenText(row.symbol_name),
          tokenText(row.enclosing_symbol),
          pathTokenText(row.path),
          tokenText(row.content),
          scopeText(row.repository_id, row.language),
        );
      }
      after = rows.at(-1)!.id;
    }
  },
  (db: Database.Database): void => {
    // Version 4: anchors tie lessons to code. Each keeps the anchored code as it was, so
    // indexing can tell whether it is still current, changed, moved or gone.
    db.exec(`
      CREATE TABLE anchors (
        id INTEGER PRIMARY KEY,
        lesson_seq INTEGER NOT NULL REFERENCES lessons(seq) ON DELETE CASCADE,
        repository_id INTEGER NOT NULL REFERENCES repositories(id) ON DELETE CASCADE,
        path TEXT NOT NULL,
        symbol TEXT,
        symbol_key TEXT,
        start_line INTEGER NOT NULL,
        end_line INTEGER NOT NULL,
        content TEXT NOT NULL,
        content_hash TEXT NOT NULL,
        origin TEXT NOT NULL CHECK (origin IN ('explicit', 'automatic')),
        state TEXT NOT NULL CHECK (state IN ('current', 'changed', 'moved', 'gone')),
        lines_added INTEGER,
        lines_removed INTEGER,
        signature_changed INTEGER,
        moved_from TEXT,
        checked_at TEXT NOT NULL
      );
      CREATE INDEX anchors_lesson ON anchors(lesson_seq);
      CREATE INDEX anchors_location ON anchors(repository_id, path);
      CREATE INDEX anchors_symbol ON anchors(repository_id, symbol_key) WHERE symbol_key IS NOT NULL;
    `);
  },
  (db: Database.Database): void => {
    // Version 5: checkpoints know their code: the indexed repository they were saved in, its git
    // branch and commit, and the files they name with their content hash at the time.
    db.exec(`
      ALTER TABLE checkpoints ADD COLUMN repository_id INTEGER;
      ALTER TABLE checkpoints ADD COLUMN git_branch TEXT;
      ALTER TABLE checkpoints ADD COLUMN git_commit TEXT;
      ALTER TABLE checkpoints ADD COLUMN files TEXT;
    `);
  },
  (db: Database.Database): void => {
    // Version 6: API keys of people and services. Only a hash of each secret is kept; the id is
    // public and also the start of the secret, so a presented key is found by its id.
    db.exec(`
      CREATE TABLE api_keys (
        seq INTEGER PRIMARY KEY,
        id TEXT NOT NULL UNIQUE,
        principal TEXT NOT NULL,
        scope TEXT NOT NULL CHECK (scope IN ('read', 'write', 'admin')),
        repositories TEXT,
        description TEXT,
        secret_hash TEXT NOT NULL,
        created_at TEXT NOT NULL,
        revoked_at TEXT
      );
      CREATE INDEX api_keys_principal ON api_keys(principal, seq);
    `);
  },
  (db: Database.Database): void => {
    // Version 7: checkpoints take explicit anchors too. They live beside the lessons' anchors with
    // the same columns, so one refresh compares both with the code.
    db.exec(`
      CREATE TABLE checkpoint_anchors (
        id INTEGER PRIMARY KEY,
        checkpoint_seq INTEGER NOT NULL REFERENCES checkpoints(seq) ON DELETE CASCADE,
        repository_id INTEGER NOT NULL REFERENCES repositories(id) ON DELETE CASCADE,
        path TEXT NOT NULL,
        symbol TEXT,
        symbol_key TEXT,
        start_line INTEGER NOT NULL,
        end_line INTEGER NOT NULL,
        content TEXT NOT NULL,
        content_hash TEXT NOT NULL,
        origin TEXT NOT NULL CHECK (origin IN ('explicit', 'automatic')),
        state TEXT NOT NULL CHECK (state IN ('current', 'changed', 'moved', 'gone')),
        lines_added INTEGER,
        lines_removed INTEGER,
        signature_changed INTEGER,
        moved_from TEXT,
        checked_at TEXT NOT NULL
      );
      CREATE INDEX checkpoint_anchors_checkpoint ON checkpoint_anchors(checkpoint_seq);
      CREATE INDEX checkpoint_anchors_location ON checkpoint_anchors(repository_id, path);
      CREATE INDEX checkpoint_anchors_symbol ON checkpoint_anchors(repository_id, symbol_key)
        WHERE symbol_key IS NOT NULL;
    `);
  },
];

export const schemaVersion = migrations.length;
