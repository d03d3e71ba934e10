/**
 * Query expansion: words related to a natural-language query's words (sent by the caller, e.g.
 * the nearest whole words of a static embedding model's vocabulary) also count on the full-text
 * side, each weighted by its similarity and `queryExpansion.weight`. Identifier queries and
 * prose naming an identifier are not expanded: their words are what the code holds.
 */
import { ftsString, isStopWord, words, type AnalyzedQuery } from '../tokens.ts';
import { queryKind, type CodeLexicalRow } from './hit-ranking.ts';
import type { LevelMatch } from './query-levels.ts';
import { codeRanking, queryExpansion } from './settings.ts';
import { stem, TermCounter, type ScoredFields, type TermStatistics } from './term-scoring.ts';

/** A word related to a query word, with its similarity (cosine) to it. */
export interface RelatedWord {
  word: string;
  similarity: number;
}

/** The query words whose related words a search may use: content words of a prose query. */
export function wordsToExpand(query: string): string[] {
  if (queryExpansion.weight <= 0 || queryKind(query) !== 'prose') return [];
  const found = new Set<string>();
  for (const word of words(query)) {
    for (const part of word.parts) {
      if (part.length >= 3 && /^\p{L}+$/u.test(part) && !isStopWord(part)) found.add(part);
    }
  }
  return [...found];
}

/** Expansion terms of a search, with the weight each one's BM25 counts. */
export interface ExpansionTerms {
  counter: TermCounter;
  weights: readonly number[];
}

/**
 * The terms a search adds: related words at or above the similarity threshold, at most
 * `wordsPerQueryWord` per query word (in the order given, best first), none that is a query
 * word, its stem or a stop word. Null when there are none or expansion is off.
 */
export function expansionTerms(
  query: string,
  analyzed: AnalyzedQuery,
  related: readonly RelatedWords[] | undefined,
): ExpansionTerms | null {
  if (!related || related.length === 0 || wordsToExpand(query).length === 0) return null;
  const queryStems = new Set(analyzed.parts.map(stem));
  const best = new Map<string, number>();
  for (const entry of related) {
    let taken = 0;
    for (const { word, similarity } of entry.words) {
      if (taken >= queryExpansion.wordsPerQueryWord) break;
      if (similarity < queryExpansion.minSimilarity) continue;
      const lower = word.toLowerCase();
      if (!/^\p{L}{3,}$/u.test(lower) || isStopWord(lower) || queryStems.has(stem(lower))) continue;
      taken += 1;
      best.set(lower, Math.max(best.get(lower) ?? 0, similarity));
    }
  }
  if (best.size === 0) return null;
  return {
    counter: new TermCounter([...best.keys()]),
    weights: [...best.values()].map((similarity) => queryExpansion.weight * similarity),
  };
}

/** The weighted BM25 (in JS, like `bm25InJs`) of a chunk's expansion terms. */
export function expansionScore(
  row: ScoredFields,
  terms: ExpansionTerms,
  statistics: TermStatistics,
): number {
  const [symbolWeight, containerWeight, pathWeight, bodyWeight] = codeRanking.columnWeights as [
    number,
    number,
    number,
    number,
  ];
  const { k1, b, averageChunkLength } = codeRanking.bm25;
  const symbol = terms.counter.count(row.symbol_name);
  const container = terms.counter.count(row.enclosing_symbol);
  const path = terms.counter.count(row.path);
  const body = terms.counter.count(row.content);
  const lengthNorm = 1 - b + (b * row.content.length) / averageChunkLength;
  let score = 0;
  terms.counter.parts.forEach((part, index) => {
    const tf =
      symbolWeight * symbol[index]! +
      containerWeight * container[index]! +
      pathWeight * path[index]! +
      bodyWeight * body[index]!;
    if (tf === 0) return;
    const df = Math.min(statistics.documentFrequency(part), statistics.documents);
    const idf = Math.log(1 + (statistics.documents - df + 0.5) / (df + 0.5));
    score += (terms.weights[index]! * idf * tf * (k1 + 1)) / (tf + k1 * lengthNorm);
  });
  return score;
}

/**
 * Whether the query's own words are weakly found: the mean share of its parts present in the
 * best 10 candidates (by relevance) is below `weakEvidence`.
 */
export function weakEvidence(analyzed: AnalyzedQuery, best: readonly ScoredFields[]): boolean {
  if (queryExpansion.weakEvidence >= 1) return true;
  if (best.length === 0 || analyzed.parts.length === 0) return true;
  const counter = new TermCounter(analyzed.parts);
  let share = 0;
  for (const row of best.slice(0, 10)) {
    const text = `${row.symbol_name ?? ''} ${row.enclosing_symbol ?? ''} ${row.path} ${row.content}`;
    const counts = counter.count(text);
    share += counts.filter((count) => count > 0).length / counts.length;
  }
  return share / Math.min(10, best.length) < queryExpansion.weakEvidence;
}

/** The words related to one query word, best first. */
export interface RelatedWords {
  of: string;
  words: readonly RelatedWord[];
}

/**
 * Expands a search's full-text candidates (in place) when the query qualifies: the chunks the
 * related words find (`run`, one full-text query of them all, at most `candidates`) join as the
 * loosest matches, and the returned function scores any chunk's related words. Undefined when
 * nothing is expanded.
 */
export function expandQuery<Row extends CodeLexicalRow>(
  query: string,
  analyzed: AnalyzedQuery,
  related: readonly RelatedWords[] | undefined,
  matches: LevelMatch<Row>[],
  statistics: TermStatistics,
  run: (match: string, limit: number) => Row[],
): ((row: CodeLexicalRow) => number) | undefined {
  const terms = expansionTerms(query, analyzed, related);
  if (!terms) return undefined;
  const ordered = [...matches]
    .sort((a, b) => a.level - b.level || (a.row.bm25 || 0) - (b.row.bm25 || 0))
    .map((match) => match.row);
  if (!weakEvidence(analyzed, ordered)) return undefined;
  if (queryExpansion.candidates > 0) {
    const seen = new Set(matches.map((match) => match.row.id));
    const level = Math.max(1, ...matches.map((match) => match.level)) + 1;
    const expression = terms.counter.parts.map(ftsString).join(' OR ');
    const rows = run(expression, queryExpansion.candidates)
      .filter((row) => !seen.has(row.id))
      .slice(0, queryExpansion.candidates);
    for (const row of rows) {
      row.bm25 = Number.NaN;
      matches.push({ row, level, complete: false });
    }
  }
  return (row) => expansionScore(row, terms, statistics);
}
