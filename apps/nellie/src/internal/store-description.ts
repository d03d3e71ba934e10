import type { StoreDescription } from '@nellie/http-api';
import { isPostgresStore, type AppStore } from '../runtime.ts';

/** What `/ready` and the metrics say of the store: engine, vector index and pool. */
export async function describeStore(store: AppStore): Promise<StoreDescription> {
  if (isPostgresStore(store)) {
    return {
      engine: 'postgres',
      vectorIndex: await store.vectorIndexStatus(),
      pool: store.poolStatus(),
    };
  }
  return {
    engine: 'sqlite',
    vectorIndex: store.embeddingModel ? await store.vectorIndexStatus() : null,
  };
}
