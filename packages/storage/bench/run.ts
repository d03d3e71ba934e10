/**
 * Storage benchmark: insert throughput, vector kNN latency and recall@10 against exact search,
 * hybrid and lexical latency, and memory, on synthetic data.
 *
 *   pnpm --filter @nellie/storage bench                      # 100k and 1M chunks
 *   pnpm --filter @nellie/storage bench -- --sizes 20000     # a quick run
 *   NELLIE_BENCH_SIZES=50000 pnpm --filter @nellie/storage bench
 *   ... --rebuild  builds the stores again instead of reusing the cached ones
 *   ... --keyword-only  measures the full-text searches alone
 *
 * Each size is built once, in a child process, into a cache directory (`--cache-dir`) and reused
 * by later runs; see sqlite-bench.ts.
 */
import { cpus } from 'node:os';
import { parseArgs } from 'node:util';
import {
  defaultCacheDir,
  ensureSqliteStore,
  loadavg,
  parseSizes,
  querySqliteStore,
  type SqliteBuild,
} from './sqlite-bench.ts';

const { values } = parseArgs({
  // `pnpm bench -- --sizes …` passes the `--` through.
  args: process.argv.slice(2).filter((argument) => argument !== '--'),
  options: {
    sizes: { type: 'string', default: process.env.NELLIE_BENCH_SIZES ?? '100000,1000000' },
    rebuild: { type: 'boolean', default: false },
    'keyword-only': { type: 'boolean', default: false },
    'cache-dir': { type: 'string', default: defaultCacheDir() },
  },
});
const sizes = parseSizes(values.sizes);
if (sizes === null) {
  console.error('--sizes takes a comma-separated list of chunk counts, each at least 1000');
  process.exit(2);
}

const ms = (value: unknown): string => `${Number(value).toFixed(2)} ms`;
const mib = (value: unknown): string => `${(Number(value) / 1024 / 1024).toFixed(0)} MiB`;

console.log(
  `Nellie storage benchmark: ${cpus().length} CPUs (${cpus()[0]?.model ?? 'unknown'}), Node ${process.version}`,
);
const printBuild = (built: SqliteBuild): void => {
  console.log(
    Number(built.insertSeconds) === 0
      ? 'insert: not measured for this store (its rows were written by an earlier build)'
      : `insert: ${Number(built.chunksPerSecond).toFixed(0)} chunks/s with vectors and FTS (${Number(built.insertSeconds).toFixed(1)} s; the store's write code, ${String(built.chunksPerTransaction)} chunks per transaction)`,
  );
  console.log(
    `HNSW build from SQLite: ${Number(built.annBuildSeconds).toFixed(1)} s (${String(built.annIndexed)} vectors), save ${Number(built.annSaveSeconds).toFixed(1)} s`,
  );
  console.log(
    `database: ${mib(built.fileBytes)}; ground truth ${Number(built.truthSeconds).toFixed(1)} s; other processes used ${Number(built.otherCores).toFixed(2)} cores`,
  );
};

for (const size of sizes) {
  console.log(`\n== ${size.toLocaleString('en')} chunks (load average before: ${loadavg()})`);
  const { directory, built } = ensureSqliteStore(size, {
    cacheDir: values['cache-dir'],
    rebuild: values.rebuild,
    log: (message) => console.log(message),
  });
  printBuild(built);
  const queried = querySqliteStore(size, directory, { keywordOnly: values['keyword-only'] });
  console.log(
    `open (loads the saved HNSW index): ${ms(queried.openMs)}; index ${JSON.stringify(queried.status)}`,
  );
  for (const result of queried.results) {
    const recall =
      result.recallAt10 === undefined ? '' : `  recall@10 ${Number(result.recallAt10).toFixed(3)}`;
    console.log(
      `${String(result.label).padEnd(28)} p50 ${ms(result.p50)}  p95 ${ms(result.p95)}  max ${ms(result.max)}  (CPU p50 ${ms(result.cpuP50)}, p95 ${ms(result.cpuP95)})${recall}`,
    );
  }
  console.log(
    `query process RSS ${mib(queried.rssBytes)} (peak ${mib(queried.peakRssBytes)}); other processes used ${Number(queried.otherCores).toFixed(2)} cores; load average after: ${loadavg()}`,
  );
}
