import { words, type AnalyzedQuery } from '../tokens.ts';
import type { LexicalRow } from './query-levels.ts';
import { codeRanking } from './settings.ts';
import {
  bm25InJs,
  coverage,
  stem,
  stemmedSet,
  TermCounter,
  type ScoredFields,
  type TermStatistics,
} from './term-scoring.ts';

/**
 * Query words in file names: the file-name boost of natural-language queries, and the files
 * named after a query word that become candidates however full-text ranking placed them.
 */

/** Share of query parts (stemmed) found among a file's name words, by stem or by a shared prefix. */
export function fileNameCoverage(parts: readonly string[], names: ReadonlySet<string>): number {
  const prefix = codeRanking.fileNamePrefix;
  if (prefix === 0 || parts.length === 0) return coverage(parts, names);
  let found = 0;
  for (const part of parts) {
    if (names.has(part)) {
      found += 1;
      continue;
    }
    for (const name of names) {
      const shorter = Math.min(part.length, name.length);
      const needed = Math.min(prefix, shorter);
      if (needed >= 3 && part.slice(0, needed) === name.slice(0, needed)) {
        found += 1;
        break;
      }
    }
  }
  return found / parts.length;
}

/** Stemmed words of a file's name (without extension) and of its parent directory. */
export function fileNameWords(path: string): Set<string> {
  const segments = path.split('/');
  const name = segments.at(-1)!.replace(/\.[^.]*$/, '');
  const parents = segments.slice(0, -1).slice(-codeRanking.fileNameDirectories);
  return stemmedSet(`${name} ${codeRanking.fileNameDirectories > 0 ? parents.join(' ') : ''}`);
}

/**
 * Share of a file name's words (without extension) that are query words; `directories` parent
 * directories count as part of the name (none by default).
 */
export function fileNameShareInQuery(
  path: string,
  queryStems: ReadonlySet<string>,
  directories = 0,
): number {
  const segments = path.split('/');
  const name = segments.at(-1)!.replace(/\.[^.]*$/, '');
  const parents = directories > 0 ? segments.slice(0, -1).slice(-directories) : [];
  const nameStems = words([name, ...parents].join(' ')).flatMap((word) => word.parts.map(stem));
  return nameStems.length === 0 ? 0 : fileNameCoverage(nameStems, queryStems);
}

/** A path word to look up: the whole token, or every word starting with it. */
export interface PathTerm {
  token: string;
  prefix: boolean;
}

/**
 * The path words that find files named after a query word (empty for identifier-like queries,
 * which look for files named after the symbol instead): each query part of 3 letters or more,
 * cut to the file-name prefix and matched as a prefix (`building` → `build*`, GsonBuilder).
 */
export function fileNamePathTerms(analyzed: AnalyzedQuery): PathTerm[] {
  if (codeRanking.fileNameFiles <= 0) return [];
  const prefix = codeRanking.fileNamePrefix;
  const terms = new Map<string, PathTerm>();
  for (const part of analyzed.parts) {
    if (part.length < 3) continue;
    const token = prefix > 0 ? part.slice(0, prefix) : part;
    terms.set(token, { token, prefix: prefix > 0 });
  }
  return [...terms.values()];
}

/**
 * The best chunk (by BM25 in JS) of each file whose name holds a query word, best files first,
 * at most `fileNameFiles`, leaving out files that already have a candidate. `rows` are chunks
 * found by their path words (`fileNamePathTerms`), best paths first.
 */
export function namedFileCandidates<Row extends LexicalRow & ScoredFields>(
  rows: readonly Row[],
  analyzed: AnalyzedQuery,
  statistics: TermStatistics,
  candidatePaths: ReadonlySet<string>,
): Row[] {
  const stems = analyzed.parts.map(stem);
  const stemSet = new Set(stems);
  const named = new Map<string, boolean>();
  const counter = new TermCounter(analyzed.parts);
  const best = new Map<string, { row: Row; score: number }>();
  for (const row of rows) {
    if (candidatePaths.has(row.path)) continue;
    let isNamed = named.get(row.path);
    if (isNamed === undefined) {
      isNamed =
        fileNameCoverage(stems, fileNameWords(row.path)) > 0 &&
        fileNameShareInQuery(row.path, stemSet) >= codeRanking.fileNameCandidateShare;
      named.set(row.path, isNamed);
    }
    if (!isNamed) continue;
    const score = bm25InJs(row, counter, statistics);
    const current = best.get(row.path);
    if (!current || score > current.score) best.set(row.path, { row, score });
  }
  return [...best.values()]
    .sort((a, b) => b.score - a.score || b.row.id - a.row.id)
    .slice(0, codeRanking.fileNameFiles)
    .map(({ row }) => ({ ...row, bm25: Number.NaN }));
}
