/**
 * The engine-independent parts of the SQLite store, for other `NellieStore` engines (the
 * PostgreSQL store): identifier-aware token text, the levelled full-text queries and the ranking
 * that orders their hits, and the input validation every store applies. An engine that indexes
 * the same token text and ranks with these functions answers searches like the SQLite store.
 * Internal to Nellie's stores: it may change in any minor version.
 */
export { analyzeQuery, pathTokenText, symbolKey, tokenText } from './internal/tokens.ts';
export type { AnalyzedQuery } from './internal/tokens.ts';
export {
  collectLevels,
  looseLevelWords,
  looseQueryLevels,
  strictQueryLevels,
} from './internal/ranking/query-levels.ts';
export type { LevelMatch, LexicalRow, QueryLevel } from './internal/ranking/query-levels.ts';
export {
  candidatesMissingSimilarity,
  isSymbolQuery,
  rankCodeHits,
  rankPlainHits,
} from './internal/ranking/hit-ranking.ts';
export type { CodeLexicalRow, VectorMatch } from './internal/ranking/hit-ranking.ts';
export { breakdown, fuseLexicalAndVector } from './internal/ranking/fusion.ts';
export {
  candidatePool,
  checkpointColumnWeights,
  codeRanking,
  filteredVectorPool,
  lessonColumnWeights,
} from './internal/ranking/settings.ts';
export { definesSymbol, fileNamedAfter, queriedSymbols } from './internal/ranking/definitions.ts';
export { fileNamePathTerms, namedFileCandidates } from './internal/ranking/file-names.ts';
export type { PathTerm } from './internal/ranking/file-names.ts';
export { bm25InJs, TermCounter } from './internal/ranking/term-scoring.ts';
export type { TermStatistics } from './internal/ranking/term-scoring.ts';
export { globPathWords } from './internal/ranking/scope.ts';
export { compileGlob } from './internal/glob-matcher.ts';
export type { CompiledGlob } from './internal/glob-matcher.ts';
export {
  checkQuery,
  checkpointSearchRequestSchema,
  codeSearchRequestSchema,
  lessonSearchRequestSchema,
} from './internal/validation.ts';
export {
  idSchema as numericIdSchema,
  prepareFileWrite,
  relativePathSchema,
  repositoryInputSchema,
  touchSchema,
} from './internal/code-input.ts';
export type { PreparedFileWrite } from './internal/code-input.ts';
export { toIndexedFile, toRepository, toStoredChunk } from './internal/code-rows.ts';
export type { ChunkRow, FileRow, RepositoryRow } from './internal/code-rows.ts';
export {
  lessonHash,
  lessonInputSchema,
  lessonListSchema,
  lessonPatchSchema,
  newLesson,
  patchedLesson,
  toLesson,
} from './internal/lesson-store.ts';
export type { LessonRow } from './internal/lesson-store.ts';
export {
  agentSchema,
  checkpointHash,
  checkpointInputSchema,
  countCheckpointsSchema,
  newCheckpoint,
  recentCheckpointsSchema,
  toAgentStatus,
  toCheckpoint,
  withAnchors,
} from './internal/checkpoint-store.ts';
export type { AgentRow, CheckpointRow } from './internal/checkpoint-store.ts';
export {
  maxCheckpointFiles,
  mentionedPaths,
  recordedFiles,
  withChangesSince,
  withRecordedCode,
} from './internal/checkpoint-changes.ts';
export type { CodeNow, RecordedCode } from './internal/checkpoint-changes.ts';
export {
  anchorCodeWanted,
  anchorContentHash,
  anchorLocationValues,
  anchorOwners,
  anchorTables,
  automaticAnchors,
  confirmedAnchorValues,
  countLessonStaleness,
  isFileNamed,
  isSymbolCandidate,
  lessonStalenessSql,
  locateStoredAnchor,
  parseAnchorInputs,
  parseAnchorRefresh,
  resolveAnchors,
  toAnchor,
  toResolvedAnchor,
  uniqueAnchors,
} from './internal/anchor-code.ts';
export type {
  AnchorCodeReader,
  AnchorOwner,
  AnchorRow,
  ResolvedAnchor,
  SymbolCandidate,
} from './internal/anchor-code.ts';
export { readGitHead } from './internal/git-state.ts';
export { auditQuerySchema, parseAuditEntry } from './internal/audit-store.ts';
export { checkEmbeddingBatch, pendingLimitSchema } from './internal/embedding-store.ts';
export { globNotFound, languageNotFound } from './internal/code-filter-check.ts';
export { changedSinceIndexed, toCodeSearchHit } from './internal/code-search.ts';
export type { HitRow } from './internal/code-search.ts';
export { readFileRequestSchema, readIndexedExcerpt } from './internal/file-reader.ts';
export type { IndexedFileRow } from './internal/file-reader.ts';
export {
  nameOrPathSchema as repositoryNameOrPathSchema,
  newNameSchema as repositoryNewNameSchema,
  rootState,
} from './internal/repository-admin.ts';
export { AnnIndex, loadUsearch, scopedCandidateCount } from './internal/ann-index.ts';
export type { UsearchModule, VectorCandidate } from './internal/ann-index.ts';
export { vectorIndexOptionsSchema } from './internal/sqlite-store-options.ts';
export type { VectorIndexOptions } from './internal/sqlite-store-options.ts';
