import type { NellieStore, StoreStats } from '@nellie/core';
import { createTtlCache, type TtlCache } from './ttl-cache.ts';

/** Store statistics at most `ttlMs` old; concurrent callers share one store call. */
export type StatsCache = TtlCache<StoreStats>;

export function createStatsCache(store: Pick<NellieStore, 'stats'>, ttlMs = 1000): StatsCache {
  return createTtlCache(() => store.stats(), ttlMs);
}
