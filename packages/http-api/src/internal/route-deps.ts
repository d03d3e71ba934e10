import type { CodeIndexer, Embedder, Logger, ModelStatus, NellieStore } from '@nellie/core';
import type { AppContext } from './env.ts';
import type { MissingRepositoriesCache } from './missing-repositories.ts';
import type { StatsCache } from './stats-cache.ts';

/** What route handlers receive. */
export interface RouteDeps {
  store: NellieStore;
  indexer?: CodeIndexer;
  embedder?: Embedder;
  modelStatus: () => ModelStatus;
  logger: Logger;
  version: string;
  stats: StatsCache;
  /** Registered repositories whose root directory is gone. */
  missingRepositories: MissingRepositoriesCache;
  mcpSessions: () => { streamableHttp: number; sse: number };
  /** Records a write in the audit log; a failure is logged, never turned into a failed request. */
  audit: (
    c: AppContext,
    action: string,
    target: string | null,
    details?: Record<string, unknown> | null,
  ) => Promise<void>;
}
