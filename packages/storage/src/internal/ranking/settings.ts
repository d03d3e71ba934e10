/**
 * Every setting that decides how search results are ranked, in one place. Values were measured
 * on real repositories with natural-language and identifier queries (see the package README).
 */

/** Ranking of code chunks found by full-text search. */
export const codeRanking = {
  /** bm25 weights of the chunks_fts word columns: symbol, container, path, body (scope: 0). */
  columnWeights: [3, 1.5, 3, 1] as readonly number[],
  /** Added to the boost when the query names the chunk's symbol exactly. */
  exactSymbol: 2,
  /** Added to the boost, times the share of query words found in the symbol name. */
  symbolCoverage: 2,
  /** The same for the enclosing symbol (class, module). */
  containerCoverage: 0.3,
  /** The same for the file path. */
  pathCoverage: 2,
  /**
   * The definition and file-name boosts of a chunk are multiplied by its file factor (tests,
   * docs, examples) to this power: 0 boosts a test named after the query as much as the source.
   */
  boostFileFactorPower: 1,
  /** Test and spec files rank lower unless the query asks for tests. */
  testFile: 0.3,
  /**
   * Documentation (markdown and other prose files) for queries naming an identifier
   * (`FromRequest`, `how IntoResponse converts …`), which want the code; other queries use the
   * kind's own factor.
   */
  docsForIdentifierQueries: 0.3,
  /**
   * A looser level's scores are multiplied by this per level; 0 ranks every stricter level
   * above all looser ones.
   */
  levelDecay: 0.8,
  /**
   * Identifier-like queries: the chunks that define the named symbol gain this many times the
   * best score (added), so the definition leads however often its name is used.
   */
  definitionBoost: 3,
  /**
   * Count a definition inside a comment (`#   class Engine < Rails::Engine` in a doc example)
   * as the chunk defining the symbol.
   */
  definitionsInComments: false,
  /** The definition boost is multiplied by this when the file is named after the symbol. */
  namedFileDefinition: 1.5,
  /**
   * Identifier-like queries also look for definitions in up to this many chunks of files named
   * after the symbol (`Session` → sessions.py), wherever full-text ranking placed them.
   */
  namedFileScan: 200,
  /** The same for a compound identifier inside a natural-language query. */
  embeddedDefinitionBoost: 1.5,
  /**
   * Natural-language queries: a chunk gains this many times the best score, times the share of
   * query words found in its file's name and parent directory.
   */
  fileNameBoost: 1.5,
  /**
   * The file-name boost is multiplied by the share of the file's name made of query words, to
   * this power: 0 ignores it, 1 lifts `Channel.kt` above `BufferedChannel.kt` for a question
   * about channels, and `Storage.swift` above `Application+Sessions.swift` for one about
   * application storage.
   */
  fileNamePurity: 1,
  /**
   * Parent directories counted in that share, so `extract/mod.rs` keeps half its boost for a
   * question about extractors instead of none.
   */
  fileNamePurityDirectories: 1,
  /**
   * A query word matches a file-name word when they share this many leading characters (or
   * the whole shorter word, of at least 3): `composition` finds compose.ts. 0: equal stems only.
   */
  fileNamePrefix: 5,
  /**
   * Natural-language queries also take as candidates the best chunk of up to this many files
   * whose name holds a query word (`how PDF output is generated` → PDF.hs), wherever full-text
   * ranking placed them: the file-name boost can only lift a file that is a candidate. 0: off.
   */
  fileNameFiles: 10,
  /** Share of such a file's name words that must be query words (1: named after them only). */
  fileNameCandidateShare: 0.5,
  /** Most chunks with a query word in their path read to find those files (newest first). */
  fileNameScan: 400,
  /** How many parent directories count as part of a file's name for that boost. */
  fileNameDirectories: 1,
  /**
   * A file's best chunk gains this share of the best score, times the file's summed score
   * relative to the best file's: files with several matching chunks rise.
   */
  fileCoherence: 1,
  /** Each further chunk of a file already ranked is multiplied by this (1: no decay). */
  fileSaturationDecay: 0.5,
  /** Apply the path penalties below (examples, compat shims, re-export barrels). */
  penalisePaths: true,
  /**
   * Most matches a level scores with bm25. A level matching more scores only its newest matches
   * of this many, so a query's cost stays bounded however large the index grows.
   */
  scoredMatchLimit: 2000,
  /**
   * Loose levels keep only the rarest words whose matches fit in `scoredMatchLimit` when the
   * scope holds more chunks (see `looseLevelWords`); false keeps every word that is not common.
   */
  looseWordBudget: true,
  /**
   * Words in more chunks than this are "common". FTS5's bm25 scans every match of every word to
   * weigh it, so levels with a common word are fetched unscored (newest first, at most
   * `unscoredMatchLimit`) and scored in JS instead.
   */
  commonWordDocuments: 50_000,
  unscoredMatchLimit: 400,
  /**
   * Filtered searches score their candidates in JS with the scope's own statistics; FTS5
   * preselects at most this many per level (or the pool, when larger).
   */
  scopedCandidateLimit: 100,
  /** Chunks counted at most when sizing a scope (its document count for BM25). */
  scopeDocumentLimit: 2_000_000,
  /** BM25 parameters and typical chunk length (characters) for scoring in JS. */
  bm25: { k1: 1.2, b: 0.75, averageChunkLength: 800 },
};

/**
 * How much a kind of file counts, relative to source code: people and agents searching code
 * want the implementation first, then its declarations and docs. The first matching kind wins;
 * a query that names one of `wantedBy` lifts the penalty.
 */
export const fileKinds: readonly {
  pattern: RegExp;
  factor: number;
  wantedBy: readonly string[];
  /** Prose documentation: `codeRanking.docsForIdentifierQueries` for identifier queries. */
  docs?: boolean;
}[] = [
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
    docs: true,
  },
  {
    pattern: /\.d\.[cm]?ts$/i,
    factor: 0.8,
    wantedBy: ['type', 'types', 'declaration', 'typing', 'typings'],
  },
];

/** Paths that rarely hold the implementation people look for, and how much they count. */
export const pathPenalties: readonly { pattern: RegExp; factor: number }[] = [
  { pattern: /(?:^|\/)(?:compat|_compat|legacy|vendor|third_party)(?:\/|$)/i, factor: 0.3 },
  { pattern: /(?:^|\/)(?:_?examples?|docs?_src|samples?)(?:\/|$)/i, factor: 0.3 },
  { pattern: /(?:^|\/)(?:__init__\.py|package-info\.java)$/, factor: 0.5 },
];

export const testPathPattern =
  /(?:^|\/)(?:__tests__|__mocks__|tests?|spec|specs|testing|fixtures?)\/|[._-](?:test|spec)s?\.[^/]+$|(?:^|\/)test_[^/]+$/i;
/** Test classes named by suffix (`UserServiceTest.java`); case matters (`latest.java` is not one). */
export const testClassPattern =
  /[\p{Ll}\p{N}](?:Tests?|Spec|Suite)\.(?:java|kt|swift|cs|scala|php)$/u;
export const testQueryWords: ReadonlySet<string> = new Set([
  'test',
  'tests',
  'spec',
  'specs',
  'testing',
  'fixture',
  'mock',
]);

/**
 * How many ranked candidates each list (full text, vectors) contributes before ranking.
 * Filtered vector searches oversample the ANN index in proportion to their pool, so theirs has
 * its own, smaller size.
 */
export const candidatePools = {
  minimum: 50,
  perResult: 3,
  maximum: 300,
  filteredVectorMinimum: 50,
  filteredVectorPerResult: 2,
};

export function candidatePool(limit: number): number {
  const { minimum, perResult, maximum } = candidatePools;
  return Math.min(maximum, Math.max(minimum, limit * perResult));
}

export function filteredVectorPool(limit: number): number {
  const { filteredVectorMinimum, filteredVectorPerResult, maximum } = candidatePools;
  return Math.min(maximum, Math.max(filteredVectorMinimum, limit * filteredVectorPerResult));
}

/**
 * Fusion of a code search's full-text and vector candidates: each list's scores (full-text
 * relevance, cosine similarity) are min-max normalised over the list and added with these
 * shares, before the ranking stack. Identifier-like queries (`parseConfig`, `Router`) and prose
 * naming an identifier lean less on the vectors (see `queryKind`). Score fusion beat reciprocal
 * rank fusion on the dev split (see README).
 */
export const codeFusion = {
  /** Share of the vector list for identifier-like queries (the full-text list has the rest). */
  vectorShareForSymbols: 0.5,
  /** Share of the vector list for other queries (questions, descriptive phrases). */
  vectorShare: 0.6,
  /**
   * Share for prose that names an identifier (`how parseArgs handles flags`, `Plug.Router
   * dispatch`): the named identifier is a strong full-text signal.
   */
  vectorShareForMixed: 0.3,
  /**
   * A full-text candidate missing from the vector list gets its exact similarity to the query,
   * normalised with the vector list's min and max, instead of nothing from that list. Off: it
   * is below the list's worst whenever the vector search is exact, so only a negative floor
   * changes anything, and that lost on the dev split (see README).
   */
  completeVectorSide: false,
  /**
   * The least (normalised, before the share) such a completed similarity adds: 0 clips it at
   * the list's worst, -Infinity lets it count fully against.
   */
  vectorCompletionFloor: -0.25,
  /**
   * A vector candidate missing from the full-text list gets its BM25 (in JS, with the scope's
   * statistics, at the loosest level searched), normalised with the full-text list's min and
   * max, instead of nothing from that list.
   */
  completeLexicalSide: true,
  /** The least such a completed full-text relevance adds: 0 clips it, -Infinity: no floor. */
  lexicalCompletionFloor: -Infinity,
  /**
   * Similarities below this (cosine) add nothing: when the vector list reaches below it, the
   * list's zero moves up to it instead of to the list's worst. In a small repository the 50
   * nearest chunks include unrelated ones, and min-max normalisation would still give the
   * best of those a large share; -1: off.
   */
  vectorSimilarityFloor: 0.2,
};

/**
 * Reciprocal rank fusion of the full-text and vector lists of lesson and checkpoint searches,
 * with the same query-dependent shares.
 */
export const memoryFusion = {
  /** RRF damping constant: larger flattens the difference between ranks. */
  k: 60,
  vectorShareForSymbols: 0.3,
  vectorShare: 0.5,
};

/** bm25 weights of the lesson columns: title, tags, content. */
export const lessonColumnWeights: readonly number[] = [4, 2, 1];
/** bm25 weights of the checkpoint columns: working_on, state. */
export const checkpointColumnWeights: readonly number[] = [3, 1];
