/**
 * Builds the in-process HNSW index of a PostgreSQL benchmark schema and saves it for query.ts
 * (`--vector-index-dir`), following the schema while it is still being filled: it applies new
 * vectors as they arrive until the schema holds `<chunks>` vectors, then saves the index and
 * exits. Usage: save-vector-index.ts <chunks> <connection string> <schema> --vector-index-dir
 * <dir>. Prints one JSON line.
 *
 * Stopped (SIGINT, SIGTERM), it saves the part built so far; the next run loads that part and
 * catches up from there instead of starting again.
 */
import pg from 'pg';
import { createPostgresStore } from '../src/index.ts';
import { benchModel, schemaArguments } from './bench-schema.ts';

const { size, connectionString, schema, vectorIndexDir } = schemaArguments('save-vector-index.ts');
if (vectorIndexDir === undefined) throw new Error('save-vector-index.ts needs --vector-index-dir');
const log = (message: string): void => {
  process.stderr.write(`[postgres vector index ${size}] ${message}\n`);
};

const started = performance.now();
const admin = new pg.Client({ connectionString });
await admin.connect();
const vectorsStored = async (): Promise<number> => {
  const { rows } = await admin.query<{ n: string }>(
    `SELECT count(*) AS n FROM "${schema}".embeddings`,
  );
  return Number(rows[0]?.n ?? 0);
};
const store = await createPostgresStore({
  connectionString,
  schema,
  embedding: benchModel,
  memoryIndex: { threads: 0 },
  vectorIndexDir,
});
let stopping = false;
const stop = (signal: string): void => {
  if (stopping) return;
  stopping = true;
  log(`${signal}: saving the part of the index built so far`);
  void store
    .close()
    .then(() => admin.end())
    .finally(() => process.exit(130));
};
process.once('SIGINT', () => stop('SIGINT'));
process.once('SIGTERM', () => stop('SIGTERM'));
for (;;) {
  const stored = await vectorsStored();
  // Once stopping, the handler saves and exits: the sync it cut short is not an error.
  const status = await store.syncVectorIndex().catch((error: unknown) => {
    if (stopping) return new Promise<never>(() => {});
    throw error;
  });
  log(`${stored} vectors stored; index: ${JSON.stringify(status)}`);
  if (stored >= size) break;
  await new Promise((resolve) => setTimeout(resolve, 30_000));
}
await admin.end();
await store.close();
process.stdout.write(
  `${JSON.stringify({ size, seconds: (performance.now() - started) / 1000, rssMiB: process.memoryUsage().rss / 1024 / 1024 })}\n`,
);
