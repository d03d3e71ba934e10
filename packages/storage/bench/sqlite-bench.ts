/**
 * Builds (once, cached) and queries the SQLite benchmark store of a size, each in a child
 * process: used by this package's `pnpm bench` and by the PostgreSQL benchmark, which prints the
 * SQLite figures beside its own.
 *
 * Each size is built into a cache directory (`$NELLIE_BENCH_CACHE`, else
 * `~/.cache/nellie-bench/storage`) keyed by the size, the build version and a hash of the data
 * generator, and reused by later runs. A build that was stopped resumes where it left off on the
 * next run (see build.ts). The store is queried in a fresh process each run, so the query figures
 * (latency, RSS) are those of a process that opened an existing store.
 */
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';
import type { SearchFigures } from './query-set.ts';

const here = new URL('.', import.meta.url).pathname;
/** Bump when build.ts changes what a built store holds (data.ts changes are caught by its hash). */
const buildVersion = 2;

/** The part of a cache directory's name that changes with the data or the way stores are built. */
export function dataVersion(): string {
  const hash = createHash('sha256')
    .update(readFileSync(join(here, 'data.ts')))
    .digest('hex');
  return `v${buildVersion}-${hash.slice(0, 12)}`;
}

export function defaultCacheDir(): string {
  return process.env.NELLIE_BENCH_CACHE ?? join(homedir(), '.cache', 'nellie-bench', 'storage');
}

/** `--sizes` (a comma-separated list of chunk counts, `_` allowed), or null when it is invalid. */
export function parseSizes(text: string): number[] | null {
  const sizes = text.split(',').map((value) => Number(value.trim().replace(/_/g, '')));
  return sizes.some((size) => !Number.isInteger(size) || size < 1000) ? null : sizes;
}

/** Runs a bench script under tsx with the given arguments and parses its last stdout line. */
export function runBenchScript(script: string, args: readonly string[]): Record<string, unknown> {
  const output = execFileSync(
    process.execPath,
    ['--expose-gc', '--conditions=@nellie/source', '--import', 'tsx', script, ...args],
    { stdio: ['ignore', 'pipe', 'inherit'], maxBuffer: 64 * 1024 * 1024 },
  ).toString();
  return JSON.parse(output.trim().split('\n').at(-1)!) as Record<string, unknown>;
}

export function loadavg(): string {
  return readFileSync('/proc/loadavg', 'utf8').split(' ').slice(0, 3).join(' ');
}

/** What build.ts reports. */
export interface SqliteBuild {
  insertSeconds: number;
  chunksPerSecond: number;
  chunksPerTransaction: number;
  annBuildSeconds: number;
  annSaveSeconds: number;
  annIndexed: number;
  truthSeconds: number;
  fileBytes: number;
  otherCores: number;
}

/** What query.ts reports. */
export interface SqliteQueries {
  openMs: number;
  status: unknown;
  results: SearchFigures[];
  rssBytes: number;
  peakRssBytes: number | null;
  otherCores: number;
}

/**
 * The built store of `size` chunks: built now (or resumed) unless a finished one is cached and
 * `rebuild` is off. `log` hears what is being done.
 */
export function ensureSqliteStore(
  size: number,
  options: { cacheDir: string; rebuild: boolean; log: (message: string) => void },
): { directory: string; built: SqliteBuild; reused: boolean } {
  const directory = join(options.cacheDir, `${size}-${dataVersion()}`);
  const buildRecord = join(directory, 'build.json');
  if (!options.rebuild && existsSync(buildRecord)) {
    options.log(`(reusing the store built earlier in ${directory}; --rebuild builds it again)`);
    const built = JSON.parse(readFileSync(buildRecord, 'utf8')) as SqliteBuild;
    return { directory, built, reused: true };
  }
  if (options.rebuild) rmSync(directory, { recursive: true, force: true });
  else if (existsSync(directory)) options.log(`(resuming the unfinished build in ${directory})`);
  mkdirSync(directory, { recursive: true });
  const built = runBenchScript(join(here, 'build.ts'), [String(size), directory]);
  // Written last: a directory without it is an unfinished build and is built again.
  writeFileSync(buildRecord, JSON.stringify(built));
  return { directory, built: built as unknown as SqliteBuild, reused: false };
}

/** Queries the built store of `size` chunks in a fresh process. */
export function querySqliteStore(
  size: number,
  directory: string,
  options: { keywordOnly?: boolean; queries?: number } = {},
): SqliteQueries {
  const args = [String(size), directory];
  if (options.keywordOnly) args.push('--keyword-only');
  if (options.queries !== undefined) args.push('--queries', String(options.queries));
  return runBenchScript(join(here, 'query.ts'), args) as unknown as SqliteQueries;
}
