import {
  NellieError,
  emptyIndexProgress,
  type CodeIndexer,
  type IndexDiff,
  type IndexJob,
  type IndexJobMode,
  type IndexerStatus,
} from '@nellie/core';
import { basename } from 'node:path';

/** A CodeIndexer that only books jobs; tests move them along by hand. */
export interface FakeIndexer extends CodeIndexer {
  jobs: IndexJob[];
  diffs: Map<string, IndexDiff>;
  finish(id: string, state?: IndexJob['state']): void;
}

export function createFakeIndexer(): FakeIndexer {
  let nextId = 0;
  const idle: IndexerStatus = {
    jobsRunning: 0,
    jobsQueued: 0,
    watchedRoots: [],
    embeddingBacklog: 0,
    indexLagSeconds: 0,
  };
  const watched = new Set<string>();
  const indexer: FakeIndexer = {
    jobs: [],
    diffs: new Map(),
    finish(id, state = 'succeeded') {
      const job = indexer.jobs.find((item) => item.id === id);
      if (job !== undefined) {
        job.state = state;
        job.finishedAt = '2025-01-01T00:01:00.000Z';
      }
    },
    startJob(request: { rootPath: string; mode?: IndexJobMode }) {
      if (request.rootPath.startsWith('/etc')) {
        throw new NellieError(
          'PATH_NOT_ALLOWED',
          `Nellie does not index ${request.rootPath}: it is a system directory. Add a root with --allow-root.`,
        );
      }
      if (request.rootPath.includes('missing')) {
        return Promise.reject(
          new NellieError('INVALID_INPUT', `${request.rootPath} is not a readable directory.`),
        );
      }
      const active = indexer.jobs.find(
        (job) =>
          job.rootPath === request.rootPath && (job.state === 'queued' || job.state === 'running'),
      );
      if (active !== undefined) return Promise.resolve(active);
      const job: IndexJob = {
        id: `job-${(nextId += 1)}`,
        repository: basename(request.rootPath),
        rootPath: request.rootPath,
        mode: request.mode ?? 'incremental',
        state: 'queued',
        progress: emptyIndexProgress(),
        createdAt: '2025-01-01T00:00:00.000Z',
        startedAt: null,
        finishedAt: null,
        error: null,
      };
      indexer.jobs.unshift(job);
      return Promise.resolve(job);
    },
    getJob: (id) => indexer.jobs.find((job) => job.id === id) ?? null,
    listJobs: () => [...indexer.jobs],
    cancelJob(id) {
      const job = indexer.getJob(id);
      if (job === null) throw new NellieError('NOT_FOUND', `No job ${id}.`);
      if (job.state === 'queued' || job.state === 'running') indexer.finish(id, 'cancelled');
      return job;
    },
    waitForJob: (id) => Promise.resolve(indexer.getJob(id)!),
    diff(rootPath) {
      const diff = indexer.diffs.get(rootPath);
      return diff === undefined
        ? Promise.reject(new NellieError('NOT_FOUND', `${rootPath} is not indexed.`))
        : Promise.resolve(diff);
    },
    watch: (rootPath) => {
      watched.add(rootPath);
      return Promise.resolve();
    },
    unwatch: (rootPath) => {
      watched.delete(rootPath);
      return Promise.resolve();
    },
    waitForEmbeddings: () => Promise.resolve(),
    status: () => ({
      ...idle,
      watchedRoots: [...watched],
      jobsRunning: indexer.jobs.filter((job) => job.state === 'running').length,
      jobsQueued: indexer.jobs.filter((job) => job.state === 'queued').length,
    }),
    close: () => Promise.resolve(),
    [Symbol.asyncDispose]: () => Promise.resolve(),
  };
  return indexer;
}
