/**
 * Opens a benchmark store built by build.ts and measures search latency, recall and memory.
 * Usage: query.ts <chunks> <directory> [--keyword-only] [--queries N]. Prints one JSON line.
 * Each figure is given as wall time and as the CPU time of the query (the process's user and
 * system time around it), which a loaded machine inflates much less than wall time.
 * `--keyword-only` measures the full-text searches alone, which need no HNSW index (e.g. while
 * the index of a large store is still being built).
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { CodeSearchRequest } from '@nellie/core';
import { createSqliteStore } from '../src/index.ts';
import {
  clusterCentres,
  CodeTextGenerator,
  cpuSampler,
  dimensions,
  percentile,
  vectorAt,
} from './data.ts';

const size = Number(process.argv[2]);
const directory = process.argv[3]!;
const keywordOnly = process.argv.includes('--keyword-only');
const queriesFlag = process.argv.indexOf('--queries');
const queryCount = queriesFlag > 0 ? Number(process.argv[queriesFlag + 1]) : 200;
// Ground truth is written by build.ts before the HNSW index is built.
const { truth, filteredTruth } = (
  keywordOnly
    ? { truth: [], filteredTruth: [] }
    : JSON.parse(readFileSync(join(directory, 'truth.json'), 'utf8'))
) as {
  truth: number[][];
  filteredTruth: number[][];
};

const centres = clusterCentres();
const vectors = Array.from({ length: queryCount }, (_, query) => vectorAt(centres, query, 11));
const text = new CodeTextGenerator(5);
const texts = Array.from({ length: queryCount }, (_, query) =>
  text.query(query % 2 === 0 ? 'words' : 'identifier'),
);

const openStarted = performance.now();
const store = await createSqliteStore({
  path: join(directory, 'bench.db'),
  // Keyword-only: opened without vectors, so no HNSW index is loaded or built.
  embedding: keywordOnly ? null : { modelId: 'bench-synthetic-384', dimensions },
});
const status = keywordOnly ? null : await store.vectorIndexStatus();
const openMs = performance.now() - openStarted;

async function measure(
  label: string,
  request: (query: number) => CodeSearchRequest,
  expected?: number[][],
): Promise<Record<string, number | string>> {
  for (let query = 0; query < 20; query += 1) await store.searchCode(request(query));
  const latencies: number[] = [];
  const cpuTimes: number[] = [];
  let recall = 0;
  let hits = 0;
  for (let query = 0; query < queryCount; query += 1) {
    const cpuStarted = process.cpuUsage();
    const started = performance.now();
    const result = await store.searchCode(request(query));
    latencies.push(performance.now() - started);
    const cpuUsed = process.cpuUsage(cpuStarted);
    cpuTimes.push((cpuUsed.user + cpuUsed.system) / 1000);
    hits += result.length;
    if (expected) {
      const ids = new Set(result.map((hit) => hit.chunkId));
      recall += expected[query]!.filter((id) => ids.has(id)).length / 10;
    }
  }
  latencies.sort((a, b) => a - b);
  cpuTimes.sort((a, b) => a - b);
  return {
    label,
    p50: percentile(latencies, 50),
    p95: percentile(latencies, 95),
    max: latencies.at(-1)!,
    cpuP50: percentile(cpuTimes, 50),
    cpuP95: percentile(cpuTimes, 95),
    meanHits: hits / queryCount,
    ...(expected ? { recallAt10: recall / queryCount } : {}),
  };
}

const cpu = cpuSampler();
const keywordKinds = [
  await measure('keyword', (query) => ({ query: texts[query]!, limit: 10 })),
  await measure('keyword, one repository', (query) => ({
    query: texts[query]!,
    limit: 10,
    repository: 'repo-3',
  })),
  await measure('keyword, one language', (query) => ({
    query: texts[query]!,
    limit: 10,
    language: 'go',
  })),
  await measure('keyword, path glob', (query) => ({
    query: texts[query]!,
    limit: 10,
    pathGlob: 'src/module-7/**',
  })),
];
const results = keywordOnly
  ? keywordKinds
  : [
      ...keywordKinds,
      await measure(
        'vector kNN',
        (query) => ({ query: '', queryVector: vectors[query], limit: 10 }),
        truth,
      ),
      await measure(
        'vector kNN, one repository',
        (query) => ({ query: '', queryVector: vectors[query], limit: 10, repository: 'repo-3' }),
        filteredTruth,
      ),
      await measure('hybrid', (query) => ({
        query: texts[query]!,
        queryVector: vectors[query],
        limit: 10,
      })),
      await measure('hybrid, one repository', (query) => ({
        query: texts[query]!,
        queryVector: vectors[query],
        limit: 10,
        repository: 'repo-3',
      })),
      // A tenth of the store (see `fileLanguage`), and one directory in fifty.
      await measure('hybrid, one language', (query) => ({
        query: texts[query]!,
        queryVector: vectors[query],
        limit: 10,
        language: 'go',
      })),
      await measure('hybrid, path glob', (query) => ({
        query: texts[query]!,
        queryVector: vectors[query],
        limit: 10,
        pathGlob: 'src/module-7/**',
      })),
    ];
const load = cpu();
const peak = /VmHWM:\s+(\d+) kB/.exec(readFileSync('/proc/self/status', 'utf8'));
await store.close();
process.stdout.write(
  `${JSON.stringify({
    size,
    openMs,
    status,
    results,
    rssBytes: process.memoryUsage().rss,
    peakRssBytes: peak ? Number(peak[1]) * 1024 : null,
    otherCores: load.otherCores,
  })}\n`,
);
