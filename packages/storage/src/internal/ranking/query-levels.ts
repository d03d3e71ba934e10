import { ftsString, type AnalyzedQuery, type WordTokens } from '../tokens.ts';
import { codeRanking } from './settings.ts';
import type { TermStatistics } from './term-scoring.ts';

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

/** A term group: the whole word, or its parts as a phrase (adjacent, as indexed). */
function termGroup(term: WordTokens): string {
  if (term.parts.length === 1) return ftsString(term.whole);
  return `(${ftsString(term.whole)} OR ${ftsString(term.parts.join(' '))})`;
}

/** Above this many parts the "all but one" level is skipped (its query grows quadratically). */
const maxAllButOneParts = 8;

/** One full-text query of a search, from strict to loose. */
export interface QueryLevel {
  /** FTS5 MATCH expression built only from quoted, sanitised tokens; bind it as a parameter. */
  match: string;
  /** True when a match contains every query word (no coverage penalty applies). */
  complete: boolean;
  /** Every token the expression mentions (so callers can tell how costly it is to score). */
  tokens: string[];
}

/** The tokens of an FTS5 expression built here: the words inside its quoted strings. */
function expressionTokens(match: string): string[] {
  const tokens = new Set<string>();
  for (const quoted of match.matchAll(/"([^"]*)"/g)) {
    for (const token of quoted[1]!.split(' ')) if (token) tokens.add(token);
  }
  return [...tokens];
}

/**
 * The levels that require every word, strictest first:
 *  1. the words run together as one identifier (`get user by id` → `getuserbyid`);
 *  2. every word, as an identifier whole or its adjacent parts;
 *  3. every part, anywhere.
 */
export function strictQueryLevels(analyzed: AnalyzedQuery): QueryLevel[] {
  if (analyzed.terms.length === 0) return [];
  const levels: string[] = [];
  if (analyzed.concatenations.length > 0 && analyzed.terms.length > 1) {
    levels.push(analyzed.concatenations.map(ftsString).join(' OR '));
  }
  const strict = analyzed.terms.map(termGroup).join(' AND ');
  levels.push(strict);
  const partsAll = analyzed.parts.map(ftsString).join(' AND ');
  const hasCompound = analyzed.terms.some((term) => term.parts.length > 1);
  if (hasCompound && partsAll && partsAll !== strict) levels.push(partsAll);
  return [...new Set(levels)].map((match) => ({
    match,
    complete: true,
    tokens: expressionTokens(match),
  }));
}

/**
 * The loose levels: every part but one (forgives one word the code does not use), then any part,
 * with adjacent words as phrases that reward words appearing together. `keep` can drop parts
 * (e.g. words so common they would match most of the index); at least one part is always kept.
 */
export function looseQueryLevels(
  analyzed: AnalyzedQuery,
  keep: (part: string) => boolean = () => true,
): QueryLevel[] {
  if (analyzed.parts.length < 2) return [];
  const kept = analyzed.parts.filter((part) => keep(part));
  const parts = kept.length > 0 ? kept : analyzed.parts;
  const levels: string[] = [];
  if (parts.length >= 3 && parts.length <= maxAllButOneParts) {
    const groups = parts.map(
      (_, skipped) =>
        `(${parts
          .filter((__, index) => index !== skipped)
          .map(ftsString)
          .join(' AND ')})`,
    );
    levels.push(groups.join(' OR '));
  }
  // A phrase of two dropped words could match as widely as they do.
  const phrases = analyzed.bigrams
    .filter((bigram) => bigram.split(' ').some((word) => parts.includes(word)))
    .map(ftsString);
  levels.push([...parts.map(ftsString), ...phrases].join(' OR '));
  return [...new Set(levels)].map((match) => ({
    match,
    complete: false,
    tokens: expressionTokens(match),
  }));
}

/**
 * Which words the loose levels keep, in a scope with these statistics: words found in the scope
 * and in at most `commonWordDocuments` of its chunks. When the scope holds more chunks than a
 * level scores (`scoredMatchLimit`; a level matching more is cut to its newest matches) and
 * `looseWordBudget` is on, only the rarest words whose matches together fit are kept, the rarest
 * always: a word found in most chunks (the project's name in every path) would otherwise fill the
 * level with the newest chunks and hide older ones that match the rarer words, while adding
 * little to bm25 itself.
 */
export function looseLevelWords(
  parts: readonly string[],
  statistics: TermStatistics,
): (part: string) => boolean {
  const limits = {
    commonDocuments: codeRanking.commonWordDocuments,
    scoredMatches: codeRanking.looseWordBudget
      ? codeRanking.scoredMatchLimit
      : Number.POSITIVE_INFINITY,
  };
  const byFrequency = [...new Set(parts)]
    .map((part) => ({ part, frequency: statistics.documentFrequency(part) }))
    .filter(({ frequency }) => frequency > 0 && frequency <= limits.commonDocuments)
    .sort((a, b) => a.frequency - b.frequency);
  const kept = new Set<string>();
  let matches = 0;
  for (const { part, frequency } of byFrequency) {
    const fits =
      statistics.documents <= limits.scoredMatches || matches + frequency <= limits.scoredMatches;
    if (kept.size > 0 && !fits) break;
    kept.add(part);
    matches += frequency;
  }
  return (part) => kept.has(part);
}

/** All levels of a query, strict then loose (for small tables that need no pruning). */
export function ftsQueryLevels(analyzed: AnalyzedQuery): string[] {
  return [
    ...new Set(
      [...strictQueryLevels(analyzed), ...looseQueryLevels(analyzed)].map((level) => level.match),
    ),
  ];
}

/**
 * Runs query levels from strict to loose until `pool` rows are found; a level given as a
 * function is only built when reached. Each row keeps the strictest level that found it; the
 * level that fills the pool is kept whole, so its rows compete by score, not by fetch order.
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
      }
      levelIndex += 1;
    }
  }
  return result;
}
