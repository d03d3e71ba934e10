// Indexing benchmark over a real code tree: well-known npm packages installed into a temp dir.
//   pnpm --filter @nellie/indexer bench
// (a) scan + chunk + full-text index without a model, (b) end to end with the stand-in model,
// the no-change re-index, and how soon a changed file is searchable while watching.
import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { loadavg, tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createLocalEmbedder } from '@nellie/embeddings';
import { createSqliteStore } from '@nellie/storage';
import { createEmbeddingPump, createIndexer } from '../src/index.ts';

const here = dirname(fileURLToPath(import.meta.url));
const standInModel = resolve(
  here,
  '../../../../shared/models/stand-in/all-MiniLM-L6-v2-random-weights',
);
const corpusPackages = [
  'express@5.3.0',
  'lodash@4.18.1',
  'date-fns@4.4.0',
  'core-js@3.51.0',
  'rxjs@7.8.2',
  'zod@4.6.7',
  'moment@2.31.0',
  'axios@1.21.1',
];
const corpusDir = join(tmpdir(), 'nellie-indexer-bench-corpus');
const corpusRoot = join(corpusDir, 'node_modules');
/** Sources indexed end to end with the model (about 760 chunks). */
const modelSubset = join(corpusRoot, 'axios', 'lib');

function load(): string {
  return loadavg()
    .map((value) => value.toFixed(2))
    .join(' ');
}

/** The local embedder runs its model in a worker that exists only in the built package. */
function ensureEmbeddingsBuilt(): void {
  const worker = resolve(here, '../../embeddings/dist/worker.js');
  if (existsSync(worker)) return;
  console.log('Building @nellie/embeddings for its worker thread …');
  execFileSync('pnpm', ['--filter', '@nellie/embeddings', 'build'], { stdio: 'inherit' });
}

function ensureCorpus(): void {
  if (
    corpusPackages.every((spec) =>
      existsSync(join(corpusRoot, spec.slice(0, spec.lastIndexOf('@')))),
    )
  ) {
    return;
  }
  console.log(`Installing the corpus into ${corpusDir} …`);
  execFileSync(
    'npm',
    [
      'install',
      '--prefix',
      corpusDir,
      '--ignore-scripts',
      '--no-audit',
      '--no-fund',
      ...corpusPackages,
    ],
    { stdio: 'inherit' },
  );
}

async function withStore<T>(
  embedding: { modelId: string; dimensions: number } | null,
  task: (store: Awaited<ReturnType<typeof createSqliteStore>>) => Promise<T>,
): Promise<T> {
  const directory = await mkdtemp(join(tmpdir(), 'nellie-indexer-bench-'));
  const store = await createSqliteStore({ path: join(directory, 'nellie.db'), embedding });
  try {
    return await task(store);
  } finally {
    await store.close();
    await rm(directory, { recursive: true, force: true });
  }
}

async function lexicalBenchmark(): Promise<void> {
  await withStore(null, async (store) => {
    const indexer = createIndexer({ store });
    try {
      let started = performance.now();
      const first = await indexer.waitForJob((await indexer.startJob({ rootPath: corpusRoot })).id);
      const seconds = (performance.now() - started) / 1000;
      const { filesIndexed, chunksWritten } = first.progress;
      console.log(
        `(a) scan + chunk + full-text: ${filesIndexed} files, ${chunksWritten} chunks in ${seconds.toFixed(1)} s` +
          ` → ${Math.round(filesIndexed / (seconds / 60))} files/min, ${Math.round(chunksWritten / seconds)} chunks/s` +
          `  [target ≥ 10,000 files/min]`,
      );

      started = performance.now();
      const again = await indexer.waitForJob((await indexer.startJob({ rootPath: corpusRoot })).id);
      const rescan = (performance.now() - started) / 1000;
      console.log(
        `    no-change re-index: ${again.progress.filesUnchanged} files in ${rescan.toFixed(2)} s` +
          ` (${((rescan * 10_000) / again.progress.filesUnchanged).toFixed(2)} s per 10,000 files)  [target ≤ 5 s]`,
      );

      await indexer.watch(corpusRoot);
      await waitIdle(indexer);
      const latencies: number[] = [];
      const scratch = join(corpusRoot, 'nellie-bench-scratch.ts');
      for (let round = 0; round < 5; round += 1) {
        const token = `benchmarkToken${round}x${Date.now()}`;
        const written = performance.now();
        await writeFile(scratch, `export const ${token} = ${round};\n`);
        for (;;) {
          const hits = await store.searchCode({ query: token, limit: 1 });
          if (hits[0]?.content.includes(token)) break;
          await new Promise((resolveWait) => setTimeout(resolveWait, 5));
        }
        latencies.push(performance.now() - written);
        await new Promise((resolveWait) => setTimeout(resolveWait, 300));
      }
      await rm(scratch, { force: true });
      latencies.sort((a, b) => a - b);
      console.log(
        `    one changed file searchable after: median ${Math.round(latencies[2]!)} ms, max ${Math.round(latencies[4]!)} ms` +
          ` (debounce 250 ms)  [target ≤ 1 s]`,
      );
    } finally {
      await indexer.close();
    }
  });
}

async function waitIdle(indexer: ReturnType<typeof createIndexer>): Promise<void> {
  for (;;) {
    const status = indexer.status();
    if (status.jobsRunning === 0 && status.jobsQueued === 0 && status.indexLagSeconds === 0) return;
    await new Promise((resolveWait) => setTimeout(resolveWait, 50));
  }
}

async function modelBenchmark(): Promise<void> {
  if (!existsSync(standInModel)) {
    console.log(`(b) skipped: the stand-in model is missing at ${standInModel}`);
    process.exitCode = 1;
    return;
  }
  ensureEmbeddingsBuilt();
  const embedder = await createLocalEmbedder({ modelDir: standInModel, dtype: 'q8' });
  try {
    const model = { modelId: embedder.modelId, dimensions: embedder.dimensions };
    // The texts the pump will embed: index the subset once without an embedder.
    const texts = await withStore(model, async (store) => {
      const indexer = createIndexer({ store });
      await indexer.waitForJob((await indexer.startJob({ rootPath: modelSubset })).id);
      await indexer.close();
      return (await store.pendingEmbeddings(10_000)).map((item) => item.text);
    });
    await embedder.embed(texts.slice(0, 16));
    // The embedder alone, before and after the end-to-end run, so drifting load evens out.
    const embedAlone = async (): Promise<number> => {
      const started = performance.now();
      await embedder.embed(texts);
      return texts.length / ((performance.now() - started) / 1000);
    };
    const before = await embedAlone();
    console.log(
      `(b) embedder alone: ${texts.length} chunk texts at ${before.toFixed(1)} chunks/s (load ${load()})`,
    );

    const endToEnd = await withStore(model, async (store) => {
      const embeddingPump = createEmbeddingPump({ store, embedder });
      const indexer = createIndexer({ store, embeddingPump });
      try {
        const started = performance.now();
        const job = await indexer.waitForJob(
          (await indexer.startJob({ rootPath: modelSubset })).id,
        );
        const indexed = (performance.now() - started) / 1000;
        await indexer.waitForEmbeddings();
        const seconds = (performance.now() - started) / 1000;
        const stats = await store.stats();
        const rate = texts.length / seconds;
        console.log(
          `    end to end: ${job.progress.filesIndexed} files, ${stats.chunksWithVectors} chunks with vectors in ` +
            `${seconds.toFixed(1)} s (keyword-searchable after ${indexed.toFixed(1)} s) → ${rate.toFixed(1)} chunks/s` +
            ` (load ${load()})`,
        );
        return rate;
      } finally {
        await indexer.close();
        await embeddingPump.close();
      }
    });
    const after = await embedAlone();
    const raw = (before + after) / 2;
    console.log(
      `    embedder alone again: ${after.toFixed(1)} chunks/s → end to end is ` +
        `${((100 * endToEnd) / raw).toFixed(0)}% of the embedder alone  [target ≥ 90%]`,
    );
  } finally {
    await embedder.close();
  }
}

console.log(`@nellie/indexer benchmark — load average at start: ${load()}`);
ensureCorpus();
await lexicalBenchmark();
console.log(`    load average: ${load()}`);
await modelBenchmark();
console.log(`load average at end: ${load()}`);
