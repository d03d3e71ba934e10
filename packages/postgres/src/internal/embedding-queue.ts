import type { Queryable } from './database.ts';

/**
 * After rows holding these content hashes were deleted: drops the vectors and queue entries no
 * chunk, lesson or checkpoint uses any more, and records tombstones for in-memory indexes.
 */
export async function releaseContentHashes(
  db: Queryable,
  s: string,
  hashes: readonly string[],
): Promise<void> {
  if (hashes.length === 0) return;
  const unused = `NOT EXISTS (SELECT 1 FROM ${s}.chunks WHERE content_hash = h)
    AND NOT EXISTS (SELECT 1 FROM ${s}.lessons WHERE content_hash = h)
    AND NOT EXISTS (SELECT 1 FROM ${s}.checkpoints WHERE content_hash = h)`;
  const unique = [...new Set(hashes)];
  await db.query(
    `WITH gone AS (
       DELETE FROM ${s}.embeddings WHERE content_hash IN (
         SELECT h FROM unnest($1::text[]) h WHERE ${unused})
       RETURNING id)
     INSERT INTO ${s}.embedding_tombstones (embedding_id) SELECT id FROM gone`,
    [unique],
  );
  await db.query(
    `DELETE FROM ${s}.embedding_queue WHERE content_hash IN (
       SELECT h FROM unnest($1::text[]) h WHERE ${unused})`,
    [unique],
  );
}

/** Queues a lesson's or checkpoint's content hash for embedding unless a vector exists. */
export async function queueContentHash(
  db: Queryable,
  s: string,
  hash: string,
  kind: number,
): Promise<void> {
  await db.query(
    `INSERT INTO ${s}.embedding_queue (content_hash, kind)
     SELECT $1, $2 WHERE NOT EXISTS (SELECT 1 FROM ${s}.embeddings WHERE content_hash = $1)
     ON CONFLICT (content_hash) DO NOTHING`,
    [hash, kind],
  );
}
