export { createPostgresStore } from './postgres-store.ts';
export type { PoolStatus, PostgresStore, VectorIndexStatus } from './postgres-store.ts';
export { postgresStoreOptionsSchema } from './postgres-store-options.ts';
export type { PostgresStoreOptions } from './postgres-store-options.ts';
