/* eslint-disable @typescript-eslint/require-await -- in-memory fakes of asynchronous contracts */
import { NellieError, emptyIndexProgress, type CodeIndexer, type IndexJob } from '@nellie/core';

/** A CodeIndexer that records jobs without touching the disk; jobs stay queued until cancelled. */
export function createFakeIndexer(): CodeIndexer & { jobs: Map<string, IndexJob> } {
  const jobs = new Map<string, IndexJob>();
  let sequence = 0;
  const indexer = {
    jobs,
    async startJob(request: { rootPath: string; mode?: 'incremental' | 'full' }) {
      if (request.rootPath.startsWith('/etc')) {
        throw new NellieError(
          'PATH_NOT_ALLOWED',
          `Nellie does not index ${request.rootPath}: it is a system directory. Add a root with --allow-root.`,
        );
      }
      if (request.rootPath.includes('missing')) {
        throw new NellieError('INVALID_INPUT', `${request.rootPath} is not a readable directory.`);
      }
      const existing = [...jobs.values()].find(
        (job) =>
          job.rootPath === request.rootPath && (job.state === 'queued' || job.state === 'running'),
      );
      if (existing) return existing;
      sequence += 1;
      const job: IndexJob = {
        id: `job_${sequence}`,
        repository: request.rootPath.split('/').pop() ?? request.rootPath,
        rootPath: request.rootPath,
        mode: request.mode ?? 'incremental',
        state: 'running',
        progress: {
          ...emptyIndexProgress(),
          filesSeen: 3,
          filesIndexed: 1,
          chunksWritten: 4,
          chunksPendingEmbedding: 4,
        },
        createdAt: new Date().toISOString(),
        startedAt: new Date().toISOString(),
        finishedAt: null,
        error: null,
      };
      jobs.set(job.id, job);
      return job;
    },
    getJob(id: string) {
      return jobs.get(id) ?? null;
    },
    listJobs() {
      return [...jobs.values()].reverse();
    },
    cancelJob(id: string) {
      const job = jobs.get(id);
      if (!job) throw new NellieError('NOT_FOUND', `No index job with id ${id}.`);
      if (job.state === 'queued' || job.state === 'running') {
        job.state = 'cancelled';
        job.finishedAt = new Date().toISOString();
      }
      return job;
    },
    async waitForJob(id: string) {
      return indexer.cancelJob(id);
    },
    async diff(): Promise<never> {
      throw new Error('not used');
    },
    async watch() {},
    async unwatch() {},
    async waitForEmbeddings() {},
    status() {
      const all = [...jobs.values()];
      return {
        jobsRunning: all.filter((job) => job.state === 'running').length,
        jobsQueued: all.filter((job) => job.state === 'queued').length,
        watchedRoots: [],
        embeddingBacklog: 7,
        indexLagSeconds: 2.5,
      };
    },
    async close() {},
    async [Symbol.asyncDispose]() {},
  };
  return indexer;
}
