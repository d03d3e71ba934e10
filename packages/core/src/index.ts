export { NellieError, throwIfAborted } from './errors.ts';
export type { NellieErrorCode } from './errors.ts';
export { hasLoneSurrogate, limits, loneSurrogateMessage } from './limits.ts';
export type { Limits } from './limits.ts';
export { noopLogger } from './logger.ts';
export type { Logger } from './logger.ts';
export {
  accessScopes,
  describeRepositories,
  fullAccess,
  isFullAccess,
  requireAllRepositories,
  requireScope,
  scopeIncludes,
} from './access.ts';
export type { Access, AccessScope } from './access.ts';
export { scopeIndexer } from './scoped-indexer.ts';
export { scopeStore } from './scoped-store.ts';
export type { ApiKey, ApiKeyInput, CreatedApiKey, PrincipalStore } from './principals.ts';
export type { AuditChannel, AuditEntry, AuditLog, AuditQuery } from './audit.ts';
export type { Embedder, EmbedOptions, EmbeddingPriority, ModelStatus } from './embedder.ts';
export { reciprocalRankFusion } from './search.ts';
export { seededRandom } from './seeded-random.ts';
export type { RankedList, ScoreBreakdown, SearchFilters } from './search.ts';
export {
  chunkLimitForFiles,
  deprecatedSearchFields,
  deprecatedSearchModes,
  groupHitsByFile,
  searchDefaults,
  searchGroupings,
  searchLimits,
  searchModes,
  searchRequestModes,
} from './search-vocabulary.ts';
export type {
  CodeFileHit,
  CodeSearchResponse,
  SearchErrorBody,
  SearchGroupBy,
  SearchMode,
  SearchRequestMode,
  SearchResponse,
} from './search-vocabulary.ts';
export { prepareSearch, semanticSearchState } from './search-preparation.ts';
export {
  answerCheckpointSearch,
  answerCodeSearch,
  answerLessonSearch,
  withMemories,
} from './search-answers.ts';
export type {
  CheckpointSearchQuery,
  CodeSearchQuery,
  LessonSearchQuery,
} from './search-answers.ts';
export type {
  PreparedSearch,
  ScopeVectors,
  SearchPreparationDeps,
  SemanticSearchState,
} from './search-preparation.ts';
export { readFileLimits, repositoryNotFound } from './code.ts';
export type {
  ChunkInput,
  CodeSearchHit,
  CodeSearchRequest,
  CodeStore,
  FileExcerpt,
  FileInput,
  IndexedFile,
  ReadFileRequest,
  Repository,
  RepositorySummary,
  StoredChunk,
} from './code.ts';
export {
  findRepositoryEntry,
  listRepositoryEntries,
  removeRepository,
  renameRepository,
} from './repository-admin.ts';
export type { RepositoryEntry } from './repository-admin.ts';
export {
  anchorStates,
  codeInRange,
  codeMemories,
  describeCodeMemories,
  locateAnchor,
  memoryStaleness,
  mentionedCode,
  stalenessScoreFactor,
  summarizeChange,
  withDefinitions,
} from './anchors.ts';
export type {
  Anchor,
  AnchorChange,
  AnchorCodeView,
  AnchorInput,
  AnchorLocation,
  AnchorSnapshot,
  AnchorState,
  AnchoredLesson,
  CodeMemories,
} from './anchors.ts';
export { lessonSeverities } from './lessons.ts';
export type {
  AnchorRefresher,
  CodeLocation,
  Lesson,
  LessonFilters,
  LessonHit,
  LessonInput,
  LessonSearchRequest,
  LessonSeverity,
  LessonStore,
  Page,
} from './lessons.ts';
export { describeCheckpointChanges } from './checkpoints.ts';
export type {
  AgentStatus,
  Checkpoint,
  CheckpointChanges,
  CheckpointFile,
  CheckpointGit,
  CheckpointHit,
  CheckpointInput,
  CheckpointSearchRequest,
  CheckpointStatus,
  CheckpointStore,
} from './checkpoints.ts';
export type {
  EmbeddingModelInfo,
  EmbeddingSink,
  IntegrityReport,
  MaintenanceReport,
  NellieStore,
  PendingEmbedding,
  StoreOperations,
  StoreStats,
} from './store.ts';
export { isSupersededModel } from './store.ts';
export { emptyIndexProgress } from './indexer.ts';
export type {
  CodeIndexer,
  IndexDiff,
  IndexerStatus,
  IndexJob,
  IndexJobMode,
  IndexJobState,
  IndexProgress,
} from './indexer.ts';
export type {
  IndexJobHeartbeat,
  IndexJobOutcome,
  IndexJobStore,
  StoredIndexJob,
} from './index-job-store.ts';
export {
  formatCheckpointForEmbedding,
  formatChunkForEmbedding,
  formatLessonForEmbedding,
} from './embedding-text.ts';
export { transferColumns, transferKeys, transferTables } from './transfer.ts';
export type {
  StoreTransfer,
  TransferPage,
  TransferRow,
  TransferTable,
  TransferValue,
} from './transfer.ts';
export { copyStore } from './copy-store.ts';
export type { CopyStoreOptions, CopyStoreReport, TableCopyReport } from './copy-store.ts';
