/**
 * The queries every store benchmark runs (the SQLite one here, the PostgreSQL one in
 * packages/postgres/bench): the same texts and vectors, the same request kinds, measured the same
 * way, so their figures can stand side by side.
 */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { CodeSearchHit, CodeSearchRequest } from '@nellie/core';
import { clusterCentres, CodeTextGenerator, percentile, vectorAt } from './data.ts';

export const defaultQueryCount = 200;
/** The repository the filtered searches and the filtered ground truth are about. */
export const filteredRepository = 3;

export interface QuerySet {
  vectors: Float32Array[];
  /** Half word queries, half identifier queries. */
  texts: string[];
}

export function querySet(count = defaultQueryCount): QuerySet {
  const centres = clusterCentres();
  const text = new CodeTextGenerator(5);
  return {
    vectors: Array.from({ length: count }, (_, query) => vectorAt(centres, query, 11)),
    texts: Array.from({ length: count }, (_, query) =>
      text.query(query % 2 === 0 ? 'words' : 'identifier'),
    ),
  };
}

export interface SearchKind {
  label: string;
  request(query: number): CodeSearchRequest;
  /** Which exact nearest neighbours recall@10 is measured against (vector-only kinds). */
  truth?: 'all' | 'repository';
}

/** The keyword kinds, then (unless `keywordOnly`) the vector and hybrid kinds. */
export function searchKinds(set: QuerySet, options: { keywordOnly: boolean }): SearchKind[] {
  const repository = `repo-${filteredRepository}`;
  const keyword = (query: number): CodeSearchRequest => ({ query: set.texts[query]!, limit: 10 });
  const hybrid = (query: number): CodeSearchRequest => ({
    ...keyword(query),
    queryVector: set.vectors[query],
  });
  const vector = (query: number): CodeSearchRequest => ({
    query: '',
    queryVector: set.vectors[query],
    limit: 10,
  });
  const kinds: SearchKind[] = [
    { label: 'keyword', request: keyword },
    { label: 'keyword, one repository', request: (q) => ({ ...keyword(q), repository }) },
    { label: 'keyword, one language', request: (q) => ({ ...keyword(q), language: 'go' }) },
    {
      label: 'keyword, path glob',
      request: (q) => ({ ...keyword(q), pathGlob: 'src/module-7/**' }),
    },
  ];
  if (options.keywordOnly) return kinds;
  return [
    ...kinds,
    { label: 'vector kNN', request: vector, truth: 'all' },
    {
      label: 'vector kNN, one repository',
      request: (q) => ({ ...vector(q), repository }),
      truth: 'repository',
    },
    { label: 'hybrid', request: hybrid },
    { label: 'hybrid, one repository', request: (q) => ({ ...hybrid(q), repository }) },
    // A tenth of the store (see `fileLanguage`), and one directory in fifty.
    { label: 'hybrid, one language', request: (q) => ({ ...hybrid(q), language: 'go' }) },
    { label: 'hybrid, path glob', request: (q) => ({ ...hybrid(q), pathGlob: 'src/module-7/**' }) },
  ];
}

export interface SearchFigures {
  label: string;
  p50: number;
  p95: number;
  max: number;
  /** CPU time of this process around each query (user + system), in ms. */
  cpuP50: number;
  cpuP95: number;
  meanHits: number;
  recallAt10?: number;
}

/**
 * Runs `count` queries of a kind one after another (after 20 warm-up queries) and gives wall and
 * CPU percentiles. `expected` holds the exact top ten per query as data-set positions (chunk
 * index + 1); `position` says which a hit is (by default its chunk id, which follows insertion
 * order in the SQLite bench store).
 */
export async function measureSearch(
  search: (request: CodeSearchRequest) => Promise<readonly CodeSearchHit[]>,
  kind: SearchKind,
  count: number,
  expected?: readonly (readonly number[])[],
  position: (hit: CodeSearchHit) => number = (hit) => hit.chunkId,
): Promise<SearchFigures> {
  for (let query = 0; query < Math.min(20, count); query += 1) await search(kind.request(query));
  const latencies: number[] = [];
  const cpuTimes: number[] = [];
  let recall = 0;
  let hits = 0;
  for (let query = 0; query < count; query += 1) {
    const cpuStarted = process.cpuUsage();
    const started = performance.now();
    const result = await search(kind.request(query));
    latencies.push(performance.now() - started);
    const cpuUsed = process.cpuUsage(cpuStarted);
    cpuTimes.push((cpuUsed.user + cpuUsed.system) / 1000);
    hits += result.length;
    if (expected) {
      const found = new Set(result.map(position));
      recall += expected[query]!.filter((id) => found.has(id)).length / 10;
    }
  }
  latencies.sort((a, b) => a - b);
  cpuTimes.sort((a, b) => a - b);
  return {
    label: kind.label,
    p50: percentile(latencies, 50),
    p95: percentile(latencies, 95),
    max: latencies.at(-1)!,
    cpuP50: percentile(cpuTimes, 50),
    cpuP95: percentile(cpuTimes, 95),
    meanHits: hits / count,
    ...(expected ? { recallAt10: recall / count } : {}),
  };
}

/** Exact top tens per query, overall and within the filtered repository (build.ts writes them). */
export interface GroundTruth {
  truth?: number[][];
  filteredTruth?: number[][];
}

/** The ground truth in a SQLite bench store's directory; none when it is not there. */
export function readGroundTruth(directory: string | undefined): GroundTruth {
  const file = directory === undefined ? undefined : join(directory, 'truth.json');
  return file !== undefined && existsSync(file)
    ? (JSON.parse(readFileSync(file, 'utf8')) as GroundTruth)
    : {};
}

/** What recall@10 of a kind is measured against, if anything. */
export function expectedFor(kind: SearchKind, groundTruth: GroundTruth): number[][] | undefined {
  if (kind.truth === 'all') return groundTruth.truth;
  return kind.truth === 'repository' ? groundTruth.filteredTruth : undefined;
}

/** Writes a query process's figures, with its memory, as the one JSON line its parent reads. */
export function writeQueryFigures(figures: Record<string, unknown>): void {
  const peak = /VmHWM:\s+(\d+) kB/.exec(readFileSync('/proc/self/status', 'utf8'));
  process.stdout.write(
    `${JSON.stringify({
      ...figures,
      rssBytes: process.memoryUsage().rss,
      peakRssBytes: peak ? Number(peak[1]) * 1024 : null,
    })}\n`,
  );
}
