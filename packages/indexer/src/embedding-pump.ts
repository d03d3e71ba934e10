import {
  NellieError,
  noopLogger,
  type Embedder,
  type Logger,
  type PendingEmbedding,
} from '@nellie/core';
import { z } from 'zod';
import {
  embeddingPumpOptionsSchema,
  type EmbeddingPump,
  type EmbeddingPumpListener,
  type EmbeddingPumpOptions,
  type EmbeddingPumpStore,
} from './embedding-pump-options.ts';

/** Longest wait between retries of a failing embedder. */
const maxBackoffMs = 60_000;

/**
 * Creates and starts the background embedding pump: it drains the store's pending embeddings
 * (chunks, lessons, checkpoints) through the embedder, retrying a failing embedder with
 * backoff. The caller owns it and closes it after whatever writes to the store (the indexer).
 */
export function createEmbeddingPump(options: EmbeddingPumpOptions): EmbeddingPump {
  const parsed = embeddingPumpOptionsSchema.safeParse(options);
  if (!parsed.success) {
    throw new NellieError('INVALID_OPTIONS', z.prettifyError(parsed.error), {
      cause: parsed.error,
    });
  }
  const { store, embedder } = options;
  if (typeof store?.pendingEmbeddings !== 'function' || typeof store.putEmbeddings !== 'function') {
    throw new NellieError(
      'INVALID_OPTIONS',
      'createEmbeddingPump needs a store with pendingEmbeddings() and putEmbeddings().',
    );
  }
  if (typeof embedder?.embed !== 'function') {
    throw new NellieError('INVALID_OPTIONS', 'createEmbeddingPump needs an embedder.');
  }
  const settings = parsed.data;
  const pump = new Pump({
    store,
    embedder,
    logger: options.logger ?? noopLogger,
    batchSize: settings.batchSize,
    parallelBatches: settings.parallelBatches,
    idleMs: settings.pollMs,
    backoffMs: settings.retryMs,
    maxBackoffMs,
  });
  pump.start();
  return {
    get enabled() {
      return pump.enabled;
    },
    get backlog() {
      return pump.enabled ? pump.backlog : 0;
    },
    wake: () => pump.wake(),
    waitForIdle: (waitOptions = {}) => pump.waitForIdle(waitOptions.signal),
    subscribe: (listener) => pump.subscribe(listener),
    close: () => pump.close(),
    [Symbol.asyncDispose]: () => pump.close(),
  };
}

interface PumpSettings {
  store: EmbeddingPumpStore;
  embedder: Embedder;
  logger: Logger;
  /** Texts per `embed` call. */
  batchSize: number;
  /** Batches in flight at once, so the embedder never waits for the store. */
  parallelBatches: number;
  /** Poll interval when nothing is pending. */
  idleMs: number;
  /** First retry delay after a failure; doubles up to `maxBackoffMs`. */
  backoffMs: number;
  maxBackoffMs: number;
}

interface Waiter {
  resolve: () => void;
  reject: (error: Error) => void;
}

/** How long a text that cannot be embedded is skipped before it is tried again. */
const setAsideMs = 10 * 60_000;

function message(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

/**
 * Drains the store's pending embeddings (chunks, lessons and checkpoints alike) through the
 * embedder in bulk priority, polling about once a second when idle. A failing embedder is
 * retried with exponential backoff; a text that fails on its own while others succeed is set
 * aside so it cannot block the queue.
 */
class Pump {
  /** Items known to be waiting for vectors (a lower bound when the queue is long). */
  backlog = 0;
  private readonly options: PumpSettings;
  private readonly listeners = new Set<EmbeddingPumpListener>();
  private readonly inFlight = new Set<string>();
  /** Texts that failed on their own, skipped until the given time. */
  private readonly setAside = new Map<string, number>();
  private readonly strikes = new Map<string, number>();
  private running = false;
  private closed = false;
  private wakeUp: (() => void) | null = null;
  private wakeRequested = false;
  private loop: Promise<void> | null = null;
  private consecutiveFailures = 0;
  private lastFailure: unknown = null;
  private waiters: Waiter[] = [];
  private lastStatsAt = 0;
  private disabledReason: string | null = null;

  constructor(options: PumpSettings) {
    this.options = options;
  }

  /** Whether vectors are produced at all (a store with vectors enabled for the embedder's model). */
  get enabled(): boolean {
    const { store } = this.options;
    return (
      store.embeddingModel !== null &&
      store.embeddingModel !== undefined &&
      this.disabledReason === null
    );
  }

  /** Registers a listener; returns the function that removes it. */
  subscribe(listener: EmbeddingPumpListener): () => void {
    this.listeners.add(listener);
    return () => {
      this.listeners.delete(listener);
    };
  }

  start(): void {
    if (this.running || this.closed) return;
    const { store, embedder, logger } = this.options;
    if (store.embeddingModel) {
      const model = store.embeddingModel;
      if (model.dimensions !== embedder.dimensions || model.modelId !== embedder.modelId) {
        this.disabledReason =
          `The store holds vectors of ${model.modelId} (${model.dimensions} dimensions) but the ` +
          `embedder is ${embedder.modelId} (${embedder.dimensions} dimensions); no vectors are ` +
          'written. Open the store with the embedder’s model, or reset its embeddings to switch.';
        logger.error({ store: model, embedder: embedder.modelId }, this.disabledReason);
      }
    }
    if (!this.enabled) return;
    this.running = true;
    this.loop = this.run();
  }

  /** Polls now instead of waiting for the idle interval (called after chunks are written). */
  wake(): void {
    this.wakeRequested = true;
    this.wakeUp?.();
  }

  /** Resolves once a poll finds nothing to embed; rejects if the embedder keeps failing. */
  waitForIdle(signal?: AbortSignal): Promise<void> {
    if (this.closed) {
      return Promise.reject(new NellieError('STORE_CLOSED', 'The embedding pump is closed.'));
    }
    if (!this.enabled || !this.running) return Promise.resolve();
    return new Promise<void>((resolve, reject) => {
      const waiter: Waiter = {
        resolve: () => {
          signal?.removeEventListener('abort', onAbort);
          resolve();
        },
        reject: (error) => {
          signal?.removeEventListener('abort', onAbort);
          reject(error);
        },
      };
      const onAbort = (): void => {
        this.waiters = this.waiters.filter((entry) => entry !== waiter);
        reject(new NellieError('ABORTED', 'Waiting for embeddings was cancelled.'));
      };
      if (signal?.aborted) {
        onAbort();
        return;
      }
      signal?.addEventListener('abort', onAbort, { once: true });
      this.waiters.push(waiter);
      this.wake();
    });
  }

  async close(): Promise<void> {
    this.closed = true;
    this.wakeUp?.();
    await this.loop;
    this.listeners.clear();
    const waiters = this.waiters;
    this.waiters = [];
    for (const waiter of waiters) {
      waiter.reject(new NellieError('STORE_CLOSED', 'The embedding pump was closed.'));
    }
  }

  private sleep(ms: number): Promise<void> {
    if (this.wakeRequested) {
      this.wakeRequested = false;
      return Promise.resolve();
    }
    return new Promise<void>((resolve) => {
      const timer = setTimeout(done, ms);
      function done(): void {
        clearTimeout(timer);
        resolve();
      }
      this.wakeUp = () => {
        this.wakeUp = null;
        this.wakeRequested = false;
        done();
      };
    });
  }

  private settleWaiters(error?: Error): void {
    const waiters = this.waiters;
    this.waiters = [];
    for (const waiter of waiters) {
      if (error === undefined) waiter.resolve();
      else waiter.reject(error);
    }
  }

  private async run(): Promise<void> {
    const options = this.options;
    const store = options.store;
    const active = new Set<Promise<void>>();
    while (!this.closed) {
      if (this.consecutiveFailures > 0) {
        const delay = Math.min(
          options.maxBackoffMs,
          options.backoffMs * 2 ** (this.consecutiveFailures - 1),
        );
        if (this.consecutiveFailures >= 3 && this.waiters.length > 0) {
          this.settleWaiters(
            new NellieError(
              'EMBEDDING_FAILED',
              `Embedding keeps failing (${message(this.lastFailure)}); vectors will be retried ` +
                'in the background.',
              { cause: this.lastFailure },
            ),
          );
        }
        await this.sleepUnwoken(delay);
        if (this.closed) break;
      }
      const now = Date.now();
      for (const [hash, until] of this.setAside) if (until <= now) this.setAside.delete(hash);
      let items: PendingEmbedding[];
      try {
        const limit = options.batchSize * options.parallelBatches + this.inFlight.size;
        // Stores bound the page size; 10,000 is the most the SQLite store accepts.
        items = await store.pendingEmbeddings(Math.min(10_000, limit + this.setAside.size));
      } catch (error) {
        if (NellieError.is(error) && error.code === 'STORE_CLOSED') break;
        options.logger.warn({ error: message(error) }, 'Could not read pending embeddings.');
        this.consecutiveFailures += 1;
        this.lastFailure = error;
        continue;
      }
      const fresh = items.filter(
        (item) => !this.inFlight.has(item.contentHash) && !this.setAside.has(item.contentHash),
      );
      await this.updateBacklog(items.length - this.setAside.size, items.length);
      if (fresh.length === 0) {
        if (active.size > 0) {
          await Promise.race(active);
          continue;
        }
        this.backlog = 0;
        for (const listener of this.listeners) listener.drained?.();
        this.settleWaiters();
        await this.sleep(options.idleMs);
        continue;
      }
      for (let start = 0; start < fresh.length; start += options.batchSize) {
        if (active.size >= options.parallelBatches) await Promise.race(active);
        if (this.closed) break;
        const batch = fresh.slice(start, start + options.batchSize);
        for (const item of batch) this.inFlight.add(item.contentHash);
        const task: Promise<void> = this.embedBatch(batch).finally(() => {
          for (const item of batch) this.inFlight.delete(item.contentHash);
          active.delete(task);
        });
        active.add(task);
      }
      // Refill once a slot frees up, so the embedder always has the next batch queued.
      if (active.size >= options.parallelBatches) await Promise.race(active);
    }
    await Promise.allSettled(active);
  }

  private async sleepUnwoken(ms: number): Promise<void> {
    await new Promise<void>((resolve) => {
      const timer = setTimeout(resolve, ms);
      this.wakeUp = () => {
        if (this.closed) {
          clearTimeout(timer);
          resolve();
        }
      };
    });
    this.wakeUp = null;
  }

  private async updateBacklog(known: number, fetched: number): Promise<void> {
    const { store, batchSize, parallelBatches } = this.options;
    const limit = batchSize * parallelBatches + this.inFlight.size + this.setAside.size;
    if (fetched < limit) {
      this.backlog = Math.max(0, known);
      return;
    }
    const now = Date.now();
    if (store.stats && now - this.lastStatsAt > 5000) {
      this.lastStatsAt = now;
      try {
        const stats = await store.stats();
        this.backlog = Math.max(known, stats.chunksPendingEmbedding);
        return;
      } catch {
        // Fall back to what the poll saw.
      }
    }
    this.backlog = Math.max(this.backlog, known);
  }

  private async embedBatch(batch: PendingEmbedding[]): Promise<void> {
    const { logger } = this.options;
    try {
      await this.embedAndStore(batch);
      this.succeeded(batch);
      return;
    } catch (error) {
      if (this.closed) return;
      if (NellieError.is(error) && (error.code === 'QUEUE_FULL' || error.code === 'ABORTED')) {
        this.consecutiveFailures = Math.max(1, this.consecutiveFailures);
        this.lastFailure = error;
        return;
      }
      logger.warn(
        { items: batch.length, error: message(error) },
        'Embedding failed; retrying the texts one by one.',
      );
    }
    // Tell a failing embedder from texts it cannot handle.
    const failures: PendingEmbedding[] = [];
    let lastError: unknown = null;
    for (const item of batch) {
      if (this.closed) return;
      try {
        await this.embedAndStore([item]);
        this.succeeded([item]);
      } catch (error) {
        failures.push(item);
        lastError = error;
      }
    }
    if (failures.length === 0) return;
    if (failures.length === batch.length && !(await this.embedderWorks())) {
      this.consecutiveFailures += 1;
      this.lastFailure = lastError;
      logger.warn(
        { error: message(lastError), attempt: this.consecutiveFailures },
        'The embedder is failing; retrying later.',
      );
      return;
    }
    this.consecutiveFailures = 0;
    const setAside: PendingEmbedding[] = [];
    for (const item of failures) {
      const strikes = (this.strikes.get(item.contentHash) ?? 0) + 1;
      this.strikes.set(item.contentHash, strikes);
      if (strikes >= 2) {
        this.strikes.delete(item.contentHash);
        this.setAside.set(item.contentHash, Date.now() + setAsideMs);
        setAside.push(item);
      }
    }
    if (setAside.length > 0) {
      logger.error(
        { hashes: setAside.map((item) => item.contentHash), error: message(lastError) },
        'Some texts cannot be embedded; they are skipped for a while.',
      );
    }
  }

  private succeeded(items: readonly PendingEmbedding[]): void {
    this.consecutiveFailures = 0;
    if (this.strikes.size > 0) for (const item of items) this.strikes.delete(item.contentHash);
  }

  /** Embeds a known-good text to see whether the embedder works at all. */
  private async embedderWorks(): Promise<boolean> {
    try {
      await this.options.embedder.embed(['nellie'], { priority: 'bulk' });
      return true;
    } catch {
      return false;
    }
  }

  private async embedAndStore(batch: PendingEmbedding[]): Promise<void> {
    const { embedder, store } = this.options;
    const vectors = await embedder.embed(
      batch.map((item) => item.text),
      { priority: 'bulk' },
    );
    await store.putEmbeddings(
      batch.map((item, index) => ({ contentHash: item.contentHash, vector: vectors[index]! })),
    );
    const hashes = batch.map((item) => item.contentHash);
    for (const listener of this.listeners) listener.embedded?.(hashes);
  }
}
