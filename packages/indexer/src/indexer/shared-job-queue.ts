import { randomUUID } from 'node:crypto';
import {
  NellieError,
  type IndexJob,
  type IndexJobMode,
  type IndexJobStore,
  type StoredIndexJob,
} from '@nellie/core';
import {
  finishedStates,
  message,
  reportProgress,
  snapshot,
  type IndexJobQueue,
  type JobQueueOptions,
  type JobRecord,
} from './job-queue.ts';

export interface SharedJobQueueOptions extends JobQueueOptions {
  store: IndexJobStore;
  /** This server's name in `claimedBy`; unique per process. */
  holder: string;
  /** How long a claim lasts without a heartbeat; heartbeats come every third of it. */
  leaseMs: number;
  /** How often the store is asked for jobs to claim and for the state of the others. */
  pollMs: number;
  /** Claims of one job (its first run and takeovers) before it is failed instead. */
  maxAttempts: number;
  /**
   * Claim only jobs queued through this queue, each once it waited this long unclaimed;
   * undefined: claim any job.
   */
  claimOwnAfterMs?: number;
}

/** How often `wait` reads a job that runs on another server, at most. */
const waitReadMs = 250;

/** Why a running job was aborted, besides an error of its own. */
type StopReason = 'cancel' | 'lost' | 'closing';

interface RunningJob extends JobRecord {
  stopReason: StopReason | null;
  /** When the store last confirmed this server holds the job. */
  heldAt: number;
}

/** The fields of `IndexJob` only, as the API shows a job. */
function publicJob(job: StoredIndexJob): IndexJob {
  const { claimedBy: _claimedBy, attempts: _attempts, cancelRequested: _cancel, ...rest } = job;
  return rest;
}

/**
 * Index jobs shared by several servers through an `IndexJobStore`: a request on any server
 * queues a job in the store; every server polls the store and claims what it has room for,
 * heartbeats while it runs the job, and finishes it there. A job whose holder stops
 * heartbeating is claimed by another server and run again. `get` and `list` answer from the
 * jobs seen at the last poll, merged with the progress of the jobs this server runs; `fetch`,
 * `cancelStored` and `wait` go to the store, so they are current.
 */
export class SharedJobQueue implements IndexJobQueue {
  private readonly options: SharedJobQueueOptions;
  /** The most recent jobs in the store, newest first, as of the last poll. */
  private known = new Map<string, IndexJob>();
  private readonly running = new Map<string, RunningJob>();
  /** With `claimOwnAfterMs`: jobs queued through this queue, by when they were queued. */
  private readonly own = new Map<string, number>();
  private readonly runs = new Set<Promise<void>>();
  private readonly listeners = new Set<() => void>();
  private readonly timer: ReturnType<typeof setInterval>;
  private polling: Promise<void> | null = null;
  private pollAgain = false;
  private closed = false;

  constructor(options: SharedJobQueueOptions) {
    this.options = options;
    this.timer = setInterval(() => this.poll(), options.pollMs);
    this.timer.unref();
    this.poll();
  }

  async add(
    root: string,
    mode: IndexJobMode,
    _defaultName: string,
    register: () => Promise<string>,
  ): Promise<IndexJob> {
    const repository = await register();
    const stored = await this.options.store.enqueue({
      id: randomUUID(),
      rootPath: root,
      repository,
      mode,
    });
    const job = publicJob(stored);
    if (!this.running.has(job.id)) this.known.set(job.id, job);
    if (this.options.claimOwnAfterMs !== undefined && !this.own.has(job.id)) {
      this.own.set(job.id, Date.now());
    }
    this.poll();
    return this.get(job.id) ?? job;
  }

  get(id: string): IndexJob | null {
    const record = this.running.get(id);
    const job = record ? snapshot(record) : (this.known.get(id) ?? null);
    // A job queued through another server since the last poll: look again now, not a second later.
    if (!job) this.poll();
    return job;
  }

  async fetch(id: string): Promise<IndexJob | null> {
    const record = this.running.get(id);
    if (record) return snapshot(record);
    const stored = await this.options.store.get(id);
    if (!stored) return null;
    const job = publicJob(stored);
    // A job run here may have finished while the store was read; its own record is newer.
    const running = this.running.get(id);
    if (running) return snapshot(running);
    if (this.known.has(id)) this.known.set(id, job);
    return job;
  }

  list(): IndexJob[] {
    const jobs = [...this.known.values()].map((job) => this.get(job.id) ?? job);
    for (const [id, record] of this.running) if (!this.known.has(id)) jobs.push(snapshot(record));
    return jobs.sort((a, b) => b.createdAt.localeCompare(a.createdAt));
  }

  async cancelStored(id: string): Promise<IndexJob> {
    const record = this.running.get(id);
    if (record && !finishedStates.has(record.job.state)) this.stop(record, 'cancel');
    const stored = await this.options.store.cancel(id);
    if (!stored) throw new NellieError('NOT_FOUND', `No index job with id ${id}.`);
    const running = this.running.get(id);
    if (running) return snapshot(running);
    const job = publicJob(stored);
    this.known.set(id, job);
    this.notify();
    return job;
  }

  cancel(id: string): IndexJob {
    const job = this.get(id);
    if (!job) throw new NellieError('NOT_FOUND', `No index job with id ${id}.`);
    if (finishedStates.has(job.state)) return job;
    const record = this.running.get(id);
    if (record) this.stop(record, 'cancel');
    // A queued job is cancelled in the store at once; a running one elsewhere stops at its
    // holder's next heartbeat.
    void this.options.store.cancel(id).then(
      (stored) => {
        if (stored && !this.running.has(id)) this.known.set(id, publicJob(stored));
        this.notify();
      },
      (error: unknown) =>
        this.options.logger.error({ jobId: id, error: message(error) }, 'Cancelling failed.'),
    );
    return job;
  }

  /**
   * Reads the job from the store now, then after every change here or `waitReadMs` (whichever
   * comes first) until it has finished, so that a job queued, cancelled or finished through
   * another server is followed without waiting for the next poll.
   */
  async wait(id: string, options: { signal?: AbortSignal } = {}): Promise<IndexJob> {
    for (;;) {
      // Listening before reading, so a change during the read is not missed.
      const next = this.nextChange(options.signal);
      let job: IndexJob | null;
      try {
        job = await this.fetch(id);
      } catch (error) {
        next.dispose();
        throw error;
      }
      if (!job) {
        next.dispose();
        throw new NellieError('NOT_FOUND', `No index job with id ${id}.`);
      }
      if (finishedStates.has(job.state)) {
        next.dispose();
        return job;
      }
      let timer: ReturnType<typeof setTimeout> | undefined;
      await Promise.race([
        next.changed,
        new Promise<void>((resolve) => {
          timer = setTimeout(resolve, Math.min(this.options.pollMs, waitReadMs));
        }),
      ]).finally(() => {
        clearTimeout(timer);
        next.dispose();
      });
    }
  }

  /** Resolves at the next poll or change here; rejects with `ABORTED` when `signal` fires. */
  private nextChange(signal: AbortSignal | undefined): {
    changed: Promise<void>;
    dispose: () => void;
  } {
    let dispose = (): void => {};
    const changed = new Promise<void>((resolve, reject) => {
      const listener = (): void => {
        dispose();
        resolve();
      };
      const onAbort = (): void => {
        dispose();
        reject(new NellieError('ABORTED', 'Waiting for the index job was cancelled.'));
      };
      dispose = () => {
        this.listeners.delete(listener);
        signal?.removeEventListener('abort', onAbort);
      };
      if (signal?.aborted) {
        onAbort();
        return;
      }
      this.listeners.add(listener);
      signal?.addEventListener('abort', onAbort, { once: true });
    });
    // An abort while the store is read is reported by the read's caller, not as unhandled.
    changed.catch(() => undefined);
    return { changed, dispose };
  }

  progressed(record: JobRecord): void {
    reportProgress(record, false, this.options);
  }

  embedded(hashes: readonly string[]): void {
    for (const record of this.running.values()) {
      for (const hash of hashes) record.pendingHashes.delete(hash);
    }
  }

  drained(): void {
    for (const record of this.running.values()) record.pendingHashes.clear();
  }

  counts(): { running: number; queued: number } {
    let queued = 0;
    for (const job of this.known.values()) if (job.state === 'queued') queued += 1;
    return { running: this.running.size, queued };
  }

  /** Stops claiming; jobs running here are put back in the store for another server. */
  async close(): Promise<void> {
    this.closed = true;
    clearInterval(this.timer);
    for (const record of this.running.values()) this.stop(record, 'closing');
    await Promise.all([this.polling, ...this.runs]);
  }

  /** Claims what there is room for and refreshes the known jobs; one poll at a time. */
  private poll(): void {
    if (this.closed) return;
    if (this.polling) {
      this.pollAgain = true;
      return;
    }
    this.polling = this.pollOnce()
      .catch((error: unknown) =>
        this.options.logger.warn(
          { error: message(error) },
          'Cannot reach the index job store; trying again.',
        ),
      )
      .finally(() => {
        this.polling = null;
        this.notify();
        if (this.pollAgain) {
          this.pollAgain = false;
          this.poll();
        }
      });
  }

  private async pollOnce(): Promise<void> {
    const { store, holder, leaseMs, maxAttempts, maxConcurrent, history } = this.options;
    for (const id of this.claimable()) {
      if (this.closed || this.running.size >= maxConcurrent) break;
      const job = await store.claim(holder, { leaseMs, maxAttempts, ...(id ? { id } : {}) });
      if (!job) {
        if (id) continue;
        break;
      }
      if (this.closed) {
        await store.release(job.id, holder, job.progress);
        break;
      }
      this.start(job);
    }
    const jobs = await store.list(history);
    this.known = new Map(jobs.map((job) => [job.id, publicJob(job)]));
    for (const id of this.own.keys()) {
      const job = this.known.get(id) ?? (await store.get(id).then((s) => s && publicJob(s)));
      if (job) this.known.set(id, job);
      if (!job || finishedStates.has(job.state)) this.own.delete(id);
    }
  }

  /**
   * What to try to claim: any job (undefined, as often as there is room), or with
   * `claimOwnAfterMs` each job queued here that waited that long and nobody runs.
   */
  private *claimable(): Generator<string | undefined> {
    const { claimOwnAfterMs } = this.options;
    if (claimOwnAfterMs === undefined) {
      while (true) yield undefined;
    }
    const now = Date.now();
    for (const [id, queuedAt] of this.own) {
      if (now - queuedAt >= claimOwnAfterMs && !this.running.has(id)) yield id;
    }
  }

  private start(stored: StoredIndexJob): void {
    const { logger, holder } = this.options;
    const record: RunningJob = {
      job: { ...publicJob(stored), state: 'running' },
      controller: new AbortController(),
      waiters: [],
      pendingHashes: new Set(),
      lastReported: 0,
      stopReason: null,
      heldAt: Date.now(),
    };
    this.running.set(stored.id, record);
    logger.info(
      { jobId: stored.id, rootPath: stored.rootPath, holder, attempt: stored.attempts },
      stored.attempts > 1
        ? 'Took over an index job whose server stopped'
        : 'Claimed an index job from the database',
    );
    const run = this.run(record).finally(() => {
      this.running.delete(stored.id);
      this.runs.delete(run);
      this.notify();
      this.poll();
    });
    this.runs.add(run);
  }

  private stop(record: RunningJob, reason: StopReason): void {
    record.stopReason ??= reason;
    record.controller.abort();
  }

  private async run(record: RunningJob): Promise<void> {
    const { store, holder, leaseMs, logger } = this.options;
    let beating = Promise.resolve();
    const beat = setInterval(
      () => {
        beating = beating.then(() => this.heartbeat(record));
      },
      Math.max(50, Math.floor(leaseMs / 3)),
    );
    let error: string | null = null;
    try {
      await this.options.withLock(record.job.rootPath, async () => {
        if (record.stopReason) return;
        reportProgress(record, true, this.options);
        await this.options.execute(record);
      });
    } catch (thrown) {
      const aborted =
        record.controller.signal.aborted || (NellieError.is(thrown) && thrown.code === 'ABORTED');
      if (!aborted) {
        error = message(thrown);
        logger.error({ root: record.job.rootPath, error }, 'Index job failed.');
      }
    } finally {
      clearInterval(beat);
      await beating;
    }
    const progress = snapshot(record).progress;
    try {
      if (record.stopReason === 'lost') {
        logger.warn(
          { jobId: record.job.id, holder },
          'Lost an index job to another server (no heartbeat in time); stopped it here',
        );
        return;
      }
      if (record.stopReason === 'closing') {
        await store.release(record.job.id, holder, progress);
        return;
      }
      const state = record.stopReason === 'cancel' ? 'cancelled' : error ? 'failed' : 'succeeded';
      // Waiters see the end only once it is recorded, so every server reports the same.
      if (await store.finish(record.job.id, holder, { state, error, progress })) {
        Object.assign(record.job, { state, error, finishedAt: new Date().toISOString() });
      } else {
        logger.warn({ jobId: record.job.id, holder }, 'The index job was taken over meanwhile');
      }
    } catch (thrown) {
      // The lease runs out and another server runs the job again.
      logger.error(
        { jobId: record.job.id, error: message(thrown) },
        'Cannot record the end of an index job',
      );
    } finally {
      this.known.set(record.job.id, snapshot(record));
      reportProgress(record, true, this.options);
    }
  }

  private async heartbeat(record: RunningJob): Promise<void> {
    const { store, holder, leaseMs, logger } = this.options;
    if (record.stopReason === 'lost') return;
    try {
      const answer = await store.heartbeat(record.job.id, holder, {
        leaseMs,
        progress: snapshot(record).progress,
      });
      if (answer === 'held') record.heldAt = Date.now();
      else this.stop(record, answer);
    } catch (error) {
      // Without the store the lease cannot be renewed: once it may have run out, another server
      // may run the job, so stop rather than run it twice.
      if (Date.now() - record.heldAt >= leaseMs) {
        logger.warn({ jobId: record.job.id, error: message(error) }, 'Index job lease lost');
        this.stop(record, 'lost');
      }
    }
  }

  private notify(): void {
    for (const listener of [...this.listeners]) listener();
  }
}
