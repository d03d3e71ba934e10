/**
 * Fills a PostgreSQL benchmark schema with N chunks: the same files, chunks and vectors as the
 * SQLite benchmark store (packages/storage/bench/files.ts), written through the store's public
 * API (`writeFile`, one transaction per 20-chunk file, then `putEmbeddings`), `--writers` files at
 * a time. Usage: build.ts <chunks> <connection string> <schema> [--keyword-only] [--writers N].
 * Prints one JSON line.
 *
 * Progress is kept in the schema (`bench_progress`): a build that was stopped resumes after the
 * last batch of files it finished (the writes are idempotent, so a batch is simply written again).
 */
import pg from 'pg';
import { cpuSampler } from '../../storage/bench/data.ts';
import { benchFiles, benchRepository, type BenchFile } from '../../storage/bench/files.ts';
import { createPostgresStore } from '../src/index.ts';
import { benchModel, schemaArguments } from './bench-schema.ts';

const { size, connectionString, schema, keywordOnly, writers } = schemaArguments('build.ts');
const log = (message: string): void => {
  process.stderr.write(`[postgres build ${size}] ${message}\n`);
};

const store = await createPostgresStore({
  connectionString,
  schema,
  embedding: keywordOnly ? null : benchModel,
  vectorIndex: 'auto',
  maxConnections: writers + 1,
});
const admin = new pg.Client({ connectionString });
await admin.connect();
await admin.query(
  `CREATE TABLE IF NOT EXISTS "${schema}".bench_progress (
     id integer PRIMARY KEY, chunks_written bigint NOT NULL, insert_seconds float8 NOT NULL)`,
);
const saved = await admin.query<{ chunks_written: string; insert_seconds: number }>(
  `SELECT chunks_written, insert_seconds FROM "${schema}".bench_progress WHERE id = 1`,
);
let chunksWritten = Number(saved.rows[0]?.chunks_written ?? 0);
let insertSeconds = saved.rows[0]?.insert_seconds ?? 0;
const saveProgress = async (): Promise<void> => {
  await admin.query(
    `INSERT INTO "${schema}".bench_progress VALUES (1, $1, $2)
     ON CONFLICT (id) DO UPDATE SET chunks_written = $1, insert_seconds = $2`,
    [chunksWritten, insertSeconds],
  );
};

const cpu = cpuSampler();
if (chunksWritten < size) {
  if (chunksWritten > 0) log(`resuming inserts after ${chunksWritten} chunks`);
  const repositories = new Map<number, number>();
  const write = async (entry: BenchFile): Promise<void> => {
    await store.writeFile(repositories.get(entry.repository)!, entry.file, entry.chunks);
    if (!keywordOnly) await store.putEmbeddings(entry.vectors);
  };
  /** Files written between two progress records. */
  const batchFiles = 250;
  let batch: BenchFile[] = [];
  let batchStarted = performance.now();
  const flush = async (): Promise<void> => {
    if (batch.length === 0) return;
    const started = performance.now();
    let next = 0;
    await Promise.all(
      Array.from({ length: writers }, async () => {
        while (next < batch.length) await write(batch[next++]!);
      }),
    );
    insertSeconds += (performance.now() - started) / 1000;
    chunksWritten = batch.at(-1)!.chunksBefore;
    batch = [];
    await saveProgress();
    if (chunksWritten % 100_000 < batchFiles * 20) {
      log(
        `${chunksWritten} chunks written (${((performance.now() - batchStarted) / 1000).toFixed(0)} s for the last 100k)`,
      );
      batchStarted = performance.now();
    }
  };
  for (const entry of benchFiles(size, chunksWritten)) {
    if (!repositories.has(entry.repository)) {
      const repository = await store.upsertRepository(benchRepository(entry.repository));
      repositories.set(entry.repository, repository.id);
    }
    if (entry.skipped) continue;
    batch.push(entry);
    if (batch.length >= batchFiles) await flush();
  }
  await flush();
}
const { otherCores } = cpu();
const bytes = await admin.query<{ bytes: string }>(
  `SELECT coalesce(sum(pg_total_relation_size(c.oid)), 0) AS bytes
   FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
   WHERE n.nspname = $1 AND c.relkind = 'r'`,
  [schema],
);
await admin.end();
await store.close();
process.stdout.write(
  `${JSON.stringify({
    size,
    insertSeconds,
    chunksPerSecond: insertSeconds > 0 ? size / insertSeconds : null,
    writers,
    databaseBytes: Number(bytes.rows[0]?.bytes ?? 0),
    otherCores,
  })}\n`,
);
