export { createSqliteStore } from './sqlite-store.ts';
export type { SqliteStore, VectorIndexStatus } from './sqlite-store.ts';
export {
  sqliteStoreOptionsSchema,
  vectorIndexOptionsSchema,
} from './internal/sqlite-store-options.ts';
export type { SqliteStoreOptions } from './internal/sqlite-store-options.ts';
export { resetEmbeddings, resetEmbeddingsOptionsSchema } from './reset-embeddings.ts';
export type { ResetEmbeddingsOptions } from './reset-embeddings.ts';
