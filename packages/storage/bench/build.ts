/**
 * Builds a benchmark store of N chunks in a directory: inserts files (20 chunks each) with their
 * vectors and full-text entries, computes exact ground truth, and builds the HNSW index.
 * Usage: build.ts <chunks> <directory>. Prints one JSON line.
 *
 * Rows are written by the store's own write code (`CodeRepositoryStore.writeFile`, which
 * validates, tokenises and fills the chunk rows, indexes and FTS5 table, and
 * `EmbeddingStore.put`), but many files share one transaction instead of one each: a commit
 * per 20-chunk file rewrites the same index pages into the WAL thousands of times, which made a
 * 1M-chunk build take hours on a loaded machine. The HNSW index is built once, after the
 * inserts, by the store's `VectorIndex`, and saved every `annStep` vectors.
 *
 * Every stage records its progress in `progress.json`, so a build that was stopped resumes
 * where it left off: inserts from the last committed batch of files, the HNSW index from its
 * last saved file.
 */
import { existsSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { noopLogger } from '@nellie/core';
import usearch from 'usearch';
import { createSqliteStore } from '../src/index.ts';
import { CodeRepositoryStore } from '../src/internal/code-store.ts';
import { StoreContext } from '../src/internal/context.ts';
import { openDatabase } from '../src/internal/database.ts';
import { EmbeddingStore } from '../src/internal/embedding-store.ts';
import { VectorIndex } from '../src/internal/vector-index.ts';
import { sqliteStoreOptionsSchema } from '../src/internal/sqlite-store-options.ts';
import {
  chunksPerFile,
  clusterCentres,
  cpuSampler,
  dimensions,
  repositoryCount,
  vectorAt,
} from './data.ts';
import { benchFiles, benchRepository } from './files.ts';
import { defaultQueryCount as queryCount, filteredRepository } from './query-set.ts';

const size = Number(process.argv[2]);
const directory = process.argv[3]!;
const path = join(directory, 'bench.db');
const progressFile = join(directory, 'progress.json');
const embedding = { modelId: 'bench-synthetic-384', dimensions };
/** Files written per transaction (5,000 chunks). */
const filesPerTransaction = 250;
/** Vectors added to the HNSW index between two saves. */
const annStep = 100_000;
/** SQLite page cache while building: the chunk, hash and FTS indexes stay in memory. */
const buildCacheKiB = 1024 * 1024;

interface Progress {
  chunksWritten: number;
  insertSeconds: number;
  truthSeconds: number | null;
  annBuildSeconds: number;
  annSaveSeconds: number;
  annDone: boolean;
  annIndexed: number;
  fileBytes: number;
  otherCores: number[];
}

const progress: Progress = existsSync(progressFile)
  ? (JSON.parse(readFileSync(progressFile, 'utf8')) as Progress)
  : {
      chunksWritten: 0,
      insertSeconds: 0,
      truthSeconds: null,
      annBuildSeconds: 0,
      annSaveSeconds: 0,
      annDone: false,
      annIndexed: 0,
      fileBytes: 0,
      otherCores: [],
    };
const saveProgress = (): void => writeFileSync(progressFile, JSON.stringify(progress));
const log = (message: string): void => {
  process.stderr.write(`[build ${size}] ${message}\n`);
};
const cpu = cpuSampler();
const centres = clusterCentres();
const files = Math.ceil(size / chunksPerFile);
const filesPerRepository = Math.ceil(files / repositoryCount);

// 1. Inserts, with the ANN index off so the figure is SQLite alone (rows, FTS, vectors).
if (progress.chunksWritten < size) {
  // Creates the schema and records the model the way the server does.
  await (
    await createSqliteStore({ path, embedding, vectorIndex: { exactThreshold: 10_000_000 } })
  ).close();
  const options = sqliteStoreOptionsSchema.parse({ path, embedding, cacheSizeKiB: buildCacheKiB });
  const opened = openDatabase({ ...options, logger: noopLogger });
  const ctx = new StoreContext({
    ...opened,
    options,
    logger: noopLogger,
    embeddingModel: embedding,
  });
  const code = new CodeRepositoryStore(ctx);
  const vectors = new EmbeddingStore(ctx);
  // Resume after the last committed batch: it holds whole files and their vectors.
  const resumeAt = opened.db.prepare(`SELECT count(*) FROM chunks`).pluck().get() as number;
  if (resumeAt > 0) log(`resuming inserts after ${resumeAt} chunks`);
  let started = performance.now();
  let generateMs = 0;
  let chunkIndex = 0;
  let pending: (() => void)[] = [];
  const commit = (): void => {
    if (pending.length === 0) return;
    const writes = pending;
    pending = [];
    opened.db.transaction(() => {
      for (const write of writes) write();
    })();
    progress.chunksWritten = chunkIndex;
    progress.insertSeconds += (performance.now() - started - generateMs) / 1000;
    saveProgress();
    started = performance.now();
    generateMs = 0;
  };
  let batchStarted = performance.now();
  const repositories = new Map<number, number>();
  let generated = performance.now();
  for (const {
    repository,
    file: input,
    chunks,
    vectors: batch,
    chunksBefore,
    skipped,
  } of benchFiles(size, resumeAt)) {
    generateMs += performance.now() - generated;
    chunkIndex = chunksBefore;
    let repositoryId = repositories.get(repository);
    if (repositoryId === undefined) {
      repositoryId = code.upsertRepository(benchRepository(repository)).id;
      repositories.set(repository, repositoryId);
    }
    const repoId = repositoryId;
    generated = performance.now();
    if (skipped) continue;
    pending.push(() => {
      code.writeFile(repoId, input, chunks);
      vectors.put(batch);
    });
    if (pending.length >= filesPerTransaction) {
      commit();
      if (chunkIndex % 100_000 < filesPerTransaction * chunksPerFile) {
        const seconds = (performance.now() - batchStarted) / 1000;
        log(`${chunkIndex} chunks written (${seconds.toFixed(0)} s for the last 100k)`);
        batchStarted = performance.now();
      }
    }
    generated = performance.now();
  }
  commit();
  const last = opened.db.prepare(`SELECT content FROM chunks WHERE id = ?`).pluck().get(size) as
    string | undefined;
  if (!last?.endsWith(`// c${size - 1}\n}`)) {
    throw new Error('chunk ids do not follow insertion order');
  }
  opened.db.pragma('wal_checkpoint(TRUNCATE)');
  opened.db.close();
  progress.otherCores.push(cpu().otherCores);
  saveProgress();
}

// 2. Exact ground truth (chunk ids) for the query vectors, overall and within one repository.
if (progress.truthSeconds === null) {
  log('computing exact ground truth');
  const truthStarted = performance.now();
  const all = new Float32Array(size * dimensions);
  for (let index = 0; index < size; index += 1) {
    all.set(vectorAt(centres, index), index * dimensions);
  }
  const queries = new Float32Array(queryCount * dimensions);
  for (let query = 0; query < queryCount; query += 1)
    queries.set(vectorAt(centres, query, 11), query * dimensions);
  const exact = usearch.exactSearch(all, queries, dimensions, 10, 'cos' as never, 0) as unknown as {
    keys: BigUint64Array;
  };
  const truth = Array.from({ length: queryCount }, (_, query) =>
    Array.from(exact.keys.subarray(query * 10, query * 10 + 10), (key) => Number(key) + 1),
  );
  const perRepository = filesPerRepository * chunksPerFile;
  const first = filteredRepository * perRepository;
  // A copy: usearch reads typed arrays from the start of their buffer.
  const subset = all.slice(first * dimensions, Math.min(size, first + perRepository) * dimensions);
  const filtered = usearch.exactSearch(
    subset,
    queries,
    dimensions,
    10,
    'cos' as never,
    0,
  ) as unknown as {
    keys: BigUint64Array;
  };
  const filteredTruth = Array.from({ length: queryCount }, (_, query) =>
    Array.from(
      filtered.keys.subarray(query * 10, query * 10 + 10),
      (key) => Number(key) + first + 1,
    ),
  );
  writeFileSync(join(directory, 'truth.json'), JSON.stringify({ truth, filteredTruth }));
  progress.truthSeconds = (performance.now() - truthStarted) / 1000;
  saveProgress();
}

// 3. The HNSW index, built from SQLite on both cores by the store's VectorIndex and saved next
// to the database in steps; a resumed build loads the last saved step.
if (!progress.annDone) {
  const options = sqliteStoreOptionsSchema.parse({ path, embedding, vectorIndex: { threads: 0 } });
  const opened = openDatabase({ ...options, logger: noopLogger });
  const index = new VectorIndex({
    db: opened.db,
    file: opened.file,
    dimensions,
    options: options.vectorIndex,
    logger: noopLogger,
    readonly: false,
    usearch: await import('usearch'),
  });
  try {
    for (;;) {
      const started = performance.now();
      const status = index.syncAll(annStep);
      progress.annBuildSeconds += (performance.now() - started) / 1000;
      const saveStarted = performance.now();
      index.save();
      progress.annSaveSeconds += (performance.now() - saveStarted) / 1000;
      progress.annIndexed = status.indexed;
      progress.annDone = status.backlog === 0;
      saveProgress();
      log(`HNSW index holds ${status.indexed} vectors (${status.backlog} to go)`);
      if (progress.annDone) break;
    }
  } finally {
    index.close();
    opened.db.close();
  }
  progress.otherCores.push(cpu().otherCores);
  progress.fileBytes = statSync(path).size;
  saveProgress();
}

const otherCores =
  progress.otherCores.reduce((sum, value) => sum + value, 0) /
  Math.max(1, progress.otherCores.length);
process.stdout.write(
  `${JSON.stringify({
    size,
    insertSeconds: progress.insertSeconds,
    chunksPerSecond: size / progress.insertSeconds,
    chunksPerTransaction: filesPerTransaction * chunksPerFile,
    annBuildSeconds: progress.annBuildSeconds,
    annSaveSeconds: progress.annSaveSeconds,
    annIndexed: progress.annIndexed,
    truthSeconds: progress.truthSeconds,
    fileBytes: progress.fileBytes,
    otherCores,
  })}\n`,
);
