import { words, type AnalyzedQuery } from '../tokens.ts';
import { definesSymbol, embeddedSymbols, fileNamedAfter, queriedSymbols } from './definitions.ts';
import { fileNameCoverage, fileNameShareInQuery, fileNameWords } from './file-names.ts';
import type { LevelMatch, LexicalRow } from './query-levels.ts';
import {
  codeRanking,
  codeFusion,
  fileKinds,
  pathPenalties,
  testClassPattern,
  testPathPattern,
  testQueryWords,
} from './settings.ts';
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

/** What the query asks for that changes how much a kind of file counts. */
interface FileWishes {
  queryParts: ReadonlySet<string>;
  wantsTests: boolean;
  namesIdentifier: boolean;
}

/** How much a chunk's file counts: tests, docs, declarations, examples, shims rank lower. */
function fileFactor(path: string, wishes: FileWishes): number {
  let factor = 1;
  if (!wishes.wantsTests && (testPathPattern.test(path) || testClassPattern.test(path))) {
    factor *= codeRanking.testFile;
  }
  for (const kind of fileKinds) {
    if (!kind.pattern.test(path)) continue;
    if (!kind.wantedBy.some((word) => wishes.queryParts.has(word))) {
      factor *=
        kind.docs && wishes.namesIdentifier ? codeRanking.docsForIdentifierQueries : kind.factor;
    }
    break;
  }
  if (codeRanking.penalisePaths) {
    for (const penalty of pathPenalties) if (penalty.pattern.test(path)) factor *= penalty.factor;
  }
  return factor;
}

/**
 * Identifier-like queries name a symbol: one word with a capital or an underscore inside or in
 * front (`parseConfig`, `_private`, `Router`), or a qualified name (`Phoenix.Router`, `a::b`).
 */
const symbolQueryPattern =
  /^(?:[A-Za-z_$][\w$]*(?:(?:::|\\|->|\.|#)[A-Za-z_$][\w$]*)+|_[\w$]*|[A-Za-z][A-Za-z0-9$]*[A-Z_][\w$]*|[A-Z][\w$]*)$/;

export function isSymbolQuery(query: string): boolean {
  return symbolQueryPattern.test(query.trim());
}

/**
 * What a code query is, for fusion: an identifier (`parseConfig`), prose naming an identifier
 * (`how parseArgs handles flags`, `Plug.Router dispatch`), or other prose (`how are routes
 * matched`, `template rendering`).
 */
export type QueryKind = 'symbol' | 'mixed' | 'prose';

const qualifiedNamePattern = /[A-Za-z_$][\w$]*(?:::|\\|->|\.|#)[A-Za-z_$][\w$]*/;

export function queryKind(query: string): QueryKind {
  if (isSymbolQuery(query)) return 'symbol';
  if (embeddedSymbols(query).length > 0 || qualifiedNamePattern.test(query)) return 'mixed';
  return 'prose';
}

/** The vector list's share of the fused score for a query of this kind. */
function vectorShareFor(kind: QueryKind): number {
  if (kind === 'symbol') return codeFusion.vectorShareForSymbols;
  return kind === 'mixed' ? codeFusion.vectorShareForMixed : codeFusion.vectorShare;
}

/** A chunk the vector index found, with its cosine similarity to the query. */
export interface VectorMatch<Row extends CodeLexicalRow> {
  row: Row;
  similarity: number;
}

/** A ranked code chunk with where its score came from (ranks are 1-based). */
export interface RankedCodeHit<Row extends CodeLexicalRow> {
  row: Row;
  score: number;
  lexical?: { rank: number; score: number };
  vector?: { rank: number; similarity: number };
}

/** Levels of rows only the vector index found: after every full-text level. */
const vectorOnlyLevel = Number.MAX_SAFE_INTEGER;

/**
 * Ranks code candidates in two steps. First a relevance per chunk: bm25 (symbol and path columns
 * already weigh more than the body), boosted when the query names the symbol exactly or its
 * words make up the symbol or the path, decayed per looser level; with vector matches, that
 * ranking and the vector ranking are fused (see `fuseRelevance`). Then the same stack for both
 * modes, each step a setting kept only if the benchmark rewards it: damping for tests, docs and
 * other kinds of files the query does not ask for, an added boost for the definition of a
 * queried symbol, one for query words in the file name, one for files with several matching
 * chunks, and a decay for further chunks of a file already ranked.
 */
export function rankCodeHits<Row extends CodeLexicalRow>(
  analyzed: AnalyzedQuery,
  matches: readonly LevelMatch<Row>[],
  statistics?: TermStatistics,
  query = '',
  vectorMatches: readonly VectorMatch<Row>[] = [],
  similarities: ReadonlyMap<number, number> = new Map(),
): RankedCodeHit<Row>[] {
  const settings = codeRanking;
  const parts = analyzed.parts.map(stem);
  const wantsTests = analyzed.parts.some((part) => testQueryWords.has(part));
  const queryParts = new Set(analyzed.parts.flatMap((part) => [part, stem(part)]));
  const scorer = lexicalScorer(analyzed, matches, statistics, parts);
  const lexical = matches
    .map(({ row, level }) => ({ row, level, relevance: scorer.relevance(row, level) }))
    .sort((a, b) => b.relevance - a.relevance || b.row.id - a.row.id);
  const fused = fuseRelevance(lexical, vectorMatches, query, {
    similarities,
    lexicalScale:
      statistics && codeFusion.completeLexicalSide && vectorMatches.length > 0
        ? lexicalCompletion(scorer, lexical, matches)
        : null,
  });
  const kind = queryKind(query);
  const symbolQuery = kind === 'symbol';
  const names = symbolQuery ? queriedSymbols(query) : embeddedSymbols(query);
  const definitionFactor = symbolQuery
    ? settings.definitionBoost
    : settings.embeddedDefinitionBoost;
  const wishes: FileWishes = { queryParts, wantsTests, namesIdentifier: kind !== 'prose' };
  // Chunks of one file share its path: what depends on the path only is worked out once.
  const fileFactors = new Map<string, number>();
  const hits = fused.map((hit) => {
    let factor = fileFactors.get(hit.row.path);
    if (factor === undefined) {
      factor = fileFactor(hit.row.path, wishes);
      fileFactors.set(hit.row.path, factor);
    }
    return { ...hit, score: hit.score * factor, factor };
  });
  const best = Math.max(1e-9, ...hits.map((hit) => hit.score));
  const partSet = new Set(parts);
  const fileNameShares = new Map<string, number>();
  const fileNameShare = (path: string): number => {
    let share = fileNameShares.get(path);
    if (share === undefined) {
      share = fileNameCoverage(parts, fileNameWords(path));
      if (share > 0 && settings.fileNamePurity > 0) {
        const purity = fileNameShareInQuery(path, partSet, settings.fileNamePurityDirectories);
        share *= purity ** settings.fileNamePurity;
      }
      fileNameShares.set(path, share);
    }
    return share;
  };
  for (const hit of hits) {
    const boostFactor = hit.factor ** settings.boostFileFactorPower;
    if (
      definitionFactor > 0 &&
      names.length > 0 &&
      ((symbolQuery && scorer.namesSymbol(hit.row)) || definesSymbol(hit.row.content, names))
    ) {
      // A definition in a file named after the symbol is the most likely one.
      const tier = fileNamedAfter(hit.row.path, names) ? settings.namedFileDefinition : 1;
      hit.score += definitionFactor * best * tier * boostFactor;
    }
    if (!symbolQuery && settings.fileNameBoost > 0 && parts.length > 0) {
      hit.score += settings.fileNameBoost * best * fileNameShare(hit.row.path) * boostFactor;
    }
  }
  if (settings.fileCoherence > 0) addFileCoherence(hits, best);
  const strict = settings.levelDecay === 0;
  // Ties go to the newer chunk, so the order never depends on how rows were fetched.
  hits.sort((a, b) => (strict ? a.level - b.level : 0) || b.score - a.score || b.row.id - a.row.id);
  const ranked = settings.fileSaturationDecay < 1 ? diversifyFiles(hits, strict) : hits;
  return ranked.map(({ row, score, lexicalRank, lexicalScore, vectorRank, similarity }) => ({
    row,
    score,
    ...(lexicalRank === undefined ? {} : { lexical: { rank: lexicalRank, score: lexicalScore! } }),
    ...(vectorRank === undefined ? {} : { vector: { rank: vectorRank, similarity: similarity! } }),
  }));
}

/** True when the query names the row's symbol (or its last part) exactly. */
function namesSymbolExactly(analyzed: AnalyzedQuery, row: CodeLexicalRow): boolean {
  const symbolWords = row.symbol_name ? words(row.symbol_name) : [];
  const symbolWhole = symbolWords.map((word) => word.whole).join('');
  const lastWhole = symbolWords.at(-1)?.whole;
  return (
    symbolWhole !== '' &&
    (analyzed.symbolNames.has(symbolWhole) ||
      (lastWhole !== undefined && analyzed.symbolNames.has(lastWhole)))
  );
}

interface LexicalRelevance<Row extends CodeLexicalRow> {
  row: Row;
  level: number;
  relevance: number;
}

/** The full-text relevance of a chunk at a level: bm25 times the symbol and path boosts. */
interface LexicalScorer {
  /** `inJs`: with BM25 computed in JS (needs statistics), whatever FTS5 scored. */
  relevance(row: CodeLexicalRow, level: number, inJs?: boolean): number;
  /** `namesSymbolExactly` for this query, worked out once per row. */
  namesSymbol(row: CodeLexicalRow): boolean;
}

function lexicalScorer(
  analyzed: AnalyzedQuery,
  matches: readonly LevelMatch<CodeLexicalRow>[],
  statistics: TermStatistics | undefined,
  parts: readonly string[],
): LexicalScorer {
  const settings = codeRanking;
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
  // A row is scored up to twice (full-text list, fusion completion), and chunks share their
  // file's path and often their symbol or container: the boost of a row and what it is made of
  // are worked out once.
  const exactNames = new Map<string | null, boolean>();
  const coverages = new Map<string, number>();
  const boosts = new Map<CodeLexicalRow, number>();
  const namesSymbol = (row: CodeLexicalRow): boolean => {
    let exact = exactNames.get(row.symbol_name);
    if (exact === undefined) {
      exact = namesSymbolExactly(analyzed, row);
      exactNames.set(row.symbol_name, exact);
    }
    return exact;
  };
  const coverageOf = (text: string | null, kind: string): number => {
    if (!text) return coverage(parts, stemmedSet(text));
    const key = `${kind}${text}`;
    let value = coverages.get(key);
    if (value === undefined) {
      value = coverage(parts, stemmedSet(kind === 'p' ? text.replace(/[/\\.]+/g, ' ') : text));
      coverages.set(key, value);
    }
    return value;
  };
  const boostOf = (row: CodeLexicalRow): number => {
    let boost = boosts.get(row);
    if (boost === undefined) {
      boost =
        1 +
        (namesSymbol(row) ? settings.exactSymbol : 0) +
        settings.symbolCoverage * coverageOf(row.symbol_name, 's') +
        settings.containerCoverage * coverageOf(row.enclosing_symbol, 'c') +
        settings.pathCoverage * coverageOf(row.path, 'p');
      boosts.set(row, boost);
    }
    return boost;
  };
  return {
    relevance(row, level, inJs = false) {
      let base: number;
      if (inJs && statistics) {
        base = jsScores.get(row.id) ?? bm25InJs(row, counter, statistics);
      } else {
        base = Number.isFinite(row.bm25) ? -row.bm25 : (jsScores.get(row.id) ?? bestBase);
      }
      base = Math.max(base, 1e-9);
      const levelFactor = settings.levelDecay > 0 ? settings.levelDecay ** level : 1;
      return base * boostOf(row) * levelFactor;
    },
    namesSymbol,
  };
}

interface FusedCandidate<Row extends CodeLexicalRow> {
  row: Row;
  level: number;
  score: number;
  lexicalRank?: number;
  lexicalScore?: number;
  vectorRank?: number;
  similarity?: number;
}

/** What completes a chunk's fused score from the list it is missing from. */
interface FusionCompletion<Row extends CodeLexicalRow> {
  /** Exact similarities of full-text candidates the vector list lacks, by chunk id. */
  similarities: ReadonlyMap<number, number>;
  /** The normalised full-text relevance of a chunk only the vector list holds; null: unknown. */
  lexicalScale: ((row: Row) => number) | null;
}

/**
 * The full-text relevance of chunks only the vector list holds, normalised like the full-text
 * list's: they count as matches of the loosest level searched, with BM25 from JS; the list is
 * measured in JS as well for it, as FTS5's bm25 has another scale.
 */
function lexicalCompletion<Row extends CodeLexicalRow>(
  scorer: LexicalScorer,
  lexical: readonly LexicalRelevance<Row>[],
  matches: readonly LevelMatch<Row>[],
): ((row: Row) => number) | null {
  if (lexical.length === 0) return null;
  const inJs = lexical.map((entry) => scorer.relevance(entry.row, entry.level, true));
  const scale = minMaxScale(Math.max(...inJs), Math.min(...inJs));
  const loosestLevel = Math.max(0, ...matches.map((match) => match.level));
  return (row) => scale(scorer.relevance(row, loosestLevel, true));
}

/**
 * One relevance per chunk from the full-text ranking and the vector ranking. Without vector
 * matches it is the full-text relevance itself; with them, the sum of both lists' min-max
 * normalised scores, weighted by `codeFusion`. A chunk missing from one list gets, when that
 * side's completion is on, its own score there normalised with that list's min and max
 * (clipped at the side's floor), and nothing from it otherwise.
 */
function fuseRelevance<Row extends CodeLexicalRow>(
  lexical: readonly LexicalRelevance<Row>[],
  vectorMatches: readonly VectorMatch<Row>[],
  query: string,
  completion: FusionCompletion<Row>,
): FusedCandidate<Row>[] {
  const byId = new Map<number, FusedCandidate<Row>>();
  const hybrid = vectorMatches.length > 0;
  const vectorShare = vectorShareFor(queryKind(query));
  const lexicalWeight = 2 * (1 - vectorShare);
  const vectorWeight = 2 * vectorShare;
  const lexicalScale = minMaxScale(lexical[0]?.relevance ?? 0, lexical.at(-1)?.relevance ?? 0);
  const vectorScale = similarityScale(
    vectorMatches.map((match) => match.similarity),
    codeFusion.vectorSimilarityFloor,
  );
  lexical.forEach(({ row, level, relevance }, index) => {
    byId.set(row.id, {
      row,
      level,
      score: hybrid ? lexicalWeight * lexicalScale(relevance) : relevance,
      lexicalRank: index + 1,
      lexicalScore: relevance,
    });
  });
  vectorMatches.forEach(({ row, similarity }, index) => {
    const contribution = vectorWeight * vectorScale(similarity);
    const found = byId.get(row.id);
    if (found) {
      found.score += contribution;
      found.vectorRank = index + 1;
      found.similarity = similarity;
    } else {
      const completed = completion.lexicalScale?.(row);
      byId.set(row.id, {
        row,
        level: vectorOnlyLevel,
        score:
          contribution +
          (completed === undefined
            ? 0
            : lexicalWeight * Math.max(codeFusion.lexicalCompletionFloor, completed)),
        vectorRank: index + 1,
        similarity,
      });
    }
  });
  if (hybrid && codeFusion.completeVectorSide) {
    for (const candidate of byId.values()) {
      if (candidate.vectorRank !== undefined) continue;
      const similarity = completion.similarities.get(candidate.row.id);
      if (similarity === undefined) continue;
      candidate.score +=
        vectorWeight * Math.max(codeFusion.vectorCompletionFloor, vectorScale(similarity));
    }
  }
  return [...byId.values()];
}

/**
 * Full-text candidates the vector list lacks: their exact similarities to the query complete
 * the fusion (`rankCodeHits`'s `similarities`). Empty when that completion is off or there are
 * no vector matches to fuse with.
 */
export function candidatesMissingSimilarity(
  matches: readonly LevelMatch<CodeLexicalRow>[],
  vectorMatches: readonly { id: number }[],
): number[] {
  if (!codeFusion.completeVectorSide || vectorMatches.length === 0) return [];
  const found = new Set(vectorMatches.map((match) => match.id));
  return [...new Set(matches.map((match) => match.row.id).filter((id) => !found.has(id)))];
}

/**
 * The vector list's similarities min-max normalised, with the zero at the list's worst, or at
 * `floor` when the list reaches below it: then nothing below the floor adds anything.
 */
function similarityScale(
  similarities: readonly number[],
  floor: number,
): (score: number) => number {
  const best = Math.max(...similarities, -1);
  const worst = Math.min(...similarities, best);
  if (worst >= floor) return minMaxScale(best, worst);
  if (best <= floor) return () => 0;
  return (similarity) => Math.max(0, (similarity - floor) / (best - floor));
}

/**
 * A score min-max normalised over a list's best and worst: 1 at the best, 0 at the worst,
 * negative below it. A list whose scores are all alike gives its members 1 and any lower
 * score 0.
 */
function minMaxScale(best: number, worst: number): (score: number) => number {
  const range = best - worst;
  return (score) => {
    if (range > 0) return (score - worst) / range;
    return score >= best ? 1 : 0;
  };
}

function addFileCoherence(hits: { row: CodeLexicalRow; score: number }[], best: number): void {
  const sums = new Map<string, number>();
  const top = new Map<string, { score: number }>();
  for (const hit of hits) {
    sums.set(hit.row.path, (sums.get(hit.row.path) ?? 0) + hit.score);
    const current = top.get(hit.row.path);
    if (!current || hit.score > current.score) top.set(hit.row.path, hit);
  }
  const bestSum = Math.max(1e-9, ...sums.values());
  for (const [path, hit] of top) {
    hit.score += codeRanking.fileCoherence * best * (sums.get(path)! / bestSum);
  }
}

/** Each further chunk of an already ranked file is decayed, then the list is re-sorted. */
function diversifyFiles<Hit extends { row: CodeLexicalRow; score: number; level: number }>(
  hits: readonly Hit[],
  strict: boolean,
): Hit[] {
  const seen = new Map<string, number>();
  const decayed = hits.map((hit) => {
    const earlier = seen.get(hit.row.path) ?? 0;
    seen.set(hit.row.path, earlier + 1);
    return { ...hit, score: hit.score * codeRanking.fileSaturationDecay ** earlier };
  });
  return decayed.sort(
    (a, b) => (strict ? a.level - b.level : 0) || b.score - a.score || b.row.id - a.row.id,
  );
}

/** Ranks generic matches (lessons, checkpoints) by level, then bm25. */
export function rankPlainHits<Row extends LexicalRow>(
  matches: readonly LevelMatch<Row>[],
): LexicalHit<Row>[] {
  return matches
    .map((match) => ({ ...match, score: Math.max(-match.row.bm25, 1e-9) }))
    .sort((a, b) => a.level - b.level || b.score - a.score || b.row.id - a.row.id);
}
