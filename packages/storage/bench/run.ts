/**
 * Storage benchmark: insert throughput, vector kNN latency and recall@10 against exact search,
 * hybrid and lexical latency, and memory, on synthetic data.
 *
 *   pnpm --filter @nellie/storage bench                      # 100k and 1M chunks
 *   pnpm --filter @nellie/storage bench -- --sizes 20000     # a quick run
 *   NELLIE_BENCH_SIZES=50000 pnpm --filter @nellie/storage bench
 *   ... --rebuild  builds the stores again instead of reusing the cached ones
 *
 * Each size is built once, in a child process, into a cache directory (`--cache-dir`,
 * `$NELLIE_BENCH_CACHE`, else `~/.cache/nellie-bench/storage`) keyed by the size, the build
 * version and a hash of the data generator, and reused by later runs. A build that was stopped
 * resumes where it left off on the next run (see build.ts). The store is queried in a fresh
 * process each run, so the query figures (latency, RSS) are those of a process that opened an
 * existing store.
 */
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, homedir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';

const { values } = parseArgs({
  // `pnpm bench -- --sizes …` passes the `--` through.
  args: process.argv.slice(2).filter((argument) => argument !== '--'),
  options: {
    sizes: { type: 'string', default: process.env.NELLIE_BENCH_SIZES ?? '100000,1000000' },
    rebuild: { type: 'boolean', default: false },
    'cache-dir': {
      type: 'string',
      default:
        process.env.NELLIE_BENCH_CACHE ?? join(homedir(), '.cache', 'nellie-bench', 'storage'),
    },
  },
});
const sizes = values.sizes.split(',').map((value) => Number(value.trim().replace(/_/g, '')));
if (sizes.some((size) => !Number.isInteger(size) || size < 1000)) {
  console.error('--sizes takes a comma-separated list of chunk counts, each at least 1000');
  process.exit(2);
}

const here = new URL('.', import.meta.url).pathname;
/** Bump when build.ts changes what a built store holds (data.ts changes are caught by its hash). */
const buildVersion = 2;
// A store is reused only while the data generator and the way stores are built are unchanged.
const dataVersion = `v${buildVersion}-${createHash('sha256')
  .update(readFileSync(join(here, 'data.ts')))
  .digest('hex')
  .slice(0, 12)}`;
const node = (script: string, args: string[]): Record<string, unknown> => {
  const output = execFileSync(
    process.execPath,
    ['--expose-gc', '--conditions=@nellie/source', '--import', 'tsx', join(here, script), ...args],
    { stdio: ['ignore', 'pipe', 'inherit'], maxBuffer: 64 * 1024 * 1024 },
  ).toString();
  return JSON.parse(output.trim().split('\n').at(-1)!) as Record<string, unknown>;
};
const loadavg = (): string =>
  readFileSync('/proc/loadavg', 'utf8').split(' ').slice(0, 3).join(' ');
const ms = (value: unknown): string => `${Number(value).toFixed(2)} ms`;
const mib = (value: unknown): string => `${(Number(value) / 1024 / 1024).toFixed(0)} MiB`;

console.log(
  `Nellie storage benchmark: ${cpus().length} CPUs (${cpus()[0]?.model ?? 'unknown'}), Node ${process.version}`,
);
const printBuild = (built: Record<string, unknown>): void => {
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
  const directory = join(values['cache-dir'], `${size}-${dataVersion}`);
  const buildRecord = join(directory, 'build.json');
  const reuse = !values.rebuild && existsSync(buildRecord);
  console.log(`\n== ${size.toLocaleString('en')} chunks (load average before: ${loadavg()})`);
  if (!reuse) {
    if (values.rebuild) rmSync(directory, { recursive: true, force: true });
    else if (existsSync(directory)) console.log(`(resuming the unfinished build in ${directory})`);
    mkdirSync(directory, { recursive: true });
    const built = node('build.ts', [String(size), directory]);
    // Written last: a directory without it is an unfinished build and is built again.
    writeFileSync(buildRecord, JSON.stringify(built));
    printBuild(built);
  } else {
    console.log(`(reusing the store built earlier in ${directory}; --rebuild builds it again)`);
    printBuild(JSON.parse(readFileSync(buildRecord, 'utf8')) as Record<string, unknown>);
  }
  const queried = node('query.ts', [String(size), directory]);
  console.log(
    `open (loads the saved HNSW index): ${ms(queried.openMs)}; index ${JSON.stringify(queried.status)}`,
  );
  for (const result of queried.results as Record<string, unknown>[]) {
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
