/**
 * Opens a benchmark store built by build.ts and measures search latency, recall and memory.
 * Usage: query.ts <chunks> <directory> [--keyword-only] [--queries N]. Prints one JSON line.
 * Each figure is given as wall time and as the CPU time of the query (the process's user and
 * system time around it), which a loaded machine inflates much less than wall time.
 * `--keyword-only` measures the full-text searches alone, which need no HNSW index (e.g. while
 * the index of a large store is still being built).
 */
import { join } from 'node:path';
import { createSqliteStore } from '../src/index.ts';
import { cpuSampler, dimensions } from './data.ts';
import {
  defaultQueryCount,
  expectedFor,
  measureSearch,
  querySet,
  readGroundTruth,
  searchKinds,
  writeQueryFigures,
} from './query-set.ts';

const size = Number(process.argv[2]);
const directory = process.argv[3]!;
const keywordOnly = process.argv.includes('--keyword-only');
const queriesFlag = process.argv.indexOf('--queries');
const queryCount = queriesFlag > 0 ? Number(process.argv[queriesFlag + 1]) : defaultQueryCount;
// Ground truth is written by build.ts before the HNSW index is built.
const groundTruth = keywordOnly ? {} : readGroundTruth(directory);

const openStarted = performance.now();
const store = await createSqliteStore({
  path: join(directory, 'bench.db'),
  // Keyword-only: opened without vectors, so no HNSW index is loaded or built.
  embedding: keywordOnly ? null : { modelId: 'bench-synthetic-384', dimensions },
});
const status = keywordOnly ? null : await store.vectorIndexStatus();
const openMs = performance.now() - openStarted;

const cpu = cpuSampler();
const results = [];
for (const kind of searchKinds(querySet(queryCount), { keywordOnly })) {
  results.push(
    await measureSearch(
      (request) => store.searchCode(request),
      kind,
      queryCount,
      expectedFor(kind, groundTruth),
    ),
  );
}
const load = cpu();
await store.close();
writeQueryFigures({ size, openMs, status, results, otherCores: load.otherCores });
