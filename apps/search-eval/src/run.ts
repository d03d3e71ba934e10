/**
 * Measures search quality on real public code: installs pinned npm packages into a cache
 * directory, indexes them with the real indexer and store, runs natural-language and identifier
 * queries whose answers were located by hand, and prints MRR@10 and hit rates.
 *
 *   pnpm --filter @nellie/search-eval eval [--model-dir DIR] [--json] [--verbose]
 *
 * Without --model-dir the search is lexical only. With a model, results are fused (hybrid).
 */
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { cpSync, existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import type { CodeSearchHit, Embedder } from '@nellie/core';
import { createLocalEmbedder } from '@nellie/embeddings';
import { createIndexer } from '@nellie/indexer';
import { createSqliteStore } from '@nellie/storage';
import { firstRelevantRank, summarise, type EvalQuery } from './metrics.ts';

interface QuerySet {
  corpus: { packages: string[] };
  queries: EvalQuery[];
}

const { values } = parseArgs({
  options: {
    'model-dir': { type: 'string' },
    queries: { type: 'string', default: new URL('../queries/npm-corpus.json', import.meta.url).pathname },
    json: { type: 'boolean', default: false },
    verbose: { type: 'boolean', default: false },
  },
});

const querySet = JSON.parse(readFileSync(values.queries, 'utf8')) as QuerySet;
const corpusRoot = installCorpus(querySet.corpus.packages);
const workDir = join(tmpdir(), `nellie-search-eval-${process.pid}`);
mkdirSync(workDir, { recursive: true });

let embedder: (Embedder & { close(): Promise<void> }) | undefined;
if (values['model-dir']) {
  embedder = await createLocalEmbedder({ modelDir: values['model-dir'] });
}

const store = await createSqliteStore({
  path: join(workDir, 'eval.db'),
  embedding: embedder ? { modelId: embedder.modelId, dimensions: embedder.dimensions } : null,
});
const indexer = createIndexer({ store, embedder });

try {
  const started = performance.now();
  const job = await indexer.startJob({ rootPath: corpusRoot });
  const finished = await indexer.waitForJob(job.id);
  if (finished.state !== 'succeeded') throw new Error(`Indexing failed: ${finished.error}`);
  await indexer.waitForEmbeddings();
  const indexSeconds = (performance.now() - started) / 1000;

  const ranks: { query: EvalQuery; rank: number | null; hits: CodeSearchHit[] }[] = [];
  for (const query of querySet.queries) {
    const [queryVector] = embedder
      ? await embedder.embed([query.query], { priority: 'query' })
      : [undefined];
    const hits = await store.searchCode({ query: query.query, queryVector, limit: 10 });
    ranks.push({ query, rank: firstRelevantRank(hits, query.expect), hits });
  }

  const byKind = (kind?: EvalQuery['kind']) =>
    summarise(ranks.filter((entry) => !kind || entry.query.kind === kind).map((entry) => entry.rank));
  const report = {
    mode: embedder ? `hybrid (${embedder.modelId})` : 'lexical',
    files: finished.progress.filesIndexed,
    chunks: finished.progress.chunksWritten,
    indexSeconds: Number(indexSeconds.toFixed(1)),
    all: byKind(),
    natural: byKind('natural'),
    identifier: byKind('identifier'),
  };

  if (values.json) {
    console.log(JSON.stringify(report, null, 2));
  } else {
    console.log(`Search quality (${report.mode}), ${report.files} files, ${report.chunks} chunks, indexed in ${report.indexSeconds}s`);
    for (const kind of ['all', 'natural', 'identifier'] as const) {
      const summary = report[kind];
      console.log(
        `  ${kind.padEnd(10)} n=${String(summary.queries).padStart(2)}  MRR@10 ${summary.mrrAt10.toFixed(3)}  hit@1 ${summary.hitAt1.toFixed(2)}  hit@5 ${summary.hitAt5.toFixed(2)}  hit@10 ${summary.hitAt10.toFixed(2)}`,
      );
    }
    for (const entry of ranks) {
      if (!values.verbose && entry.rank === 1) continue;
      console.log(`\n[${entry.rank ?? 'miss'}] ${entry.query.query}  → ${entry.query.expect.map((e) => `${e.path}${e.line ? `:${e.line}` : ''}`).join(' | ')}`);
      for (const hit of entry.hits.slice(0, 5)) {
        console.log(`     ${hit.path}:${hit.startLine}-${hit.endLine} ${hit.symbolName ?? ''} ${hit.score.toFixed(4)}`);
      }
    }
  }
} finally {
  await indexer.close();
  await store.close();
  await embedder?.close();
  rmSync(workDir, { recursive: true, force: true });
}

/**
 * Installs the pinned packages once into a cache directory and copies their sources into a
 * plain `corpus` directory (so the corpus is not itself inside a `node_modules`).
 */
function installCorpus(packages: readonly string[]): string {
  const key = createHash('sha256').update(packages.join('\n')).digest('hex').slice(0, 12);
  const prefix = join(tmpdir(), `nellie-eval-corpus-${key}`);
  const corpus = join(prefix, 'corpus');
  const marker = join(prefix, '.complete');
  if (!existsSync(marker)) {
    rmSync(prefix, { recursive: true, force: true });
    mkdirSync(prefix, { recursive: true });
    execFileSync(
      'npm',
      ['install', '--prefix', prefix, '--no-audit', '--no-fund', '--ignore-scripts', ...packages],
      { stdio: ['ignore', 'ignore', 'inherit'] },
    );
    cpSync(join(prefix, 'node_modules'), corpus, {
      recursive: true,
      filter: (source) => !source.slice(prefix.length + 'node_modules'.length + 1).includes('node_modules'),
    });
    writeFileSync(marker, new Date().toISOString());
  }
  return corpus;
}
