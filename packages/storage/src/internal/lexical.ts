import { type AnalyzedQuery, type QueryLevel, words } from './tokens.ts';

/** One full-text match, before re-ranking. */
export interface LexicalRow {
  id: number;
  /** FTS5 bm25: lower (more negative) is better; NaN when the row was found another way. */
  bm25: number;
}

export interface LevelMatch<Row extends LexicalRow> {
  row: Row;
  /** Index of the level that found the row; lower levels are stricter. */
  level: number;
  /** True when the row contains every query word. */
  complete: boolean;
}

export interface LexicalHit<Row extends LexicalRow> extends LevelMatch<Row> {
  score: number;
}

/**
 * Runs query levels from strict to loose until `pool` rows are found; a level given as a
 * function is only built when reached. Rows of a stricter level rank above looser ones.
 */
export function collectLevels<Row extends LexicalRow>(
  levels: readonly (QueryLevel | (() => QueryLevel[]))[],
  pool: number,
  run: (match: string, limit: number) => Row[],
  firstLevel = 0,
): LevelMatch<Row>[] {
  const seen = new Set<number>();
  const result: LevelMatch<Row>[] = [];
  let levelIndex = firstLevel;
  for (const entry of levels) {
    if (result.length >= pool) break;
    for (const level of typeof entry === 'function' ? entry() : [entry]) {
      if (result.length >= pool) break;
      const rows = run(level.match, pool + seen.size);
      for (const row of rows) {
        if (seen.has(row.id)) continue;
        seen.add(row.id);
        result.push({ row, level: levelIndex, complete: level.complete });
        if (result.length >= pool) break;
      }
      levelIndex += 1;
    }
  }
  return result;
}

/**
 * A light suffix stripper for comparing query words with symbol, path and body words in JS
 * (`parsing`, `parses`, `parse` → `pars`). Applied to both sides, so it only has to be consistent.
 */
export function stem(token: string): string {
  if (token.length > 4 && token.endsWith('ies')) return `${token.slice(0, -3)}y`;
  let value = token;
  let suffixRemoved = false;
  if (value.length > 5 && value.endsWith('ing')) {
    value = value.slice(0, -3);
    suffixRemoved = true;
  } else if (value.length > 4 && value.endsWith('ed')) {
    value = value.slice(0, -2);
    suffixRemoved = true;
  } else if (value.length > 4 && /(?:ss|x|z|ch|sh)es$/.test(value)) {
    value = value.slice(0, -2);
  } else if (value.length > 3 && value.endsWith('s') && !value.endsWith('ss')) {
    value = value.slice(0, -1);
  }
  if (value.length > 4 && value.endsWith('e')) value = value.slice(0, -1);
  // running → runn → run
  if (suffixRemoved && /([b-df-hj-np-tv-z])\1$/.test(value)) value = value.slice(0, -1);
  return value;
}

export function stemmedSet(text: string | null | undefined): Set<string> {
  const set = new Set<string>();
  if (!text) return set;
  for (const word of words(text)) {
    set.add(stem(word.whole));
    for (const part of word.parts) set.add(stem(part));
  }
  return set;
}

function coverage(parts: readonly string[], set: Set<string>): number {
  if (parts.length === 0) return 0;
  let found = 0;
  for (const part of parts) if (set.has(part)) found += 1;
  return found / parts.length;
}

/** Ranking constants for code; tuned on real repositories with natural-language and identifier queries. */
export const codeRanking = {
  /** Rank every stricter level above looser ones (true), or mix levels by score (false). */
  strictLevels: true,
  /** bm25 weights of the chunks_fts columns: symbol, container, path, body. */
  columnWeights: [3, 1.5, 1.5, 1] as readonly number[],
  /** Looser-level scores are multiplied by (share of query words present) to this power. */
  coverageExponent: 0,
  exactSymbol: 2,
  symbolCoverage: 1,
  containerCoverage: 0.3,
  pathCoverage: 1,
  /** Test and spec files rank lower unless the query asks for tests. */
  testFile: 0.6,
  /** Docs, changelogs, lockfiles and type declarations rank below code (see fileKinds). */
  fileKinds: true,
  /**
   * Most matches a level scores with bm25. A level matching more scores only its newest matches
   * of this many, so a query's cost stays bounded however large the index grows.
   */
  scoredMatchLimit: 2000,
  /**
   * Words in more chunks than this are "common". FTS5's bm25 scans every match of every word to
   * weigh it, so levels with a common word are fetched unscored (newest first, at most
   * `unscoredMatchLimit`) and scored in JS instead.
   */
  commonWordDocuments: 50_000,
  unscoredMatchLimit: 400,
};

/**
 * How much a kind of file counts, relative to source code: people and agents searching code
 * want the implementation first, then its declarations and docs.
 */
const fileKinds: readonly { pattern: RegExp; factor: number; wantedBy: readonly string[] }[] = [
  {
    pattern: /(?:^|\/)(?:changelog|changes|history|news|releases?)(?:\.[^/]*)?$/i,
    factor: 0.3,
    wantedBy: ['changelog', 'history', 'release', 'changes'],
  },
  {
    pattern:
      /(?:^|\/)(?:package-lock\.json|yarn\.lock|pnpm-lock\.yaml|cargo\.lock|poetry\.lock|go\.sum)$/i,
    factor: 0.3,
    wantedBy: ['lock', 'lockfile'],
  },
  {
    pattern: /\.(?:md|markdown|mdx|rst|adoc|txt)$/i,
    factor: 0.6,
    wantedBy: ['readme', 'doc', 'docs', 'documentation', 'guide', 'example', 'tutorial'],
  },
  {
    pattern: /\.d\.[cm]?ts$/i,
    factor: 0.8,
    wantedBy: ['type', 'types', 'declaration', 'typing', 'typings'],
  },
];

function fileFactor(path: string, queryParts: ReadonlySet<string>): number {
  for (const kind of fileKinds) {
    if (!kind.pattern.test(path)) continue;
    return kind.wantedBy.some((word) => queryParts.has(word)) ? 1 : kind.factor;
  }
  return 1;
}

const testPathPattern =
  /(?:^|\/)(?:__tests__|__mocks__|tests?|spec|specs|fixtures?)\/|[._-](?:test|spec)s?\.[^/]+$/i;
const testQueryWords = new Set(['test', 'tests', 'spec', 'specs', 'testing', 'fixture', 'mock']);

/**
 * Counts query words in text the way the index matches them: at word or camelCase boundaries,
 * any case, and by stem prefix (`pars` matches parse, parser, parsing). Used to score rows that
 * were fetched without FTS5 scoring, and to measure how many query words a row contains.
 */
export class TermCounter {
  readonly parts: readonly string[];
  readonly #patterns: RegExp[];

  constructor(parts: readonly string[]) {
    this.parts = parts;
    this.#patterns = parts.map((part) => {
      const stemmed = stem(part);
      const anyCase = [...stemmed]
        .map((char) => {
          const lower = char.toLowerCase();
          const upper = char.toUpperCase();
          return lower === upper ? escapeRegExp(char) : `[${lower}${upper}]`;
        })
        .join('');
      const first = stemmed[0]!;
      const capitalised = `${escapeRegExp(first.toUpperCase())}${escapeRegExp(stemmed.slice(1))}`;
      // At a word start (any case) or at a camelCase hump (Capitalised after a lowercase letter).
      return new RegExp(`(?<![\\p{L}\\p{N}])${anyCase}|(?<=\\p{Ll})${capitalised}`, 'gu');
    });
  }

  /** Occurrences of each part in `text`. */
  count(text: string | null | undefined): number[] {
    if (!text) return this.#patterns.map(() => 0);
    return this.#patterns.map((pattern) => {
      pattern.lastIndex = 0;
      let found = 0;
      while (pattern.exec(text) !== null) found += 1;
      return found;
    });
  }
}

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

/** Inverse document frequencies of query parts, from (estimated) document counts. */
export interface TermStatistics {
  documents: number;
  documentFrequency(part: string): number;
}

/** Typical chunk length in characters, for BM25 length normalisation. */
const averageChunkLength = 800;

/** BM25 over the symbol, container, path and body of a row, computed in JS. */
function scoreInJs(row: CodeLexicalRow, counter: TermCounter, statistics: TermStatistics): number {
  const [symbolWeight = 4, containerWeight = 2, pathWeight = 2, bodyWeight = 1] =
    codeRanking.columnWeights;
  const symbol = counter.count(row.symbol_name);
  const container = counter.count(row.enclosing_symbol);
  const path = counter.count(row.path);
  const body = counter.count(row.content);
  const k1 = 1.2;
  const b = 0.75;
  const lengthNorm = 1 - b + (b * row.content.length) / averageChunkLength;
  let score = 0;
  counter.parts.forEach((part, index) => {
    const tf =
      symbolWeight * symbol[index]! +
      containerWeight * container[index]! +
      pathWeight * path[index]! +
      bodyWeight * body[index]!;
    if (tf === 0) return;
    const df = Math.min(statistics.documentFrequency(part), statistics.documents);
    const idf = Math.log(1 + (statistics.documents - df + 0.5) / (df + 0.5));
    score += (idf * tf * (k1 + 1)) / (tf + k1 * lengthNorm);
  });
  return score;
}

export interface CodeLexicalRow extends LexicalRow {
  symbol_name: string | null;
  enclosing_symbol: string | null;
  path: string;
  content: string;
}

/**
 * Re-ranks code matches: bm25 (symbol and path columns already weigh more than the body),
 * boosted when the query names the symbol exactly or its words make up the symbol or the path,
 * and damped by the share of query words the chunk lacks (looser levels match only some).
 */
export function rankCodeHits<Row extends CodeLexicalRow>(
  analyzed: AnalyzedQuery,
  matches: readonly LevelMatch<Row>[],
  statistics?: TermStatistics,
): LexicalHit<Row>[] {
  const parts = analyzed.parts.map(stem);
  const wantsTests = analyzed.parts.some((part) => testQueryWords.has(part));
  const queryParts = new Set(analyzed.parts.flatMap((part) => [part, stem(part)]));
  const counter = new TermCounter(analyzed.parts);
  // Rows fetched without FTS5 scoring (levels with common words, symbol lookups) are scored in
  // JS when statistics are given; without them they get the best score seen.
  let bestBase = 1;
  const jsScores = new Map<number, number>();
  for (const { row } of matches) {
    if (Number.isFinite(row.bm25)) {
      bestBase = Math.max(bestBase, -row.bm25);
    } else if (statistics) {
      const score = scoreInJs(row, counter, statistics);
      jsScores.set(row.id, score);
      bestBase = Math.max(bestBase, score);
    }
  }
  const hits = matches.map(({ row, level, complete }) => {
    const base = Math.max(
      Number.isFinite(row.bm25) ? -row.bm25 : (jsScores.get(row.id) ?? bestBase),
      1e-9,
    );
    const symbolWords = row.symbol_name ? words(row.symbol_name) : [];
    const symbolWhole = symbolWords.map((word) => word.whole).join('');
    const lastWhole = symbolWords.at(-1)?.whole;
    const exact =
      symbolWhole !== '' &&
      (analyzed.symbolNames.has(symbolWhole) ||
        (lastWhole !== undefined && analyzed.symbolNames.has(lastWhole)));
    const symbolCoverage = coverage(parts, stemmedSet(row.symbol_name));
    const containerCoverage = coverage(parts, stemmedSet(row.enclosing_symbol));
    const pathCoverage = coverage(parts, stemmedSet(row.path.replace(/[/\\.]+/g, ' ')));
    let matched = 1;
    if (!complete && codeRanking.coverageExponent !== 0) {
      const found = counter.count(
        `${row.symbol_name ?? ''} ${row.enclosing_symbol ?? ''} ${row.path} ${row.content}`,
      );
      matched = found.filter((value) => value > 0).length / Math.max(1, found.length);
    }
    const boost =
      1 +
      (exact ? codeRanking.exactSymbol : 0) +
      codeRanking.symbolCoverage * symbolCoverage +
      codeRanking.containerCoverage * containerCoverage +
      codeRanking.pathCoverage * pathCoverage;
    const testFactor = !wantsTests && testPathPattern.test(row.path) ? codeRanking.testFile : 1;
    const kindFactor = codeRanking.fileKinds ? fileFactor(row.path, queryParts) : 1;
    const score = base * boost * testFactor * kindFactor * matched ** codeRanking.coverageExponent;
    return { row, level, complete, score };
  });
  return codeRanking.strictLevels
    ? hits.sort((a, b) => a.level - b.level || b.score - a.score)
    : hits.sort((a, b) => b.score - a.score || a.level - b.level);
}

/** Ranks generic matches (lessons, checkpoints) by level, then bm25. */
export function rankPlainHits<Row extends LexicalRow>(
  matches: readonly LevelMatch<Row>[],
): LexicalHit<Row>[] {
  return matches
    .map((match) => ({ ...match, score: Math.max(-match.row.bm25, 1e-9) }))
    .sort((a, b) => a.level - b.level || b.score - a.score);
}
