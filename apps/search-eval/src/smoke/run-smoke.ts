/**
 * The hand-made smoke set: 52 natural-language and identifier queries over the sources of ten
 * well-known npm packages (and their dependencies), answers located by hand. Small and quick;
 * the public benchmarks are `semble` and `docstrings`.
 */
import { createHash } from 'node:crypto';
import type { TextPreparation } from '@nellie/embeddings';
import { cpSync, existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { CodeSearchHit } from '@nellie/core';
import { createNellieEngine, type SearchMode } from '../nellie-engine.ts';
import { npmInstallOnce } from '../npm-install.ts';
import {
  firstRelevantRank,
  summarise,
  type EvalQuery,
  type QualitySummary,
} from '../rank-metrics.ts';

interface QuerySet {
  corpus: { packages: string[] };
  queries: EvalQuery[];
}

export interface SmokeRunOptions {
  cacheDir: string;
  mode: SearchMode;
  modelDir?: string;
  /** Reuse vectors kept here by earlier runs (tuning only; index times then exclude the model). */
  embeddingCacheDir?: string;
  /** Overrides the model's own text preparation. */
  textPreparation?: TextPreparation;
  queriesPath?: string;
}

export interface SmokeRun {
  mode: SearchMode;
  modelId: string | null;
  files: number;
  chunks: number;
  indexSeconds: number;
  all: QualitySummary;
  natural: QualitySummary;
  identifier: QualitySummary;
  ranks: { query: EvalQuery; rank: number | null; hits: CodeSearchHit[] }[];
}

export const defaultSmokeQueries = new URL('./npm-corpus.json', import.meta.url).pathname;

export async function runSmoke(options: SmokeRunOptions): Promise<SmokeRun> {
  const querySet = JSON.parse(
    readFileSync(options.queriesPath ?? defaultSmokeQueries, 'utf8'),
  ) as QuerySet;
  const corpusRoot = installCorpus(querySet.corpus.packages, join(options.cacheDir, 'smoke'));
  const workDir = mkdtempSync(join(tmpdir(), 'nellie-eval-smoke-'));
  const engine = await createNellieEngine({
    dataDir: workDir,
    mode: options.mode,
    modelDir: options.modelDir,
    embeddingCacheDir: options.embeddingCacheDir,
    ...(options.textPreparation ? { textPreparation: options.textPreparation } : {}),
  });
  try {
    const indexed = await engine.index(corpusRoot);
    const ranks: SmokeRun['ranks'] = [];
    for (const query of querySet.queries) {
      const { hits } = await engine.search(query.query, { limit: 10 });
      ranks.push({ query, rank: firstRelevantRank(hits, query.expect), hits });
    }
    const byKind = (kind?: EvalQuery['kind']): QualitySummary =>
      summarise(
        ranks.filter((entry) => !kind || entry.query.kind === kind).map((entry) => entry.rank),
      );
    return {
      mode: options.mode,
      modelId: engine.modelId,
      files: indexed.files,
      chunks: indexed.chunks,
      indexSeconds: indexed.seconds,
      all: byKind(),
      natural: byKind('natural'),
      identifier: byKind('identifier'),
      ranks,
    };
  } finally {
    await engine.close();
    rmSync(workDir, { recursive: true, force: true });
  }
}

export function formatSmokeReport(run: SmokeRun, verbose: boolean): string {
  const lines = [
    `Smoke set (${run.mode === 'hybrid' ? `hybrid, ${run.modelId ?? 'model'}` : 'keyword-only'}), ${run.files} files, ${run.chunks} chunks, indexed in ${run.indexSeconds.toFixed(1)} s`,
  ];
  for (const kind of ['all', 'natural', 'identifier'] as const) {
    const summary = run[kind];
    lines.push(
      `  ${kind.padEnd(10)} n=${String(summary.queries).padStart(2)}  MRR@10 ${summary.mrrAt10.toFixed(3)}  hit@1 ${summary.hitAt1.toFixed(2)}  hit@5 ${summary.hitAt5.toFixed(2)}  hit@10 ${summary.hitAt10.toFixed(2)}`,
    );
  }
  for (const entry of run.ranks) {
    if (!verbose && entry.rank === 1) continue;
    lines.push(
      '',
      `[${entry.rank ?? 'miss'}] ${entry.query.query}  → ${entry.query.expect.map((expected) => `${expected.path}${expected.line ? `:${expected.line}` : ''}`).join(' | ')}`,
    );
    for (const hit of entry.hits.slice(0, 5)) {
      lines.push(
        `     ${hit.path}:${hit.startLine}-${hit.endLine} ${hit.symbolName ?? ''} ${hit.score.toFixed(4)}`,
      );
    }
  }
  return lines.join('\n');
}

/**
 * Installs the pinned packages once into the cache and copies their sources into a plain
 * `corpus` directory (so the corpus is not itself inside a `node_modules`).
 */
function installCorpus(packages: readonly string[], cacheDir: string): string {
  const key = createHash('sha256').update(packages.join('\n')).digest('hex').slice(0, 12);
  const prefix = join(cacheDir, key);
  const corpus = join(prefix, 'corpus');
  const marker = join(prefix, 'corpus.complete');
  if (!existsSync(marker)) {
    const installed = npmInstallOnce(join(prefix, 'npm'), packages);
    rmSync(corpus, { recursive: true, force: true });
    cpSync(installed, corpus, {
      recursive: true,
      filter: (source) => !source.slice(installed.length + 1).includes('node_modules'),
    });
    writeFileSync(marker, new Date().toISOString());
  }
  return corpus;
}
