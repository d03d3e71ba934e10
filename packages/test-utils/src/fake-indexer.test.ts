import { describe, expect, it } from 'vitest';
import { codeIndexerContract } from './code-indexer-contract.ts';
import { createFakeIndexer } from './fake-indexer.ts';

codeIndexerContract('fake indexer', { create: () => createFakeIndexer() });

describe('createFakeIndexer', () => {
  it('lets a test move a job along and finish it, waking whoever waits for it', async () => {
    const indexer = createFakeIndexer();
    const job = await indexer.startJob({ rootPath: '/srv/repos/demo' });
    indexer.advance(job.id, { filesSeen: 3 });
    expect(indexer.getJob(job.id)).toMatchObject({ state: 'running', progress: { filesSeen: 3 } });
    expect(indexer.status()).toMatchObject({ jobsRunning: 1, jobsQueued: 0 });
    const finished = indexer.waitForJob(job.id);
    indexer.finish(job.id);
    expect(await finished).toMatchObject({ id: job.id, state: 'succeeded' });
  });

  it('answers diffs it was given, and NOT_FOUND for others', async () => {
    const indexer = createFakeIndexer();
    const diff = {
      repository: 'api',
      rootPath: '/home/me/api',
      added: ['a.ts'],
      changed: [],
      deleted: [],
      unchanged: 4,
    };
    indexer.diffs.set('/home/me/api', diff);
    expect(await indexer.diff('/home/me/api')).toEqual(diff);
    await expect(indexer.diff('/home/me/web')).rejects.toMatchObject({ code: 'NOT_FOUND' });
  });

  it('reports the status figures it was given', () => {
    expect(createFakeIndexer({ embeddingBacklog: 7, indexLagSeconds: 2.5 }).status()).toEqual({
      jobsRunning: 0,
      jobsQueued: 0,
      watchedRoots: [],
      embeddingBacklog: 7,
      indexLagSeconds: 2.5,
    });
  });
});
