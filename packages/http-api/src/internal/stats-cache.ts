import type { NellieStore, StoreStats } from '@nellie/core';

export interface StatsCache {
  /** Store statistics at most `ttlMs` old; concurrent callers share one store call. */
  get(): Promise<StoreStats>;
}

export function createStatsCache(store: Pick<NellieStore, 'stats'>, ttlMs = 1000): StatsCache {
  let cached: { value: StoreStats; at: number } | undefined;
  let inFlight: Promise<StoreStats> | undefined;
  return {
    get() {
      if (cached && Date.now() - cached.at < ttlMs) return Promise.resolve(cached.value);
      inFlight ??= store
        .stats()
        .then((value) => {
          cached = { value, at: Date.now() };
          return value;
        })
        .finally(() => {
          inFlight = undefined;
        });
      return inFlight;
    },
  };
}
