/**
 * `pnpm eval [semble|docstrings|smoke] [options]`: measures Nellie's search quality on public benchmarks.
 * See this app's README for the data each benchmark needs and what the figures mean.
 */
import { writeFileSync } from 'node:fs';
import { textPreparations, type TextPreparation } from '@nellie/embeddings';
import { join, resolve } from 'node:path';
import { NellieError } from '@nellie/core';
import { parseArgs } from 'node:util';
import { formatDocstringsReport, runDocstrings } from './docstrings/run-docstrings.ts';
import { evalStores, type EvalStore } from './eval-store.ts';
import type { SearchMode } from './nellie-engine.ts';
import { defaultCacheDir, defaultMirrorsDir, defaultSembleDataDir } from './paths.ts';
import { formatMisses, formatSembleReport } from './semble/format-report.ts';
import { runSemble } from './semble/run-semble.ts';
import { parseVariations, VariationError } from './setting-variants.ts';
import { formatSmokeReport, runSmoke } from './smoke/run-smoke.ts';

const usage = `Usage: pnpm eval [semble|docstrings|smoke] [options]

Benchmarks:
  semble (default)   semble's public code-search benchmark, NDCG@10 (needs git mirrors)
  docstrings         doc-comment first sentences vs. code stripped of them, 300 npm packages,
                     MRR@10 and hit@k (needs the npm registry once)
  smoke              52 hand-made queries over ten npm packages, MRR@10 (needs the npm registry)

Options:
  --split dev|test|all   split of semble or docstrings (default dev; report test, tune on dev)
  --repos a,b            only these semble repositories (overrides --split)
  --mode keyword|hybrid  keyword-only (default) or hybrid with --model-dir
  --model-dir DIR        embedding model directory, e.g. ../shared/models/all-MiniLM-L6-v2
  --text-preparation none|split-identifiers
                         override the model's own text preparation (to compare)
  --reuse-embeddings     keep vectors in <cache>/embeddings and reuse them (tuning; index time
                         and latency then exclude the model)
  --vary group.key=a,b   semble, docstrings: rerun every query with these ranking settings
                         (repeatable; every combination, same index),
                         e.g. --vary codeFusion.vectorShare=0.4,0.6
  --sweep group.key=a,b  like --vary, but each value alone (one setting changed at a time)
  --shared-store         index every repository into one data directory (as users run Nellie)
  --store sqlite|postgres  semble: the store to index into (default sqlite; postgres runs PGlite
                         with pgvector in this process, over a loopback socket)
  --mirrors DIR          git mirrors (default $NELLIE_EVAL_MIRRORS, /work/.mirror, or <cache>/mirrors)
  --data DIR             semble benchmark data (default ../shared/benchmarks/semble)
  --max-packages N       docstrings: only the first N packages of the split (alphabetical)
  --packages-dir DIR     docstrings: unpacked packages (<dir>/<name>/package.json) instead of npm
  --package-list FILE    docstrings: pinned { "packages": ["name@version", …] } list
  --cache-dir DIR        exported repositories and installed packages (default ~/.cache/nellie-eval)
  --json FILE            also write every figure and per-query result as JSON
  --verbose              list every query below a perfect score with its targets and top 5
  --help`;

class UsageError extends Error {}

/**
 * Resolves a path given on the command line against the directory the user ran `pnpm eval` in
 * (pnpm runs the script from this app's directory and passes the original one as INIT_CWD).
 */
function fromCaller(path: string): string {
  return resolve(process.env.INIT_CWD ?? process.cwd(), path);
}

function parseTextPreparation(value: string | undefined): TextPreparation | undefined {
  if (value === undefined) return undefined;
  if (!(textPreparations as readonly string[]).includes(value)) {
    throw new UsageError(
      `Unknown --text-preparation ${value}; choose ${textPreparations.join(' or ')}.`,
    );
  }
  return value as TextPreparation;
}

function parseMode(value: string | undefined, modelDir: string | undefined): SearchMode {
  const mode = value ?? (modelDir ? 'hybrid' : 'keyword');
  if (mode !== 'keyword' && mode !== 'hybrid')
    throw new UsageError(`--mode must be keyword or hybrid (got ${mode}).`);
  if (mode === 'hybrid' && !modelDir) throw new UsageError('--mode hybrid needs --model-dir.');
  return mode;
}

function parseStore(value: string | undefined): EvalStore {
  const store = value ?? 'sqlite';
  if (!(evalStores as readonly string[]).includes(store)) {
    throw new UsageError(`--store must be ${evalStores.join(' or ')} (got ${store}).`);
  }
  return store as EvalStore;
}

function parseSplit(value: string): 'dev' | 'test' | 'all' {
  if (value !== 'dev' && value !== 'test' && value !== 'all') {
    throw new UsageError(`--split must be dev, test or all (got ${value}).`);
  }
  return value;
}

function parseCount(value: string | undefined): number | undefined {
  if (value === undefined) return undefined;
  if (!/^[1-9]\d{0,5}$/.test(value))
    throw new UsageError(`--max-packages must be a positive integer (got ${value}).`);
  return Number(value);
}

async function main(argv: readonly string[]): Promise<void> {
  const { values, positionals } = parseArgs({
    args: [...argv],
    allowPositionals: true,
    options: {
      split: { type: 'string' },
      repos: { type: 'string' },
      mode: { type: 'string' },
      'model-dir': { type: 'string' },
      'shared-store': { type: 'boolean', default: false },
      store: { type: 'string' },
      'reuse-embeddings': { type: 'boolean', default: false },
      'text-preparation': { type: 'string' },
      vary: { type: 'string', multiple: true },
      sweep: { type: 'string', multiple: true },
      mirrors: { type: 'string' },
      data: { type: 'string' },
      'cache-dir': { type: 'string' },
      'max-packages': { type: 'string' },
      'packages-dir': { type: 'string' },
      'package-list': { type: 'string' },
      json: { type: 'string' },
      verbose: { type: 'boolean', default: false },
      help: { type: 'boolean', default: false },
    },
  });
  if (values.help) {
    console.log(usage);
    return;
  }
  if (positionals.length > 1)
    throw new UsageError(`One benchmark at a time (got ${positionals.join(', ')}).`);
  const benchmark = positionals[0] ?? 'semble';
  if (!['semble', 'docstrings', 'smoke'].includes(benchmark)) {
    throw new UsageError(`Unknown benchmark ${benchmark}; choose semble, docstrings or smoke.`);
  }
  const onlyFor: Record<string, readonly string[]> = {
    semble: ['repos', 'shared-store', 'store', 'mirrors', 'data'],
    docstrings: ['max-packages', 'packages-dir', 'package-list'],
    'semble or docstrings': ['split', 'vary', 'sweep'],
  };
  for (const [owner, names] of Object.entries(onlyFor)) {
    if (owner.split(' or ').includes(benchmark)) continue;
    const given = names.filter(
      (name) =>
        values[name as keyof typeof values] !== undefined &&
        values[name as keyof typeof values] !== false,
    );
    if (given.length > 0) {
      throw new UsageError(
        `--${given.join(', --')} applies to ${owner} only, not to ${benchmark}.`,
      );
    }
  }
  const modelDir = values['model-dir'] ? fromCaller(values['model-dir']) : undefined;
  const mode = parseMode(values.mode, modelDir);
  const cacheDir = fromCaller(values['cache-dir'] ?? defaultCacheDir());
  const embeddingCacheDir = values['reuse-embeddings'] ? join(cacheDir, 'embeddings') : undefined;
  const textPreparation = parseTextPreparation(values['text-preparation']);
  const progress = (line: string): void => {
    console.error(line);
  };

  let report: unknown;
  if (benchmark === 'semble') {
    const run = await runSemble({
      dataDir: fromCaller(values.data ?? defaultSembleDataDir),
      mirrorsDir: fromCaller(values.mirrors ?? defaultMirrorsDir()),
      cacheDir,
      split: parseSplit(values.split ?? 'dev'),
      repos: values.repos
        ?.split(',')
        .map((name) => name.trim())
        .filter((name) => name !== ''),
      mode,
      modelDir,
      embeddingCacheDir,
      textPreparation,
      sharedStore: values['shared-store'],
      store: parseStore(values.store),
      variants:
        values.vary || values.sweep
          ? parseVariations(values.vary ?? [], values.sweep ?? [])
          : undefined,
      onProgress: progress,
    });
    if (run.results.length === 0) {
      throw new UsageError(
        `No repository could be built: ${run.unavailable.map((repo) => `${repo.name} (${repo.reason})`).join('; ')}`,
      );
    }
    if (values.verbose) console.log(formatMisses(run), '\n');
    console.log(formatSembleReport(run));
    report = run;
  } else if (benchmark === 'docstrings') {
    const run = await runDocstrings({
      cacheDir,
      split: parseSplit(values.split ?? 'dev'),
      mode,
      modelDir,
      embeddingCacheDir,
      textPreparation,
      maxPackages: parseCount(values['max-packages']),
      packagesDir: values['packages-dir'] ? fromCaller(values['packages-dir']) : undefined,
      packageList: values['package-list'] ? fromCaller(values['package-list']) : undefined,
      variants:
        values.vary || values.sweep
          ? parseVariations(values.vary ?? [], values.sweep ?? [])
          : undefined,
      onProgress: progress,
    });
    if (run.results.length === 0) throw new UsageError('The split has no queries.');
    console.log(formatDocstringsReport(run, values.verbose));
    report = run;
  } else {
    const run = await runSmoke({ cacheDir, mode, modelDir, embeddingCacheDir, textPreparation });
    console.log(formatSmokeReport(run, values.verbose));
    report = run;
  }
  if (values.json) {
    writeFileSync(
      fromCaller(values.json),
      `${JSON.stringify({ benchmark, date: new Date().toISOString(), ...(report as object) }, null, 2)}\n`,
    );
  }
}

try {
  await main(process.argv.slice(2));
} catch (error) {
  const isArgumentError =
    error instanceof Error &&
    String((error as { code?: unknown }).code).startsWith('ERR_PARSE_ARGS');
  if (error instanceof UsageError || error instanceof VariationError || isArgumentError) {
    console.error(`${error.message}\n\n${usage}`);
  } else if (
    NellieError.is(error) ||
    (error instanceof Error && error.name === 'BenchmarkDataError')
  ) {
    console.error(error.message);
  } else {
    console.error(error);
  }
  process.exitCode = 1;
}
