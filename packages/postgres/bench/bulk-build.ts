/**
 * Fills a PostgreSQL benchmark schema with N chunks in bulk, for measuring searches on stores
 * too large to write through the public API in reasonable time (1M chunks take 45+ minutes
 * there). The data is build.ts's (packages/storage/bench/files.ts), tokenised by the store's own
 * `prepareFileWrite` and stored with the same SQL expressions, but written 250 files per
 * statement with the full-text index and the word-count trigger out of the way: the GIN index
 * is created and the word counts (`term_documents`) are computed once at the end, as migration 7
 * does. Bench-only: it bypasses the store's write path, so its speed is no insert figure; the
 * insert throughput stays build.ts's. Usage: bulk-build.ts <chunks> <connection string>
 * <schema> [--keyword-only]. Prints one JSON line.
 *
 * The schema must be new, hold only repositories, or hold a bulk build of the same size that was
 * stopped (marked by the `bench_bulk_build` table until it ends): that one is resumed, writing
 * the files it misses (each batch of files is one transaction, so a file is there whole or not
 * at all) and then the index and word counts. It records itself as fully built in
 * `bench_progress` with no insert time, so build.ts and run.ts reuse it as "schema reused".
 */
import pg from 'pg';
import { prepareFileWrite } from '@nellie/storage/store-kit';
import { chunksPerFile, cpuSampler } from '../../storage/bench/data.ts';
import { benchFiles, benchRepository, type BenchFile } from '../../storage/bench/files.ts';
import { createPostgresStore } from '../src/index.ts';
import { textConfig } from '../src/internal/schema.ts';
import { benchModel, schemaArguments } from './bench-schema.ts';

const { size, connectionString, schema, keywordOnly } = schemaArguments('bulk-build.ts');
const log = (message: string): void => {
  process.stderr.write(`[postgres bulk build ${size}] ${message}\n`);
};
const s = `"${schema}"`;
const config = textConfig(schema);

// The store creates and migrates the schema and records the model; repositories go through it.
const store = await createPostgresStore({
  connectionString,
  schema,
  embedding: keywordOnly ? null : benchModel,
  vectorIndex: 'auto',
  maxConnections: 2,
});
const repositories = new Map<number, number>();
for (let repository = 0; repository < 20; repository += 1) {
  repositories.set(repository, (await store.upsertRepository(benchRepository(repository))).id);
}
await store.close();

/** Files per statement. */
const batchFiles = 250;

const pool = new pg.Pool({ connectionString, max: 2 });
const admin = await pool.connect();
const existing = await admin.query<{ n: string }>(`SELECT count(*) AS n FROM ${s}.chunks`);
const marked = await admin.query<{ table: string | null }>(
  `SELECT to_regclass($1)::text AS table`,
  [`${s}.bench_bulk_build`],
);
const stoppedSize =
  marked.rows[0]?.table == null
    ? null
    : ((await admin.query<{ size: number }>(`SELECT size FROM ${s}.bench_bulk_build`)).rows[0]
        ?.size ?? null);
if (Number(existing.rows[0]?.n) > 0 && stoppedSize !== size) {
  throw new Error(
    stoppedSize === null
      ? `${schema} already holds chunks: drop it before a bulk build.`
      : `${schema} holds a stopped bulk build of ${stoppedSize} chunks, not ${size}: drop it or resume that size.`,
  );
}
await admin.query(`CREATE TABLE IF NOT EXISTS ${s}.bench_bulk_build (size integer NOT NULL)`);
await admin.query(`TRUNCATE ${s}.bench_bulk_build`);
await admin.query(`INSERT INTO ${s}.bench_bulk_build VALUES ($1)`, [size]);
await admin.query(`ALTER TABLE ${s}.chunks DISABLE TRIGGER chunks_count_added`);
await admin.query(`DROP INDEX IF EXISTS ${s}.chunks_tokens`);
// A resumed build skips the files already written. Batches commit out of order (two at a
// time), so only the files before the last two batches' worth are surely all there: those are
// not even generated in full, the rest are checked one by one.
const writtenFiles = new Set(
  (
    await admin.query<{ repository_id: number; path: string }>(
      `SELECT repository_id, path FROM ${s}.files`,
    )
  ).rows.map((row) => `${row.repository_id}\u0000${row.path}`),
);
admin.release();
const resumeAt = Math.max(0, writtenFiles.size - 2 * batchFiles) * chunksPerFile;
if (writtenFiles.size > 0) {
  log(`resuming: ${writtenFiles.size} files already written, from chunk ${resumeAt}`);
}

const started = performance.now();
const cpu = cpuSampler();

/** Writes one batch of files, their chunks and vectors, in one transaction. */
async function writeBatch(batch: readonly BenchFile[]): Promise<void> {
  const prepared = batch.map((entry) => ({
    entry,
    write: prepareFileWrite(entry.file, entry.chunks),
  }));
  const db = await pool.connect();
  try {
    await db.query('BEGIN');
    const files = await db.query<{ id: number; repository_id: number; path: string }>(
      `INSERT INTO ${s}.files (repository_id, path, language, size, mtime_ms, content_hash, indexed_at)
       SELECT t.repository_id, t.path, t.language, 1000, 1, t.content_hash, $5
       FROM unnest($1::int[], $2::text[], $3::text[], $4::text[])
         AS t(repository_id, path, language, content_hash)
       RETURNING id, repository_id, path`,
      [
        prepared.map(({ entry }) => repositories.get(entry.repository)!),
        prepared.map(({ write }) => write.file.path),
        prepared.map(({ write }) => write.language),
        prepared.map(({ write }) => write.file.contentHash),
        new Date().toISOString(),
      ],
    );
    const fileKey = (repositoryId: number, path: string): string => `${repositoryId}\u0000${path}`;
    const fileIds = new Map(
      files.rows.map((row) => [fileKey(row.repository_id, row.path), row.id]),
    );
    const chunks = prepared.flatMap(({ write }, index) =>
      write.chunks.map((chunk) => ({
        ...chunk,
        fileIndex: index,
        fileKey: fileKey(repositories.get(prepared[index]!.entry.repository)!, write.file.path),
        pathTokens: write.pathTokens,
      })),
    );
    const column = <T>(pick: (entry: (typeof chunks)[number]) => T): T[] => chunks.map(pick);
    await db.query(
      `INSERT INTO ${s}.chunks (file_id, repository_id, start_line, end_line, symbol_name,
         symbol_key, symbol_kind, enclosing_symbol, language, content, content_hash, tokens)
       SELECT t.file_id, t.repository_id, t.start_line, t.end_line, t.symbol_name, t.symbol_key,
         t.symbol_kind, t.enclosing_symbol, t.language, t.content, t.content_hash,
         setweight(to_tsvector(${config}, t.symbol_tokens), 'A') ||
         setweight(to_tsvector(${config}, t.container_tokens), 'B') ||
         setweight(to_tsvector(${config}, t.path_tokens), 'C') ||
         setweight(to_tsvector(${config}, t.body_tokens), 'D')
       FROM unnest($1::bigint[], $2::int[], $3::int[], $4::int[], $5::text[], $6::text[],
         $7::text[], $8::text[], $9::text[], $10::text[], $11::text[], $12::text[], $13::text[],
         $14::text[], $15::text[])
         WITH ORDINALITY AS t(file_id, repository_id, start_line, end_line, symbol_name,
           symbol_key, symbol_kind, enclosing_symbol, language, content, content_hash,
           symbol_tokens, container_tokens, path_tokens, body_tokens, position)
       ORDER BY t.position`,
      [
        column((chunk) => fileIds.get(chunk.fileKey)!),
        column((chunk) => repositories.get(prepared[chunk.fileIndex]!.entry.repository)!),
        column((chunk) => chunk.chunk.startLine),
        column((chunk) => chunk.chunk.endLine),
        column((chunk) => chunk.chunk.symbolName ?? null),
        column((chunk) => chunk.symbolKey),
        column((chunk) => chunk.chunk.symbolKind ?? null),
        column((chunk) => chunk.chunk.enclosingSymbol ?? null),
        column((chunk) => chunk.language),
        column((chunk) => chunk.chunk.content),
        column((chunk) => chunk.contentHash),
        column((chunk) => chunk.symbolTokens),
        column((chunk) => chunk.containerTokens),
        column((chunk) => chunk.pathTokens),
        column((chunk) => chunk.bodyTokens),
      ],
    );
    if (!keywordOnly) {
      const vectors = batch.flatMap((entry) => entry.vectors);
      await db.query(
        `INSERT INTO ${s}.embeddings (content_hash, kind, vector)
         SELECT h, 0, v::real[] FROM unnest($1::text[], $2::text[]) AS t(h, v)
         ON CONFLICT (content_hash) DO NOTHING`,
        [
          vectors.map((item) => item.contentHash),
          vectors.map((item) => `{${Array.from(item.vector).join(',')}}`),
        ],
      );
    }
    await db.query('COMMIT');
  } catch (error) {
    await db.query('ROLLBACK');
    throw error;
  } finally {
    db.release();
  }
}

let batch: BenchFile[] = [];
const inFlight = new Set<Promise<void>>();
let written = 0;
let lastLog = performance.now();
const flush = async (): Promise<void> => {
  if (batch.length === 0) return;
  const pending = writeBatch(batch);
  const chunksAfter = batch.at(-1)!.chunksBefore;
  batch = [];
  const tracked = pending.then(() => {
    inFlight.delete(tracked);
    written = Math.max(written, chunksAfter);
    if (performance.now() - lastLog > 60_000) {
      log(`${written} chunks written, ${((performance.now() - started) / 1000).toFixed(0)} s`);
      lastLog = performance.now();
    }
  });
  inFlight.add(tracked);
  // Two batches at a time: one is prepared in JS while the server stores the other.
  if (inFlight.size >= 2) await Promise.race(inFlight);
};
for (const entry of benchFiles(size, resumeAt)) {
  if (entry.skipped) continue;
  const repositoryId = repositories.get(entry.repository)!;
  if (writtenFiles.has(`${repositoryId}\u0000${entry.file.path}`)) continue;
  batch.push(entry);
  if (batch.length >= batchFiles) await flush();
}
await flush();
await Promise.all(inFlight);
const writeSeconds = (performance.now() - started) / 1000;
log(`${size} chunks written in ${writeSeconds.toFixed(0)} s; indexing and counting words`);

const finishStarted = performance.now();
// The full-text index and the word counts, each on its own connection at the same time.
const buildIndex = async (): Promise<void> => {
  const db = await pool.connect();
  try {
    await db.query(`SET maintenance_work_mem = '1GB'`);
    await db.query(`CREATE INDEX chunks_tokens ON ${s}.chunks USING gin (tokens)`);
  } finally {
    db.release();
  }
};
// The word counts of every chunk in one pass, sorted, with the keys added afterwards
// (migration 7's way), then the trigger counts later writes again.
const countWords = async (): Promise<void> => {
  const db = await pool.connect();
  try {
    await db.query(`SET maintenance_work_mem = '1GB'`);
    await db.query(`SET work_mem = '256MB'`);
    await db.query(`SET enable_hashagg = off`);
    await db.query('BEGIN');
    await db.query(`ALTER TABLE ${s}.term_documents DROP CONSTRAINT term_documents_pkey`);
    await db.query(`DROP INDEX ${s}.term_documents_repository`);
    await db.query(`TRUNCATE ${s}.term_documents`);
    await db.query(
      `INSERT INTO ${s}.term_documents (token, repository_id, language, documents)
       SELECT lexeme COLLATE "C", repository_id, coalesce(language, ''), count(*)
       FROM ${s}.chunks, unnest(tsvector_to_array(tokens)) AS lexeme
       GROUP BY 1, 2, 3`,
    );
    await db.query(
      `ALTER TABLE ${s}.term_documents ADD PRIMARY KEY (token, repository_id, language)`,
    );
    await db.query(`CREATE INDEX term_documents_repository ON ${s}.term_documents (repository_id)`);
    await db.query(`ALTER TABLE ${s}.chunks ENABLE TRIGGER chunks_count_added`);
    await db.query('COMMIT');
  } finally {
    db.release();
  }
};
await Promise.all([buildIndex(), countWords()]);
const finish = await pool.connect();
await finish.query(`VACUUM ANALYZE ${s}.chunks`);
await finish.query(`VACUUM ANALYZE ${s}.term_documents`);
await finish.query(`VACUUM ANALYZE ${s}.embeddings`);
await finish.query(`VACUUM ANALYZE ${s}.files`);
await finish.query(
  `CREATE TABLE IF NOT EXISTS ${s}.bench_progress (
     id integer PRIMARY KEY, chunks_written bigint NOT NULL, insert_seconds float8 NOT NULL)`,
);
await finish.query(
  `INSERT INTO ${s}.bench_progress VALUES (1, $1, 0)
   ON CONFLICT (id) DO UPDATE SET chunks_written = $1, insert_seconds = 0`,
  [size],
);
await finish.query(`DROP TABLE ${s}.bench_bulk_build`);
const finishSeconds = (performance.now() - finishStarted) / 1000;
const bytes = await finish.query<{ bytes: string }>(
  `SELECT coalesce(sum(pg_total_relation_size(c.oid)), 0) AS bytes
   FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
   WHERE n.nspname = $1 AND c.relkind = 'r'`,
  [schema],
);
finish.release();
await pool.end();
const { otherCores } = cpu();
process.stdout.write(
  `${JSON.stringify({
    size,
    bulk: true,
    resumedAfterFiles: writtenFiles.size,
    writeSeconds,
    finishSeconds,
    databaseBytes: Number(bytes.rows[0]?.bytes ?? 0),
    otherCores,
  })}\n`,
);
