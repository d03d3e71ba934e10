import { mkdtemp, realpath, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { NellieError, type CodeIndexer } from '@nellie/core';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';

export interface CodeIndexerContractOptions {
  /** A new indexer that may read any directory under the temporary directory; closed after each test. */
  create: () => CodeIndexer | Promise<CodeIndexer>;
}

async function codeOf(promise: Promise<unknown>): Promise<string | undefined> {
  try {
    await promise;
  } catch (error) {
    return NellieError.is(error) ? error.code : `not a NellieError: ${String(error)}`;
  }
  return undefined;
}

/**
 * What http-api and mcp-tools rely on from a `CodeIndexer`: jobs are booked, found and cancelled,
 * paths are checked, and watched roots show in the status. Run against the real indexer and
 * every fake.
 */
export function codeIndexerContract(name: string, options: CodeIndexerContractOptions): void {
  describe(`CodeIndexer contract: ${name}`, () => {
    let root: string;
    let indexer: CodeIndexer;

    beforeEach(async () => {
      root = await mkdtemp(join(await realpath(tmpdir()), 'nellie-indexer-contract-'));
      await writeFile(join(root, 'app.ts'), 'export const answer = 42;\n');
      indexer = await options.create();
    });

    afterEach(async () => {
      await indexer.close();
      await rm(root, { recursive: true, force: true });
    });

    it('books a job for a readable directory, found by id and listed first', async () => {
      const job = await indexer.startJob({ rootPath: root });
      expect(job).toMatchObject({ rootPath: root, mode: 'incremental' });
      expect(['queued', 'running']).toContain(job.state);
      expect(indexer.getJob(job.id)?.rootPath).toBe(root);
      expect(indexer.listJobs()[0]?.id).toBe(job.id);
      const { jobsQueued, jobsRunning } = indexer.status();
      expect(jobsQueued + jobsRunning).toBe(1);
    });

    it('records the mode asked for', async () => {
      expect((await indexer.startJob({ rootPath: root, mode: 'full' })).mode).toBe('full');
    });

    it('answers a second request for a root with the job already active there', async () => {
      const [first, second] = await Promise.all([
        indexer.startJob({ rootPath: root }),
        indexer.startJob({ rootPath: root }),
      ]);
      expect(second.id).toBe(first.id);
      expect(indexer.listJobs()).toHaveLength(1);
    });

    it('rejects a path that is not a readable directory with INVALID_INPUT', async () => {
      const missing = join(root, 'missing');
      expect(await codeOf(indexer.startJob({ rootPath: missing }))).toBe('INVALID_INPUT');
      expect(await codeOf(indexer.diff(missing))).toBe('INVALID_INPUT');
      expect(await codeOf(indexer.watch(missing))).toBe('INVALID_INPUT');
      expect(indexer.listJobs()).toEqual([]);
    });

    it('refuses a system directory with PATH_NOT_ALLOWED', async () => {
      expect(await codeOf(indexer.startJob({ rootPath: '/etc' }))).toBe('PATH_NOT_ALLOWED');
      expect(await codeOf(indexer.diff('/etc'))).toBe('PATH_NOT_ALLOWED');
      expect(await codeOf(indexer.watch('/etc'))).toBe('PATH_NOT_ALLOWED');
      expect(indexer.listJobs()).toEqual([]);
    });

    it('knows no job by an unknown id', () => {
      expect(indexer.getJob('no-such-job')).toBeNull();
      expect(() => indexer.cancelJob('no-such-job')).toThrow(
        expect.objectContaining({ code: 'NOT_FOUND' }),
      );
    });

    it('ends a cancelled job as cancelled, and leaves it so when cancelled again', async () => {
      const job = await indexer.startJob({ rootPath: root });
      indexer.cancelJob(job.id);
      await vi.waitFor(() => expect(indexer.getJob(job.id)?.state).toBe('cancelled'));
      expect(indexer.cancelJob(job.id).state).toBe('cancelled');
      const { jobsQueued, jobsRunning } = indexer.status();
      expect(jobsQueued + jobsRunning).toBe(0);
    });

    it('lists a watched root in its status until it is unwatched', async () => {
      await indexer.watch(root);
      expect(indexer.status().watchedRoots).toContain(root);
      await indexer.unwatch(root);
      expect(indexer.status().watchedRoots).not.toContain(root);
    });
  });
}
