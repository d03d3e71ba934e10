/**
 * Builds the doc-comment benchmark (CodeSearchNet's method) from installed packages: every
 * corpus file is copied with its doc comments blanked (line numbers unchanged), and each
 * documented function or method becomes a query — the first sentence of its comment — whose
 * answer is the function's line range.
 */
import { createHash } from 'node:crypto';
import {
  existsSync,
  mkdirSync,
  readdirSync,
  readFileSync,
  renameSync,
  rmSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import { join, relative } from 'node:path';
import { blankRanges, firstSentence, parseSource } from './doc-comments.ts';
import { excludedContent, maxSourceBytes, sourceGrammar } from './source-files.ts';

export type DocSplit = 'dev' | 'test' | 'all';

export interface DocTarget {
  /** Relative to the split's corpus root: `<package>/<path in package>`. */
  path: string;
  startLine: number;
  endLine: number;
}

export interface DocQuery {
  package: string;
  query: string;
  /** The function's name (the same in every target). */
  functionName: string;
  /** Every copy of the function in the package (builds often ship it more than once). */
  targets: DocTarget[];
}

export interface PackageSource {
  name: string;
  version: string;
  /** Installed package directory. */
  dir: string;
}

export interface BuiltSplit {
  split: DocSplit;
  /** The directory to index. */
  root: string;
  packages: string[];
  files: number;
  queries: DocQuery[];
}

/** Queries kept per package, so a few large packages do not dominate. */
export const maxQueriesPerPackage = 20;
/** Changes whenever extraction or filtering changes, so cached corpora are rebuilt. */
const corpusFormat = 'docstrings-v1';

const sha256 = (text: string): string => createHash('sha256').update(text).digest('hex');

/** Deterministic split by package name: about half dev, half test. */
export function splitOf(packageName: string): 'dev' | 'test' {
  return Number.parseInt(sha256(`split:${packageName}`).slice(0, 2), 16) < 128 ? 'dev' : 'test';
}

function* walkFiles(dir: string, root: string): Generator<string> {
  for (const entry of readdirSync(dir, { withFileTypes: true }).sort((a, b) =>
    a.name.localeCompare(b.name),
  )) {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) {
      if (entry.name !== 'node_modules') yield* walkFiles(path, root);
    } else if (entry.isFile()) {
      yield relative(root, path).split('\\').join('/');
    }
  }
}

/** A usable query: a real sentence of at least three words. */
export function acceptableQuery(query: string): boolean {
  const words = query.split(/\s+/).filter((word) => /[a-z]/i.test(word));
  return words.length >= 3 && query.length <= 300 && !/^(copyright|eslint|istanbul|@)/i.test(query);
}

interface Candidate {
  query: string;
  functionName: string;
  target: DocTarget;
}

/** Writes the stripped copies of one package and returns its queries. */
async function buildPackage(
  source: PackageSource,
  outDir: string,
): Promise<{ files: number; queries: DocQuery[] }> {
  const candidates: Candidate[] = [];
  let files = 0;
  for (const relativePath of walkFiles(source.dir, source.dir)) {
    const grammar = sourceGrammar(relativePath);
    if (!grammar) continue;
    const absolute = join(source.dir, relativePath);
    if (statSync(absolute).size > maxSourceBytes) continue;
    const content = readFileSync(absolute, 'utf8');
    if (excludedContent(content) !== null) continue;
    const parsed = await parseSource(content, grammar);
    const outPath = join(outDir, source.name, relativePath);
    mkdirSync(join(outPath, '..'), { recursive: true });
    writeFileSync(outPath, blankRanges(content, parsed.docCommentRanges));
    files += 1;
    for (const fn of parsed.functions) {
      if (fn.endLine - fn.startLine + 1 < 3) continue;
      const query = firstSentence(fn.docComment);
      if (!acceptableQuery(query)) continue;
      candidates.push({
        query,
        functionName: fn.name,
        target: {
          path: `${source.name}/${relativePath}`,
          startLine: fn.startLine,
          endLine: fn.endLine,
        },
      });
    }
  }

  const byQuery = new Map<string, Candidate[]>();
  for (const candidate of candidates)
    byQuery.set(candidate.query, [...(byQuery.get(candidate.query) ?? []), candidate]);
  const queries: DocQuery[] = [];
  for (const [query, group] of byQuery) {
    const names = new Set(group.map((candidate) => candidate.functionName));
    if (names.size !== 1) continue; // the same sentence documents different functions: ambiguous
    queries.push({
      package: source.name,
      query,
      functionName: group[0]?.functionName ?? '',
      targets: group.map((candidate) => candidate.target),
    });
  }
  const chosen = queries
    .map((query) => ({ query, order: sha256(`${source.name}\n${query.query}`) }))
    .sort((a, b) => a.order.localeCompare(b.order))
    .slice(0, maxQueriesPerPackage)
    .map(({ query }) => query);
  return { files, queries: chosen };
}

/**
 * Returns the split's corpus and queries (optionally of its first `maxPackages` packages in
 * alphabetical order), building them under `cacheDir` the first time; a later run with the same
 * packages reuses them.
 */
export async function buildSplit(
  packages: readonly PackageSource[],
  split: DocSplit,
  cacheDir: string,
  maxPackages?: number,
): Promise<BuiltSplit> {
  const inSplit = packages
    .filter((source) => split === 'all' || splitOf(source.name) === split)
    .sort((a, b) => a.name.localeCompare(b.name))
    .slice(0, maxPackages);
  const key = sha256(
    [corpusFormat, ...inSplit.map((source) => `${source.name}@${source.version}`)].join('\n'),
  ).slice(0, 12);
  const base = join(cacheDir, `${split}-${key}`);
  const root = join(base, 'corpus');
  const manifest = join(base, 'queries.json');
  if (existsSync(manifest) && existsSync(root)) {
    return JSON.parse(readFileSync(manifest, 'utf8')) as BuiltSplit;
  }

  const partial = `${base}.partial-${process.pid}`;
  rmSync(partial, { recursive: true, force: true });
  mkdirSync(join(partial, 'corpus'), { recursive: true });
  let files = 0;
  const queries: DocQuery[] = [];
  for (const source of inSplit) {
    const built = await buildPackage(source, join(partial, 'corpus'));
    files += built.files;
    queries.push(...built.queries);
  }
  rmSync(base, { recursive: true, force: true });
  renameSync(partial, base);
  const result: BuiltSplit = {
    split,
    root,
    packages: inSplit.map((source) => source.name),
    files,
    queries,
  };
  writeFileSync(manifest, `${JSON.stringify(result)}\n`);
  return result;
}
