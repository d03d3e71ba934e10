import { NellieError, type EmbeddingPriority } from '@nellie/core';

/** One batch of texts from one `embed()` call, the unit a worker (or request) processes. */
export interface EmbeddingJob {
  readonly texts: string[];
  readonly priority: EmbeddingPriority;
  /** Fires when the caller cancels; in-flight work may stop early. */
  readonly signal: AbortSignal | undefined;
  /** @internal */
  readonly call: Call;
  /** @internal Positions of `texts` in the call. */
  readonly positions: number[];
  /** @internal */
  state: 'queued' | 'running' | 'done';
}

interface Call {
  results: Float32Array[];
  remaining: number;
  settled: boolean;
  jobs: EmbeddingJob[];
  resolve(vectors: Float32Array[]): void;
  reject(error: unknown): void;
  cleanup(): void;
}

export interface EmbeddingQueueOptions {
  /** Most bulk texts that may wait; beyond it `submit` rejects with `QUEUE_FULL`. */
  maxQueue: number;
  /** Texts per job. */
  batchSize: number;
  /** Called whenever new work may be taken. */
  onWork(): void;
}

/** A FIFO of jobs with a head index, so taking and cancelling stay O(1). */
class JobList {
  private items: EmbeddingJob[] = [];
  private head = 0;

  push(job: EmbeddingJob): void {
    this.items.push(job);
  }

  shift(): EmbeddingJob | undefined {
    while (this.head < this.items.length) {
      const job = this.items[this.head++]!;
      if (this.head > 1024 && this.head * 2 > this.items.length) {
        this.items = this.items.slice(this.head);
        this.head = 0;
      }
      if (job.state === 'queued') return job;
    }
    return undefined;
  }

  clear(): void {
    this.items = [];
    this.head = 0;
  }
}

/**
 * Splits `embed()` calls into jobs and hands them out: query jobs before bulk jobs, each lane in
 * arrival order. Bulk texts are bounded by `maxQueue`. Cancelling a call drops its queued jobs.
 */
export class EmbeddingQueue {
  private readonly query = new JobList();
  private readonly bulk = new JobList();
  private queuedQueryTexts = 0;
  private queuedBulkTexts = 0;
  private runningTexts = 0;
  private closedWith: NellieError | undefined;
  private readonly calls = new Set<Call>();
  private readonly options: EmbeddingQueueOptions;

  constructor(options: EmbeddingQueueOptions) {
    this.options = options;
  }

  submit(
    texts: string[],
    priority: EmbeddingPriority,
    signal?: AbortSignal,
  ): Promise<Float32Array[]> {
    if (this.closedWith) return Promise.reject(this.closedWith);
    if (signal?.aborted) return Promise.reject(aborted(signal));
    if (texts.length === 0) return Promise.resolve([]);
    const { maxQueue, batchSize } = this.options;
    if (priority === 'bulk' && this.queuedBulkTexts + texts.length > maxQueue) {
      const advice =
        texts.length > maxQueue
          ? `Split the call into calls of at most ${maxQueue} texts.`
          : 'Wait until queueDepth() falls, then retry.';
      return Promise.reject(
        new NellieError(
          'QUEUE_FULL',
          `The embedding queue is full: ${this.queuedBulkTexts} texts are waiting (limit ` +
            `${maxQueue}) and this call adds ${texts.length}. ${advice}`,
        ),
      );
    }

    return new Promise<Float32Array[]>((resolve, reject) => {
      const onAbort = (): void => this.cancel(call, aborted(signal!));
      const call: Call = {
        results: new Array<Float32Array>(texts.length),
        remaining: texts.length,
        settled: false,
        jobs: [],
        resolve,
        reject,
        cleanup: () => {
          this.calls.delete(call);
          signal?.removeEventListener('abort', onAbort);
        },
      };
      this.calls.add(call);
      signal?.addEventListener('abort', onAbort, { once: true });

      // Similar lengths batch together, so little padding is wasted.
      const order = texts.map((_, index) => index);
      if (batchSize > 1) order.sort((a, b) => texts[a]!.length - texts[b]!.length);
      const lane = priority === 'query' ? this.query : this.bulk;
      for (let start = 0; start < order.length; start += batchSize) {
        const positions = order.slice(start, start + batchSize);
        const job: EmbeddingJob = {
          texts: positions.map((position) => texts[position]!),
          priority,
          signal,
          call,
          positions,
          state: 'queued',
        };
        call.jobs.push(job);
        lane.push(job);
      }
      if (priority === 'query') this.queuedQueryTexts += texts.length;
      else this.queuedBulkTexts += texts.length;
      this.options.onWork();
    });
  }

  /** The next job: queries first; `query` takes queries only. */
  take(kind: 'query' | 'any'): EmbeddingJob | undefined {
    let job = this.query.shift();
    if (!job && kind === 'any') job = this.bulk.shift();
    if (!job) return undefined;
    this.unqueue(job);
    job.state = 'running';
    this.runningTexts += job.texts.length;
    return job;
  }

  complete(job: EmbeddingJob, vectors: Float32Array[]): void {
    this.finish(job);
    const { call } = job;
    if (call.settled) return;
    job.positions.forEach((position, index) => {
      call.results[position] = vectors[index]!;
    });
    call.remaining -= job.texts.length;
    if (call.remaining === 0) {
      call.settled = true;
      call.cleanup();
      call.resolve(call.results);
    }
  }

  /** Fails the whole call the job belongs to; its other queued jobs are dropped. */
  fail(job: EmbeddingJob, error: unknown): void {
    this.finish(job);
    this.cancel(job.call, error);
  }

  /** Texts waiting or being embedded right now. */
  depth(): number {
    return this.queuedQueryTexts + this.queuedBulkTexts + this.runningTexts;
  }

  /** Rejects every unfinished call and all later submissions with `error`. */
  close(error: NellieError): void {
    this.closedWith = error;
    this.query.clear();
    this.bulk.clear();
    for (const call of [...this.calls]) this.cancel(call, error);
  }

  private finish(job: EmbeddingJob): void {
    if (job.state !== 'running') return;
    job.state = 'done';
    this.runningTexts -= job.texts.length;
  }

  private unqueue(job: EmbeddingJob): void {
    if (job.priority === 'query') this.queuedQueryTexts -= job.texts.length;
    else this.queuedBulkTexts -= job.texts.length;
  }

  private cancel(call: Call, error: unknown): void {
    if (call.settled) return;
    call.settled = true;
    for (const job of call.jobs) {
      if (job.state === 'queued') {
        this.unqueue(job);
        job.state = 'done';
      }
    }
    call.cleanup();
    call.reject(error);
  }
}

function aborted(signal: AbortSignal): NellieError {
  return new NellieError('ABORTED', 'The embedding request was cancelled.', {
    cause: signal.reason,
  });
}
