/**
 * The doc-comment benchmark: natural-language queries and code written with different words, as
 * in CodeSearchNet. Queries are the first sentences of doc comments in popular npm packages; the
 * indexed code has those comments blanked; a query is answered when a top-10 hit overlaps the
 * documented function's lines.
 */
import { createHash } from 'node:crypto';
import type { TextPreparation } from '@nellie/embeddings';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { bootstrapInterval, formatInterval, pairedBootstrap } from '../bootstrap.ts';
import { createNellieEngine, type SearchMode } from '../nellie-engine.ts';
import { npmInstallOnce } from '../npm-install.ts';
import { reciprocalRanksAt10, summarise, type QualitySummary } from '../rank-metrics.ts';
import { hitCoversTarget, type ScoredHit } from '../semble/scoring.ts';
import { withVariant, type SettingVariant } from '../setting-variants.ts';
import { mean, percentile } from '../stats.ts';
import { buildSplit, type DocQuery, type DocSplit, type PackageSource } from './build-corpus.ts';

export const defaultPackageList = new URL('./packages.json', import.meta.url).pathname;

export interface DocstringsRunOptions {
  cacheDir: string;
  split: DocSplit;
  mode: SearchMode;
  modelDir?: string;
  /** Reuse vectors kept here by earlier runs (tuning only; index times then exclude the model). */
  embeddingCacheDir?: string;
  /** Overrides the model's own text preparation. */
  textPreparation?: TextPreparation;
  /** Pinned `name@version` list (JSON `{ packages: [...] }`); defaults to the committed list. */
  packageList?: string;
  /** Use already unpacked packages (`<dir>/<name>/package.json`) instead of installing with npm. */
  packagesDir?: string;
  /** Only the first N packages of the split (alphabetical), e.g. to keep a hybrid run short. */
  maxPackages?: number;
  /**
   * Ranking settings to compare (see `parseVariations`): every query runs once per variant
   * against the same index; the first variant is the defaults.
   */
  variants?: SettingVariant[];
  onProgress?: (line: string) => void;
}

export interface DocQueryResult {
  package: string;
  query: string;
  functionName: string;
  targets: DocQuery['targets'];
  rank: number | null;
  top: ScoredHit[];
  milliseconds: number;
}

export interface DocstringsRun {
  split: DocSplit;
  mode: SearchMode;
  modelId: string | null;
  packages: number;
  packagesWithQueries: number;
  unavailable: string[];
  files: number;
  chunks: number;
  indexSeconds: number;
  queryP50Ms: number;
  queryP95Ms: number;
  summary: QualitySummary;
  /** Mean over packages of each package's MRR@10. */
  mrrAt10ByPackageMean: number;
  results: DocQueryResult[];
  /** With `variants`: each variant's figures (the first is the defaults, as above). */
  variants?: DocstringsVariant[];
}

export interface DocstringsVariant {
  label: string;
  summary: QualitySummary;
  mrrAt10ByPackageMean: number;
  /** Each query's rank (null: not in the top 10), in the order of `results`. */
  ranks: (number | null)[];
}

type SearchEngine = Awaited<ReturnType<typeof createNellieEngine>>;

async function runQueries(
  engine: SearchEngine,
  queries: readonly DocQuery[],
): Promise<DocQueryResult[]> {
  const results: DocQueryResult[] = [];
  for (const query of queries) {
    const { hits, milliseconds } = await engine.search(query.query, { limit: 10 });
    const top = hits.map((hit) => ({
      path: hit.path,
      startLine: hit.startLine,
      endLine: hit.endLine,
    }));
    const index = top.findIndex((hit) =>
      query.targets.some((target) => hitCoversTarget(hit, target)),
    );
    results.push({ ...query, rank: index === -1 ? null : index + 1, top, milliseconds });
  }
  return results;
}

/** Mean over packages of each package's MRR@10. */
function mrrByPackageMean(results: readonly DocQueryResult[]): number {
  const byPackage = new Map<string, (number | null)[]>();
  for (const result of results)
    byPackage.set(result.package, [...(byPackage.get(result.package) ?? []), result.rank]);
  return mean([...byPackage.values()].map((ranks) => summarise(ranks).mrrAt10));
}

function parseSpec(spec: string): { name: string; version: string } {
  const at = spec.lastIndexOf('@');
  if (at <= 0) throw new Error(`Package "${spec}" must be pinned as name@version.`);
  return { name: spec.slice(0, at), version: spec.slice(at + 1) };
}

function readPackageList(path: string): { name: string; version: string }[] {
  const raw = JSON.parse(readFileSync(path, 'utf8')) as { packages?: unknown };
  if (!Array.isArray(raw.packages) || raw.packages.some((spec) => typeof spec !== 'string')) {
    throw new Error(`${path} must hold { "packages": ["name@version", …] }.`);
  }
  return (raw.packages as string[]).map(parseSpec);
}

/** The installed packages that match their pinned version; the rest are reported unavailable. */
function locatePackages(
  pinned: readonly { name: string; version: string }[],
  modulesDir: string,
): { sources: PackageSource[]; unavailable: string[] } {
  const sources: PackageSource[] = [];
  const unavailable: string[] = [];
  for (const { name, version } of pinned) {
    const dir = join(modulesDir, name);
    const manifest = join(dir, 'package.json');
    const installed = existsSync(manifest)
      ? (JSON.parse(readFileSync(manifest, 'utf8')) as { version?: string }).version
      : undefined;
    if (installed === version) sources.push({ name, version, dir });
    else unavailable.push(`${name}@${version}${installed ? ` (found ${installed})` : ''}`);
  }
  return { sources, unavailable };
}

export async function runDocstrings(options: DocstringsRunOptions): Promise<DocstringsRun> {
  const log = options.onProgress ?? (() => undefined);
  const pinned = readPackageList(options.packageList ?? defaultPackageList);
  const specs = pinned.map(({ name, version }) => `${name}@${version}`);
  const cacheDir = join(options.cacheDir, 'docstrings');
  const modulesDir =
    options.packagesDir ??
    npmInstallOnce(join(cacheDir, 'npm', sha12(specs.join('\n'))), specs, [
      '--legacy-peer-deps',
      '--omit=optional',
      '--omit=peer',
    ]);
  const { sources, unavailable } = locatePackages(pinned, modulesDir);
  for (const entry of unavailable) log(`unavailable: ${entry}`);

  const built = await buildSplit(sources, options.split, cacheDir, options.maxPackages);
  const { queries } = built;
  log(
    `${options.split}: ${built.packages.length} packages, ${built.files} files, ${queries.length} queries`,
  );

  const workDir = mkdtempSync(join(tmpdir(), 'nellie-eval-docstrings-'));
  const engine = await createNellieEngine({
    dataDir: workDir,
    mode: options.mode,
    modelDir: options.modelDir,
    embeddingCacheDir: options.embeddingCacheDir,
    ...(options.textPreparation ? { textPreparation: options.textPreparation } : {}),
    defaultExcludes: false,
  });
  try {
    const indexed = await engine.index(built.root);
    log(
      `indexed ${indexed.files} files, ${indexed.chunks} chunks in ${indexed.seconds.toFixed(1)} s`,
    );

    if (queries[0]) await engine.search(queries[0].query);
    const variants = options.variants ?? [{ label: 'defaults', overrides: [] }];
    const variantResults: DocQueryResult[][] = [];
    for (const variant of variants) {
      variantResults.push(await withVariant(variant, () => runQueries(engine, queries)));
    }
    const results = variantResults[0]!;
    const latencies = results.map((result) => result.milliseconds);
    return {
      split: options.split,
      mode: options.mode,
      modelId: engine.modelId,
      packages: built.packages.length,
      packagesWithQueries: new Set(results.map((result) => result.package)).size,
      unavailable,
      files: indexed.files,
      chunks: indexed.chunks,
      indexSeconds: indexed.seconds,
      queryP50Ms: percentile(latencies, 50),
      queryP95Ms: percentile(latencies, 95),
      summary: summarise(results.map((result) => result.rank)),
      mrrAt10ByPackageMean: mrrByPackageMean(results),
      results,
      ...(variants.length > 1
        ? {
            variants: variants.map((variant, index) => {
              const ranks = variantResults[index]!.map((result) => result.rank);
              return {
                label: variant.label,
                summary: summarise(ranks),
                mrrAt10ByPackageMean: mrrByPackageMean(variantResults[index]!),
                ranks,
              };
            }),
          }
        : {}),
    };
  } finally {
    await engine.close();
    rmSync(workDir, { recursive: true, force: true });
  }
}

function sha12(text: string): string {
  return createHash('sha256').update(text).digest('hex').slice(0, 12);
}

/**
 * One line per setting variant, best MRR@10 first, with the 95% interval of its difference from
 * the defaults on the same queries (a paired bootstrap).
 */
function formatVariants(variants: readonly DocstringsVariant[]): string {
  const defaults = [reciprocalRanksAt10(variants[0]!.ranks)];
  const lines = [
    'setting variants (same index; MRR@10; vs defaults: 95% interval of the difference)',
    `  MRR@10  hit@10  ${'vs defaults'.padEnd(18)}  settings`,
  ];
  for (const variant of [...variants].sort((a, b) => b.summary.mrrAt10 - a.summary.mrrAt10)) {
    const difference = formatInterval(
      pairedBootstrap(defaults, [reciprocalRanksAt10(variant.ranks)]),
      true,
    );
    lines.push(
      `  ${variant.summary.mrrAt10.toFixed(3).padStart(6)}  ${variant.summary.hitAt10.toFixed(3).padStart(6)}  ${difference.padEnd(18)}  ${variant.label}`,
    );
  }
  return lines.join('\n');
}

export function formatDocstringsReport(run: DocstringsRun, verbose: boolean): string {
  const mode = run.mode === 'hybrid' ? `hybrid (${run.modelId ?? 'model'})` : 'keyword-only';
  const { summary } = run;
  const lines = [
    `doc-comment benchmark: split ${run.split}, Nellie ${mode}`,
    `${run.packages} packages (${run.packagesWithQueries} with queries), ${run.files} files, ${run.chunks} chunks, indexed in ${run.indexSeconds.toFixed(1)} s, query p50 ${run.queryP50Ms.toFixed(1)} ms, p95 ${run.queryP95Ms.toFixed(1)} ms (in-process)`,
    `${summary.queries} queries  MRR@10 ${summary.mrrAt10.toFixed(3)}  hit@1 ${summary.hitAt1.toFixed(3)}  hit@5 ${summary.hitAt5.toFixed(3)}  hit@10 ${summary.hitAt10.toFixed(3)}  (MRR@10 mean over packages ${run.mrrAt10ByPackageMean.toFixed(3)})`,
  ];
  const reciprocalRanks = reciprocalRanksAt10(run.results.map(({ rank }) => rank));
  lines.push(
    `MRR@10 95% interval, queries resampled: ${formatInterval(bootstrapInterval([reciprocalRanks]))}`,
  );
  if (run.unavailable.length > 0) lines.push(`unavailable: ${run.unavailable.join(', ')}`);
  if (run.variants) lines.push('', formatVariants(run.variants));
  if (verbose) {
    for (const result of run.results) {
      if (result.rank === 1) continue;
      lines.push(
        '',
        `[${result.rank ?? 'miss'}] ${result.package}: ${JSON.stringify(result.query)} → ${result.functionName} ${result.targets.map((target) => `${target.path}:${target.startLine}-${target.endLine}`).join(' | ')}`,
        `    top-5: ${result.top
          .slice(0, 5)
          .map((hit) => `${hit.path}:${hit.startLine}-${hit.endLine}`)
          .join(', ')}`,
      );
    }
  }
  return lines.join('\n');
}
