/**
 * Opens a PostgreSQL benchmark schema filled by build.ts and measures the searches of the shared
 * query set (packages/storage/bench/query-set.ts), one after another, in a fresh process.
 * Usage: query.ts <chunks> <connection string> <schema> [--keyword-only] [--queries N]
 * [--truth <SQLite bench store directory>] [--vector-index-dir <dir>]. Prints one JSON line.
 *
 * Beside this process's CPU time per query, it gives the CPU time the PostgreSQL backends spent
 * per query (from /proc, when the server runs on this machine). recall@10 is measured against
 * the exact neighbours the SQLite bench computed for the same data (`--truth`).
 */
import type { CodeSearchHit } from '@nellie/core';
import pg from 'pg';
import { cpuSampler } from '../../storage/bench/data.ts';
import {
  expectedFor,
  measureSearch,
  querySet,
  readGroundTruth,
  searchKinds,
  writeQueryFigures,
} from '../../storage/bench/query-set.ts';
import { createPostgresStore } from '../src/index.ts';
import { backendCpuBetween, backendCpuSeconds } from './backend-cpu.ts';
import { benchModel, schemaArguments } from './bench-schema.ts';

const {
  size,
  connectionString,
  schema,
  keywordOnly,
  queries: queryCount,
  truth,
  vectorIndexDir,
} = schemaArguments('query.ts');
const groundTruth = readGroundTruth(truth);

globalThis.gc?.();
const rssBefore = process.memoryUsage().rss;
const openStarted = performance.now();
const store = await createPostgresStore({
  connectionString,
  schema,
  embedding: keywordOnly ? null : benchModel,
  // Without pgvector: the in-process index is built with every core (the default is one, so a
  // server keeps a core for its requests while it builds in the background).
  memoryIndex: { threads: 0 },
  // Saved when the store closes and loaded at the next run, instead of built again.
  ...(vectorIndexDir === undefined ? {} : { vectorIndexDir }),
});
const openMs = performance.now() - openStarted;
// Without pgvector the in-process index is built from every stored vector here (in background
// steps while a server answers); pgvector answers from the database.
const indexStarted = performance.now();
const status = await store.syncVectorIndex();
const indexMs = performance.now() - indexStarted;
globalThis.gc?.();
const indexRssMiB = (process.memoryUsage().rss - rssBefore) / 1024 / 1024;
const admin = new pg.Client({ connectionString });
await admin.connect();

/** The data-set position of a hit (chunk index + 1), from the marker its content ends with. */
const position = (hit: CodeSearchHit): number =>
  Number(/\/\/ c(\d+)\n}$/.exec(hit.content)?.[1]) + 1;

const cpu = cpuSampler();
const results = [];
for (const kind of searchKinds(querySet(queryCount), { keywordOnly })) {
  const before = await backendCpuSeconds(admin);
  const figures = await measureSearch(
    (request) => store.searchCode(request),
    kind,
    queryCount,
    expectedFor(kind, groundTruth),
    position,
  );
  const serverSeconds = backendCpuBetween(before, await backendCpuSeconds(admin));
  results.push({
    ...figures,
    // Warm-up queries included: measureSearch runs min(20, count) of them first.
    serverCpuMean:
      serverSeconds === null
        ? null
        : (serverSeconds * 1000) / (queryCount + Math.min(20, queryCount)),
  });
}
const load = cpu();
await admin.end();
await store.close();
writeQueryFigures({
  size,
  openMs,
  indexMs,
  indexRssMiB,
  status,
  results,
  otherCores: load.otherCores,
});
