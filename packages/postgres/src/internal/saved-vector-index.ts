import { createHash, randomBytes } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { mkdir, readFile, rename, rm, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { EmbeddingModelInfo, Logger } from '@nellie/core';
import type { AnnIndex, VectorIndexOptions } from '@nellie/storage/store-kit';
import { z } from 'zod';
import type { FeedCursor } from './change-feed.ts';
import type { Queryable } from './database.ts';

/**
 * What a saved index belongs to: the PostgreSQL cluster (its system identifier, when this role
 * may read it), database, schema and that schema's store id (new for every schema created, so a
 * schema dropped and created again is another store), the model and the HNSW parameters.
 * The feed cursors count transaction ids, which only mean something in the cluster they came
 * from: an index saved for another one is never loaded.
 */
export interface SavedIndexIdentity {
  system: string | null;
  database: string;
  schema: string;
  storeId: string;
  modelId: string;
  dimensions: number;
  params: string;
}

const cursorSchema = z.strictObject({ xact: z.string().regex(/^\d+$/), key: z.number().int() });
const headerSchema = z.strictObject({
  format: z.literal(1),
  identity: z.strictObject({
    system: z.string().nullable(),
    database: z.string(),
    schema: z.string(),
    storeId: z.string(),
    modelId: z.string(),
    dimensions: z.number().int(),
    params: z.string(),
  }),
  annCursor: cursorSchema,
  tombstoneCursor: cursorSchema,
  vectors: z.number().int().min(0),
  bytes: z.number().int().min(0),
  sha256: z.string().regex(/^[0-9a-f]{64}$/),
});

/** The state a saved index covers: its vectors up to `annCursor`, deletions up to `tombstoneCursor`. */
export interface SavedIndexCursors {
  annCursor: FeedCursor;
  tombstoneCursor: FeedCursor;
}

/** The identity of the store's index as it would be saved now. */
export async function currentIdentity(
  db: Queryable,
  schema: { quoted: string; name: string },
  model: EmbeddingModelInfo,
  options: VectorIndexOptions,
): Promise<SavedIndexIdentity> {
  const { rows } = await db.query<{ database: string; store_id: string | null }>(
    `SELECT current_database() AS database,
       (SELECT value FROM ${schema.quoted}.meta WHERE key = 'store_id') AS store_id`,
  );
  // pg_control_system() may be reserved to privileged roles; the store id still tells stores
  // apart then, only a restored copy of the same schema in another cluster would not be.
  const system = await db
    .query<{ system: string }>(`SELECT system_identifier::text AS system FROM pg_control_system()`)
    .then((result) => result.rows[0]?.system ?? null)
    .catch(() => null);
  return {
    system,
    database: rows[0]!.database,
    schema: schema.name,
    storeId: rows[0]!.store_id ?? 'none',
    modelId: model.modelId,
    dimensions: model.dimensions,
    params: `${options.quantization}-m${options.connectivity}-e${options.expansionAdd}`,
  };
}

function paths(directory: string, identity: SavedIndexIdentity) {
  const base = join(directory, `nellie-${identity.schema}-hnsw`);
  return { index: `${base}.usearch`, header: `${base}.json` };
}

async function sha256(file: string): Promise<string> {
  const hash = createHash('sha256');
  for await (const chunk of createReadStream(file)) hash.update(chunk as Buffer);
  return hash.digest('hex');
}

function sameIdentity(a: SavedIndexIdentity, b: SavedIndexIdentity): boolean {
  return (Object.keys(a) as (keyof SavedIndexIdentity)[]).every((key) => a[key] === b[key]);
}

/**
 * Loads the index saved in `directory` for this store into `ann`, returning the cursors it
 * covers; null when there is none, or when it belongs to another cluster, database, schema,
 * store, model or parameters, or is damaged (each said in a log line): the index is then built
 * from the database.
 */
export async function loadSavedIndex(
  directory: string,
  identity: SavedIndexIdentity,
  ann: AnnIndex,
  logger: Logger,
): Promise<SavedIndexCursors | null> {
  const files = paths(directory, identity);
  let text: string;
  try {
    text = await readFile(files.header, 'utf8');
  } catch {
    logger.info({ directory }, 'No saved vector index; building it from the database');
    return null;
  }
  const reject = (reason: string): null => {
    logger.warn(
      { file: files.index, reason },
      'Not using the saved vector index; building it from the database',
    );
    return null;
  };
  let parsed;
  try {
    parsed = headerSchema.safeParse(JSON.parse(text));
  } catch {
    return reject('its header is not JSON');
  }
  if (!parsed.success) return reject('its header is not one this version writes');
  const header = parsed.data;
  if (!sameIdentity(header.identity, identity)) {
    return reject(
      `it was saved for another store or model (${JSON.stringify(header.identity)}, this one: ${JSON.stringify(identity)})`,
    );
  }
  try {
    const size = (await stat(files.index)).size;
    if (size !== header.bytes) return reject(`its size is ${size} bytes, not ${header.bytes}`);
    if ((await sha256(files.index)) !== header.sha256) return reject('its checksum does not match');
    ann.load(files.index);
  } catch (error) {
    return reject(`it cannot be read: ${String(error)}`);
  }
  if (ann.size() !== header.vectors) {
    return reject(`it holds ${ann.size()} vectors, not ${header.vectors}`);
  }
  logger.info(
    { file: files.index, vectors: header.vectors },
    'Loaded the saved vector index; catching up from the database',
  );
  return { annCursor: header.annCursor, tombstoneCursor: header.tombstoneCursor };
}

/**
 * Saves `ann` and the cursors it covers in `directory` (created when missing), replacing the
 * previous save. The index is written to a temporary file and renamed; its header carries its
 * checksum, so a header and index from different saves are never used together.
 */
export async function saveIndex(
  directory: string,
  identity: SavedIndexIdentity,
  ann: AnnIndex,
  cursors: SavedIndexCursors,
): Promise<void> {
  await mkdir(directory, { recursive: true });
  const files = paths(directory, identity);
  const suffix = `.${process.pid}-${randomBytes(4).toString('hex')}.tmp`;
  const temporary = { index: files.index + suffix, header: files.header + suffix };
  try {
    const vectors = ann.size();
    ann.save(temporary.index);
    const header = {
      format: 1,
      identity,
      ...cursors,
      vectors,
      bytes: (await stat(temporary.index)).size,
      sha256: await sha256(temporary.index),
    };
    await writeFile(temporary.header, `${JSON.stringify(header, null, 2)}\n`);
    await rename(temporary.index, files.index);
    await rename(temporary.header, files.header);
  } finally {
    await Promise.all([
      rm(temporary.index, { force: true }),
      rm(temporary.header, { force: true }),
    ]);
  }
}
