/* eslint-disable @typescript-eslint/require-await -- an in-memory fake of asynchronous contracts */
import { isAbsolute } from 'node:path';
import {
  NellieError,
  emptyIndexProgress,
  type CodeIndexer,
  type IndexDiff,
  type IndexJob,
  type IndexJobMode,
  type IndexProgress,
  type IndexerStatus,
} from '@nellie/core';

export interface FakeIndexerOptions {
  /** What `status()` reports as the embedding backlog (default 0). */
  embeddingBacklog?: number;
  /** What `status()` reports as the index lag in seconds (default 0). */
  indexLagSeconds?: number;
}

/**
 * A `CodeIndexer` that books jobs without reading the disk; a test moves them along by hand. It
 * passes the same `codeIndexerContract` as the real indexer. Paths are judged by name: one under
 * `/etc` is a system directory (`PATH_NOT_ALLOWED`), one with a `missing` segment or a relative
 * one is not a readable directory (`INVALID_INPUT`).
 */
export interface FakeIndexer extends CodeIndexer {
  /** Every job, most recent first; tests may read them directly. */
  readonly jobs: IndexJob[];
  /** What `diff` answers for a root; a root without an entry is `NOT_FOUND`. */
  readonly diffs: Map<string, IndexDiff>;
  /** Marks a job running, with the progress given. */
  advance(id: string, progress?: Partial<IndexProgress>): void;
  /** Ends a job in `state` (default `succeeded`). */
  finish(id: string, state?: IndexJob['state']): void;
}

const activeStates: ReadonlySet<IndexJob['state']> = new Set(['queued', 'running']);

function checkRoot(rootPath: string): void {
  if (rootPath === '/etc' || rootPath.startsWith('/etc/')) {
    throw new NellieError(
      'PATH_NOT_ALLOWED',
      `Nellie does not index ${rootPath}: it is a system directory. Add a root with --allow-root.`,
    );
  }
  if (!isAbsolute(rootPath) || rootPath.split('/').includes('missing')) {
    throw new NellieError('INVALID_INPUT', `${rootPath} is not a readable directory.`);
  }
}

function copyOf(job: IndexJob): IndexJob {
  return { ...job, progress: { ...job.progress } };
}

/** Creates a fake indexer with no jobs. */
export function createFakeIndexer(options: FakeIndexerOptions = {}): FakeIndexer {
  let sequence = 0;
  const watched = new Set<string>();
  const waiters = new Map<string, (() => void)[]>();
  const jobs: IndexJob[] = [];
  const jobFor = (id: string): IndexJob => {
    const job = jobs.find((item) => item.id === id);
    if (!job) throw new NellieError('NOT_FOUND', `No index job with id ${id}.`);
    return job;
  };
  const indexer: FakeIndexer = {
    jobs,
    diffs: new Map(),
    advance(id, progress = {}) {
      const job = jobFor(id);
      job.state = 'running';
      job.startedAt ??= new Date().toISOString();
      job.progress = { ...job.progress, ...progress };
    },
    finish(id, state = 'succeeded') {
      const job = jobFor(id);
      job.state = state;
      job.finishedAt = new Date().toISOString();
      for (const wake of waiters.get(id) ?? []) wake();
      waiters.delete(id);
    },
    async startJob(request: { rootPath: string; mode?: IndexJobMode }) {
      checkRoot(request.rootPath);
      const active = jobs.find(
        (job) => job.rootPath === request.rootPath && activeStates.has(job.state),
      );
      if (active) return copyOf(active);
      sequence += 1;
      const job: IndexJob = {
        id: `job-${sequence}`,
        repository: request.rootPath.split('/').pop() || request.rootPath,
        rootPath: request.rootPath,
        mode: request.mode ?? 'incremental',
        state: 'queued',
        progress: emptyIndexProgress(),
        createdAt: new Date().toISOString(),
        startedAt: null,
        finishedAt: null,
        error: null,
      };
      jobs.unshift(job);
      return copyOf(job);
    },
    getJob(id) {
      const job = jobs.find((item) => item.id === id);
      return job ? copyOf(job) : null;
    },
    listJobs: () => jobs.map(copyOf),
    cancelJob(id) {
      const job = jobFor(id);
      if (activeStates.has(job.state)) indexer.finish(id, 'cancelled');
      return copyOf(job);
    },
    async waitForJob(id) {
      const job = jobFor(id);
      if (!activeStates.has(job.state)) return copyOf(job);
      return new Promise((resolve) => {
        waiters.set(id, [...(waiters.get(id) ?? []), () => resolve(copyOf(job))]);
      });
    },
    async diff(rootPath) {
      checkRoot(rootPath);
      const diff = indexer.diffs.get(rootPath);
      if (diff === undefined) throw new NellieError('NOT_FOUND', `${rootPath} is not indexed.`);
      return diff;
    },
    async watch(rootPath) {
      checkRoot(rootPath);
      watched.add(rootPath);
    },
    async unwatch(rootPath) {
      watched.delete(rootPath);
    },
    async waitForEmbeddings() {},
    status: (): IndexerStatus => ({
      jobsRunning: jobs.filter((job) => job.state === 'running').length,
      jobsQueued: jobs.filter((job) => job.state === 'queued').length,
      watchedRoots: [...watched],
      embeddingBacklog: options.embeddingBacklog ?? 0,
      indexLagSeconds: options.indexLagSeconds ?? 0,
    }),
    async close() {},
    async [Symbol.asyncDispose]() {},
  };
  return indexer;
}
