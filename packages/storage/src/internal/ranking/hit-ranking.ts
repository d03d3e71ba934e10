import { words, type AnalyzedQuery } from '../tokens.ts';
import type { LevelMatch, LexicalRow } from './query-levels.ts';
import { codeRanking, fileKinds, testPathPattern, testQueryWords } from './settings.ts';
import {
  bm25InJs,
  coverage,
  stem,
  stemmedSet,
  TermCounter,
  type ScoredFields,
  type TermStatistics,
} from './term-scoring.ts';

export interface LexicalHit<Row extends LexicalRow> extends LevelMatch<Row> {
  score: number;
}

export interface CodeLexicalRow extends LexicalRow, ScoredFields {}

function fileFactor(path: string, queryParts: ReadonlySet<string>): number {
  for (const kind of fileKinds) {
    if (!kind.pattern.test(path)) continue;
    return kind.wantedBy.some((word) => queryParts.has(word)) ? 1 : kind.factor;
  }
  return 1;
}

/**
 * Re-ranks code matches: bm25 (symbol and path columns already weigh more than the body),
 * boosted when the query names the symbol exactly or its words make up the symbol or the path,
 * and damped for tests, docs and other kinds of files the query does not ask for. Rows of a
 * stricter level rank above looser ones.
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
      const score = bm25InJs(row, counter, statistics);
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
    const boost =
      1 +
      (exact ? codeRanking.exactSymbol : 0) +
      codeRanking.symbolCoverage * coverage(parts, stemmedSet(row.symbol_name)) +
      codeRanking.containerCoverage * coverage(parts, stemmedSet(row.enclosing_symbol)) +
      codeRanking.pathCoverage * coverage(parts, stemmedSet(row.path.replace(/[/\\.]+/g, ' ')));
    const testFactor = !wantsTests && testPathPattern.test(row.path) ? codeRanking.testFile : 1;
    const score = base * boost * testFactor * fileFactor(row.path, queryParts);
    return { row, level, complete, score };
  });
  // Ties go to the newer chunk, so the order never depends on how rows were fetched.
  return hits.sort((a, b) => a.level - b.level || b.score - a.score || b.row.id - a.row.id);
}

/** Ranks generic matches (lessons, checkpoints) by level, then bm25. */
export function rankPlainHits<Row extends LexicalRow>(
  matches: readonly LevelMatch<Row>[],
): LexicalHit<Row>[] {
  return matches
    .map((match) => ({ ...match, score: Math.max(-match.row.bm25, 1e-9) }))
    .sort((a, b) => a.level - b.level || b.score - a.score || b.row.id - a.row.id);
}
