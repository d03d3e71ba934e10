import { once } from 'node:events';
import { Worker } from 'node:worker_threads';
import { NellieError, type Logger } from '@nellie/core';
import type { EmbeddingJob, EmbeddingQueue } from './embedding-queue.ts';
import type { PoolMessage, WorkerInit, WorkerMessage } from './messages.ts';

export type WorkerKind = 'query' | 'bulk';

export interface WorkerPoolOptions {
  workerUrl: URL;
  /** One entry per worker; `query` workers take query jobs only. */
  workers: { kind: WorkerKind; init: WorkerInit }[];
  queue: EmbeddingQueue;
  logger: Logger;
  /** Restarts of one worker within a minute beyond which it is given up. */
  maxRestartsPerMinute?: number;
  /** How long close() waits for a worker to finish its batch before terminating it. */
  closeTimeoutMs?: number;
  /** Told when the pool's health changes (a worker restarts, fails or recovers). */
  onHealthChange?: () => void;
}

export interface WorkerStats {
  kind: WorkerKind;
  state: 'loading' | 'idle' | 'busy' | 'failed' | 'stopped';
  /** Jobs (batches) this slot has completed. */
  jobs: number;
  /** Times this slot's worker was restarted after a crash. */
  restarts: number;
}

interface Slot {
  kind: WorkerKind;
  init: WorkerInit;
  worker: Worker | undefined;
  state: WorkerStats['state'];
  job: EmbeddingJob | undefined;
  jobId: number;
  jobs: number;
  restarts: number;
  restartTimes: number[];
  lastError: string | undefined;
  loadError: string | undefined;
  ready?: (dimensions: number) => void;
  failed?: (error: NellieError) => void;
}

/**
 * Worker threads that each hold a model session. Idle workers take jobs from the queue: a query
 * worker takes queries only, so a query never waits behind a bulk batch; bulk workers take
 * queries first, then bulk. A crashed worker fails its job with `EMBEDDING_FAILED` and restarts.
 */
export class WorkerPool {
  readonly dimensions: Promise<number>;
  private readonly options: WorkerPoolOptions;
  private readonly slots: Slot[];
  private nextJobId = 1;
  private closing = false;
  private width = 0;

  constructor(options: WorkerPoolOptions) {
    this.options = options;
    // Query workers first, so they are offered queries before bulk workers are.
    this.slots = [...options.workers]
      .sort((a, b) => (a.kind === b.kind ? 0 : a.kind === 'query' ? -1 : 1))
      .map(({ kind, init }) => ({
        kind,
        init,
        worker: undefined,
        state: 'loading' as const,
        job: undefined,
        jobId: 0,
        jobs: 0,
        restarts: 0,
        restartTimes: [],
        lastError: undefined,
        loadError: undefined,
      }));
    const started = this.slots.map(
      (slot) =>
        new Promise<number>((resolve, reject) => {
          slot.ready = resolve;
          slot.failed = reject;
          this.spawn(slot);
        }),
    );
    this.dimensions = Promise.all(started).then(
      (widths) => {
        const [first] = widths;
        if (widths.some((width) => width !== first)) {
          throw new NellieError('MODEL_LOAD_FAILED', 'Workers disagree on the vector width.');
        }
        this.width = first!;
        return first!;
      },
      async (error: unknown) => {
        await this.close();
        throw error;
      },
    );
    // Settled by the caller; this keeps an unawaited failure from being reported twice.
    this.dimensions.catch(() => undefined);
  }

  /** Offers queued jobs to idle workers. */
  dispatch(): void {
    if (this.closing) return;
    for (const slot of this.slots) {
      if (slot.state !== 'idle' || !slot.worker) continue;
      // A query worker also takes bulk work once no bulk worker is left.
      const queriesOnly = slot.kind === 'query' && this.slots.some(isLiveBulk);
      const job = this.options.queue.take(queriesOnly ? 'query' : 'any');
      if (!job) continue;
      slot.state = 'busy';
      slot.job = job;
      slot.jobId = this.nextJobId++;
      slot.worker.ref();
      const request: PoolMessage = { type: 'embed', id: slot.jobId, texts: job.texts };
      slot.worker.postMessage(request);
    }
  }

  /** True while at least one worker can take work. */
  healthy(): boolean {
    return this.slots.some((slot) => slot.state !== 'failed' && slot.state !== 'stopped');
  }

  stats(): WorkerStats[] {
    return this.slots.map(({ kind, state, jobs, restarts }) => ({ kind, state, jobs, restarts }));
  }

  /**
   * Stops every worker; resolves when all threads have exited. Workers finish the batch in hand
   * first: terminating a thread inside an ONNX Runtime run would abort the process.
   */
  async close(): Promise<void> {
    this.closing = true;
    await Promise.all(
      this.slots.map(async (slot) => {
        slot.failed?.(new NellieError('STORE_CLOSED', 'The embedder was closed while loading.'));
        slot.failed = undefined;
        slot.ready = undefined;
        const worker = slot.worker;
        slot.worker = undefined;
        slot.state = 'stopped';
        if (worker) await this.stop(worker);
      }),
    );
  }

  /** Asks a worker to end after its current batch, terminating it only if it hangs. */
  private async stop(worker: Worker): Promise<void> {
    if (worker.threadId === -1) return; // already exited
    const exited = once(worker, 'exit');
    worker.ref();
    worker.postMessage({ type: 'close' } satisfies PoolMessage);
    const timer = setTimeout(() => void worker.terminate(), this.options.closeTimeoutMs ?? 60_000);
    await exited;
    clearTimeout(timer);
  }

  private spawn(slot: Slot): void {
    const worker = new Worker(this.options.workerUrl, { workerData: slot.init });
    slot.worker = worker;
    slot.state = 'loading';
    slot.loadError = undefined;
    worker.on('message', (message: WorkerMessage) => this.onMessage(slot, worker, message));
    worker.on('error', (error: Error) => {
      slot.lastError = error.message;
    });
    worker.on('exit', (code) => this.onExit(slot, worker, code));
  }

  private onMessage(slot: Slot, worker: Worker, message: WorkerMessage): void {
    if (slot.worker !== worker) return;
    switch (message.type) {
      case 'ready': {
        if (this.width !== 0 && message.dimensions !== this.width) {
          slot.loadError = `the restarted worker produces ${message.dimensions} dimensions`;
          void this.stop(worker);
          return;
        }
        slot.state = 'idle';
        worker.unref();
        const recovered = slot.restarts > 0;
        slot.ready?.(message.dimensions);
        slot.ready = undefined;
        slot.failed = undefined;
        if (recovered) {
          this.options.logger.info({ kind: slot.kind }, 'Embedding worker restarted');
          this.options.onHealthChange?.();
        }
        this.dispatch();
        return;
      }
      case 'load-failed':
        slot.loadError = message.message;
        void worker.terminate();
        return;
      case 'result':
      case 'error': {
        const job = slot.job;
        if (!job || message.id !== slot.jobId) return;
        slot.job = undefined;
        slot.state = 'idle';
        slot.jobs += 1;
        worker.unref();
        if (message.type === 'error') {
          this.options.queue.fail(
            job,
            new NellieError(
              'EMBEDDING_FAILED',
              `Embedding ${job.texts.length} text(s) failed in the model: ${message.message}`,
            ),
          );
        } else if (message.count !== job.texts.length || message.dimensions !== this.width) {
          this.options.queue.fail(
            job,
            new NellieError(
              'EMBEDDING_FAILED',
              `The worker returned ${message.count} vectors of ${message.dimensions} floats for ` +
                `${job.texts.length} texts; expected ${this.width} floats each.`,
            ),
          );
        } else {
          const vectors: Float32Array[] = [];
          for (let index = 0; index < message.count; index += 1) {
            const start = index * message.dimensions;
            vectors.push(message.vectors.slice(start, start + message.dimensions));
          }
          this.options.queue.complete(job, vectors);
        }
        this.dispatch();
        return;
      }
    }
  }

  private onExit(slot: Slot, worker: Worker, code: number): void {
    if (slot.worker !== worker || this.closing) return;
    slot.worker = undefined;
    const reason = slot.loadError ?? slot.lastError ?? `exit code ${code}`;
    slot.lastError = undefined;

    if (slot.state === 'loading') {
      const error = new NellieError(
        'MODEL_LOAD_FAILED',
        `The embedding model in ${slot.init.modelDir} could not be loaded (dtype ` +
          `${slot.init.dtype}): ${reason}. Check that the directory holds a complete ` +
          'transformers.js feature-extraction model; `nellie model verify` checks the files.',
      );
      slot.state = 'failed';
      if (slot.failed) {
        slot.failed(error);
        slot.failed = undefined;
        slot.ready = undefined;
      } else {
        this.options.logger.error(
          { kind: slot.kind, reason },
          'Embedding worker failed to restart',
        );
        this.afterFailure();
      }
      return;
    }

    const job = slot.job;
    slot.job = undefined;
    this.options.logger.warn({ kind: slot.kind, reason }, 'Embedding worker stopped unexpectedly');
    if (job) {
      this.options.queue.fail(
        job,
        new NellieError(
          'EMBEDDING_FAILED',
          `The embedding worker stopped while embedding ${job.texts.length} text(s) (${reason}). ` +
            'It has been restarted; retry the request.',
        ),
      );
    }
    const now = Date.now();
    slot.restartTimes = slot.restartTimes.filter((time) => now - time < 60_000);
    if (slot.restartTimes.length >= (this.options.maxRestartsPerMinute ?? 5)) {
      slot.state = 'failed';
      this.options.logger.error(
        { kind: slot.kind, reason },
        'Embedding worker keeps crashing; giving up on it',
      );
      this.afterFailure();
      return;
    }
    slot.restartTimes.push(now);
    slot.restarts += 1;
    this.spawn(slot);
    this.options.onHealthChange?.();
    this.dispatch();
  }

  private afterFailure(): void {
    this.options.onHealthChange?.();
    if (!this.healthy()) {
      this.options.queue.close(
        new NellieError(
          'EMBEDDING_FAILED',
          'Every embedding worker has failed; embeddings are unavailable until the embedder is ' +
            'created again (restart the server).',
        ),
      );
    } else {
      this.dispatch();
    }
  }
}

function isLiveBulk(slot: Slot): boolean {
  return slot.kind === 'bulk' && slot.state !== 'failed' && slot.state !== 'stopped';
}
