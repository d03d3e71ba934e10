export interface TtlCache<T> {
  /** The value, at most the cache's `ttlMs` old; concurrent callers share one load. */
  get(): Promise<T>;
}

/** Caches what `load` answers for `ttlMs`; a failed load is not cached. */
export function createTtlCache<T>(load: () => Promise<T>, ttlMs: number): TtlCache<T> {
  let cached: { value: T; at: number } | undefined;
  let inFlight: Promise<T> | undefined;
  return {
    get() {
      if (cached && Date.now() - cached.at < ttlMs) return Promise.resolve(cached.value);
      inFlight ??= load()
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
