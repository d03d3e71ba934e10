/**
 * Aggregation as semble reports it: a mean over each repository's queries, then a mean over
 * repositories; categories and languages likewise (a repository counts in a category when it
 * has queries of that category). Peer figures are averaged over the same repositories.
 */
import { mean, percentile } from '../stats.ts';
import type { Category, PeerMethod } from './benchmark-data.ts';
import type { ScoredHit, Target } from './scoring.ts';

export interface QueryResult {
  query: string;
  category: Category;
  targets: Target[];
  ranks: number[];
  ndcgAt5: number;
  ndcgAt10: number;
  top: ScoredHit[];
  milliseconds: number;
}

export interface RepoResult {
  name: string;
  language: string;
  files: number;
  chunks: number;
  indexSeconds: number;
  queries: QueryResult[];
}

export interface RepoSummary {
  name: string;
  language: string;
  queries: number;
  files: number;
  chunks: number;
  indexSeconds: number;
  ndcgAt5: number;
  ndcgAt10: number;
  byCategory: Record<string, number>;
  queryP50Ms: number;
  queryP95Ms: number;
  /** Published NDCG@10 of each peer method for this repository, where there is one. */
  peers: Record<string, number>;
}

export interface PeerSummary {
  id: string;
  scoring: string;
  /** How many of the run's repositories the peer published a figure for. */
  repos: number;
  ndcgAt10: number;
  byCategory: Record<string, number>;
}

export interface RunSummary {
  repos: RepoSummary[];
  queries: number;
  ndcgAt5: number;
  ndcgAt10: number;
  byCategory: Record<string, number>;
  byLanguage: Record<string, { repos: number; ndcgAt10: number }>;
  chunks: number;
  indexSeconds: number;
  queryP50Ms: number;
  queryP95Ms: number;
  peers: PeerSummary[];
}

function meanByKey(entries: readonly Record<string, number>[]): Record<string, number> {
  const grouped = new Map<string, number[]>();
  for (const entry of entries) {
    for (const [key, value] of Object.entries(entry)) {
      grouped.set(key, [...(grouped.get(key) ?? []), value]);
    }
  }
  return Object.fromEntries(
    [...grouped.keys()].sort().map((key) => [key, mean(grouped.get(key) ?? [])]),
  );
}

export function summariseRepo(result: RepoResult, peers: readonly PeerMethod[] = []): RepoSummary {
  const categories = new Map<string, number[]>();
  for (const query of result.queries) {
    categories.set(query.category, [...(categories.get(query.category) ?? []), query.ndcgAt10]);
  }
  const latencies = result.queries.map((query) => query.milliseconds);
  return {
    name: result.name,
    language: result.language,
    queries: result.queries.length,
    files: result.files,
    chunks: result.chunks,
    indexSeconds: result.indexSeconds,
    ndcgAt5: mean(result.queries.map((query) => query.ndcgAt5)),
    ndcgAt10: mean(result.queries.map((query) => query.ndcgAt10)),
    byCategory: Object.fromEntries(
      [...categories.entries()]
        .sort(([a], [b]) => a.localeCompare(b))
        .map(([key, values]) => [key, mean(values)]),
    ),
    queryP50Ms: percentile(latencies, 50),
    queryP95Ms: percentile(latencies, 95),
    peers: Object.fromEntries(
      peers.flatMap((peer) => {
        const published = peer.perRepo[result.name];
        return published ? [[peer.id, published.ndcg10]] : [];
      }),
    ),
  };
}

export function summarisePeers(
  peers: readonly PeerMethod[],
  repoNames: readonly string[],
): PeerSummary[] {
  return peers.map((peer) => {
    const covered = repoNames.flatMap((name) => (peer.perRepo[name] ? [peer.perRepo[name]] : []));
    return {
      id: peer.id,
      scoring: peer.scoring,
      repos: covered.length,
      ndcgAt10: mean(covered.map((entry) => entry.ndcg10)),
      byCategory: meanByKey(covered.map((entry) => entry.byCategory)),
    };
  });
}

export function summariseRun(
  results: readonly RepoResult[],
  peers: readonly PeerMethod[],
): RunSummary {
  const repos = results
    .filter((result) => result.queries.length > 0)
    .map((result) => summariseRepo(result, peers));
  const languages = [...new Set(repos.map((repo) => repo.language))].sort();
  const latencies = results.flatMap((result) => result.queries.map((query) => query.milliseconds));
  return {
    repos,
    queries: repos.reduce((sum, repo) => sum + repo.queries, 0),
    ndcgAt5: mean(repos.map((repo) => repo.ndcgAt5)),
    ndcgAt10: mean(repos.map((repo) => repo.ndcgAt10)),
    byCategory: meanByKey(repos.map((repo) => repo.byCategory)),
    byLanguage: Object.fromEntries(
      languages.map((language) => {
        const ofLanguage = repos.filter((repo) => repo.language === language);
        return [
          language,
          { repos: ofLanguage.length, ndcgAt10: mean(ofLanguage.map((repo) => repo.ndcgAt10)) },
        ];
      }),
    ),
    chunks: repos.reduce((sum, repo) => sum + repo.chunks, 0),
    indexSeconds: results.reduce((sum, result) => sum + result.indexSeconds, 0),
    queryP50Ms: percentile(latencies, 50),
    queryP95Ms: percentile(latencies, 95),
    peers: summarisePeers(
      peers,
      repos.map((repo) => repo.name),
    ),
  };
}
