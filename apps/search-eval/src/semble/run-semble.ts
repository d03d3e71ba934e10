/**
 * Runs semble's code-search benchmark against Nellie: exports each repository of the split from
 * its git mirror, indexes it with the real indexer and store, runs every annotated query and
 * scores the top 10 chunks by semble's rules.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import type { TextPreparation } from '@nellie/embeddings';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { EvalStore } from '../eval-store.ts';
import {
  createModelEmbedder,
  createNellieEngine,
  type NellieEngine,
  type SearchMode,
} from '../nellie-engine.ts';
import {
  loadBenchmarkData,
  selectRepos,
  type BenchmarkTask,
  type RepoSpec,
  type Split,
} from './benchmark-data.ts';
import { exportRepository } from './repository-export.ts';
import { withVariant, type SettingVariant } from '../setting-variants.ts';
import { scoreQuery } from './scoring.ts';
import { summariseRun, type QueryResult, type RepoResult, type RunSummary } from './summary.ts';

export interface SembleRunOptions {
  dataDir: string;
  mirrorsDir: string;
  /** Exported trees go to `<cacheDir>/semble/<name>-<rev12>`. */
  cacheDir: string;
  split: Split;
  repos?: string[];
  mode: SearchMode;
  modelDir?: string;
  /** Reuse vectors kept here by earlier runs (tuning only; index times then exclude the model). */
  embeddingCacheDir?: string;
  /** Overrides the model's own text preparation. */
  textPreparation?: TextPreparation;
  /** Index every repository into one data directory and search with the repository filter. */
  sharedStore?: boolean;
  /** The store to index into (default SQLite). */
  store?: EvalStore;
  /**
   * Ranking settings to compare (see `parseVariations`): every query runs once per variant
   * against the same index. One store per repository only.
   */
  variants?: SettingVariant[];
  /** Called with one line of progress at a time. */
  onProgress?: (line: string) => void;
}

export interface UnavailableRepo {
  name: string;
  reason: string;
}

export interface SembleRun {
  split: Split;
  mode: SearchMode;
  modelId: string | null;
  sharedStore: boolean;
  store: EvalStore;
  results: RepoResult[];
  unavailable: UnavailableRepo[];
  summary: RunSummary;
  /** With `variants`: each variant's results (the first is the defaults, as in `results`). */
  variants?: { label: string; results: RepoResult[]; summary: RunSummary }[];
}

async function runQueries(
  engine: NellieEngine,
  tasks: readonly BenchmarkTask[],
  repository: string,
): Promise<QueryResult[]> {
  // One unmeasured search first so statement preparation does not count as query latency.
  if (tasks[0]) await engine.search(tasks[0].query, { repository });
  const results: QueryResult[] = [];
  for (const task of tasks) {
    const { hits, milliseconds } = await engine.search(task.query, { repository, limit: 10 });
    const top = hits.map((hit) => ({
      path: hit.path,
      startLine: hit.startLine,
      endLine: hit.endLine,
    }));
    const score = scoreQuery(top, task.targets);
    results.push({
      query: task.query,
      category: task.category,
      targets: task.targets,
      ranks: score.ranks,
      ndcgAt5: score.ndcgAt5,
      ndcgAt10: score.ndcgAt10,
      top,
      milliseconds,
    });
  }
  return results;
}

export async function runSemble(options: SembleRunOptions): Promise<SembleRun> {
  const log = options.onProgress ?? (() => undefined);
  const data = loadBenchmarkData(options.dataDir);
  const selected = selectRepos(data, options.split, options.repos);
  const exportDir = join(options.cacheDir, 'semble');

  const unavailable: UnavailableRepo[] = [];
  const ready: { spec: RepoSpec; root: string; tasks: BenchmarkTask[] }[] = [];
  for (const spec of selected) {
    const tasks = data.tasksOf(spec.name);
    if (tasks.length === 0) {
      unavailable.push({ name: spec.name, reason: 'no annotated queries' });
      continue;
    }
    const exported = exportRepository(spec, options.mirrorsDir, exportDir);
    if (!exported.ok) {
      unavailable.push({ name: spec.name, reason: exported.reason });
      log(`${spec.name}: unavailable (${exported.reason})`);
      continue;
    }
    ready.push({ spec, root: exported.root, tasks });
  }

  // One model for the whole run; every per-repository store shares it.
  const embedder =
    options.mode === 'hybrid' && options.modelDir && ready.length > 0
      ? await createModelEmbedder(
          options.modelDir,
          options.embeddingCacheDir,
          options.textPreparation,
        )
      : undefined;
  const workDir = mkdtempSync(join(tmpdir(), 'nellie-eval-semble-'));
  const engineOptions = {
    mode: options.mode,
    modelDir: options.modelDir,
    embedder,
    store: options.store ?? 'sqlite',
  };
  const variants = options.variants ?? [{ label: 'defaults', overrides: [] }];
  if (variants.length > 1 && options.sharedStore) {
    throw new Error('Setting variants need one store per repository (drop --shared-store).');
  }
  const variantResults: RepoResult[][] = variants.map(() => []);
  const results = variantResults[0]!;
  let modelId: string | null = null;
  let shared: NellieEngine | undefined;
  try {
    if (options.sharedStore) {
      shared = await createNellieEngine({ ...engineOptions, dataDir: join(workDir, 'shared') });
      modelId = shared.modelId;
      const indexed = [];
      for (const entry of ready) {
        const stats = await shared.index(entry.root);
        log(`${entry.spec.name}: indexed ${stats.chunks} chunks in ${stats.seconds.toFixed(1)} s`);
        indexed.push({ ...entry, stats });
      }
      for (const entry of indexed) {
        const queries = await runQueries(shared, entry.tasks, entry.stats.root);
        results.push(repoResult(entry.spec, entry.stats, queries));
      }
    } else {
      for (const entry of ready) {
        const dataDir = join(workDir, entry.spec.name);
        const engine = await createNellieEngine({ ...engineOptions, dataDir });
        try {
          modelId = engine.modelId;
          const stats = await engine.index(entry.root);
          let queries: QueryResult[] = [];
          for (const [index, variant] of variants.entries()) {
            queries = await withVariant(variant, () => runQueries(engine, entry.tasks, stats.root));
            variantResults[index]!.push(repoResult(entry.spec, stats, queries));
          }
          log(
            `${entry.spec.name}: ${stats.chunks} chunks in ${stats.seconds.toFixed(1)} s, ${queries.length} queries`,
          );
        } finally {
          await engine.close();
          rmSync(dataDir, { recursive: true, force: true });
        }
      }
    }
  } finally {
    await shared?.close();
    await embedder?.close();
    rmSync(workDir, { recursive: true, force: true });
  }

  return {
    split: options.split,
    mode: options.mode,
    modelId,
    sharedStore: options.sharedStore ?? false,
    store: options.store ?? 'sqlite',
    results,
    unavailable,
    summary: summariseRun(results, data.peers),
    ...(variants.length > 1
      ? {
          variants: variants.map((variant, index) => ({
            label: variant.label,
            results: variantResults[index]!,
            summary: summariseRun(variantResults[index]!, data.peers),
          })),
        }
      : {}),
  };
}

function repoResult(
  spec: RepoSpec,
  stats: { files: number; chunks: number; seconds: number },
  queries: QueryResult[],
): RepoResult {
  return {
    name: spec.name,
    language: spec.language,
    files: stats.files,
    chunks: stats.chunks,
    indexSeconds: stats.seconds,
    queries,
  };
}
