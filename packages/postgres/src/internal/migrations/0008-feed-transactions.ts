/**
 * Migration 8: the change feed of vectors and their tombstones records the transaction that wrote
 * each row. Identity values are taken at insert time but become visible at commit, so a reader
 * following ids alone skips a row whose transaction commits after one that took a higher id.
 * Readers follow `(xact, id)` instead and only read rows older than the oldest transaction still
 * running (`pg_snapshot_xmin`), which can no longer be joined by a row sorting before them.
 * Rows written before this migration count as written by transaction 0 (long finished). It also
 * gives the store an id, which saved vector indexes are checked against.
 */
export function feedTransactionsMigration(s: string): string {
  return `
    ALTER TABLE ${s}.embeddings ADD COLUMN xact xid8 NOT NULL DEFAULT '0';
    ALTER TABLE ${s}.embeddings ALTER COLUMN xact SET DEFAULT pg_current_xact_id();
    CREATE INDEX embeddings_feed ON ${s}.embeddings (xact, id);

    ALTER TABLE ${s}.embedding_tombstones ADD COLUMN xact xid8 NOT NULL DEFAULT '0';
    ALTER TABLE ${s}.embedding_tombstones ALTER COLUMN xact SET DEFAULT pg_current_xact_id();
    CREATE INDEX embedding_tombstones_feed ON ${s}.embedding_tombstones (xact, seq);

    -- Tells this store from any other (a schema dropped and created again included), for
    -- vector indexes saved on disk with the feed cursors they cover.
    INSERT INTO ${s}.meta (key, value) VALUES ('store_id', gen_random_uuid()::text)
      ON CONFLICT (key) DO NOTHING;
  `;
}
