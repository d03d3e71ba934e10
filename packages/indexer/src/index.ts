export { createIndexer } from './indexer.ts';
export { indexerOptionsSchema } from './indexer-options.ts';
export type { IndexerOptions, IndexerStore } from './indexer-options.ts';
export { createEmbeddingPump } from './embedding-pump.ts';
export { embeddingPumpOptionsSchema } from './embedding-pump-options.ts';
export type {
  EmbeddingPump,
  EmbeddingPumpListener,
  EmbeddingPumpOptions,
  EmbeddingPumpStore,
} from './embedding-pump-options.ts';
export { defaultMaxFileBytes, scanDirectory, scanOptionsSchema } from './scan.ts';
export type { ScannedFile, ScanOptions, ScanResult, SkippedEntry, SkipReason } from './scan.ts';
export {
  chunkFile,
  defaultMaxChunkChars,
  defaultMaxParseSteps,
  defaultMaxTokens,
} from './chunk.ts';
export type { ChunkFileOptions } from './chunk.ts';
export { detectLanguage } from './language.ts';
export { estimateTokenCount } from './internal/token-count.ts';
export { watchDirectory } from './watch.ts';
export type { DirectoryWatch, WatchBatch, WatchDirectoryOptions } from './watch.ts';
