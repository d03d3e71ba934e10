import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import type { CodeIndexer } from '@nellie/core';
import { createPostgresStore, type PostgresStore } from '@nellie/postgres';
import { startPostgresServer, type PostgresServer } from '@nellie/test-utils';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { createIndexer } from '../src/index.ts';
import { makeTempDir, removeDir, waitFor, writeTree } from './support/fixtures.ts';

let postgres: PostgresServer;
let workspace: string;
let root: string;
let schema: string;
const opened: { close(): Promise<void> }[] = [];

beforeAll(async () => {
  postgres = await startPostgresServer();
}, 120_000);

afterAll(async () => {
  await postgres?.destroy();
});

beforeEach(async () => {
  workspace = await makeTempDir();
  root = join(workspace, 'repo');
  schema = `jobs_${randomBytes(5).toString('hex')}`;
  const files: Record<string, string> = {};
  for (let index = 0; index < 60; index += 1) {
    files[`src/module${index}.ts`] =
      `export function compute${index}(value: number): number {\n  return value * ${index};\n}\n`;
  }
  await writeTree(root, files);
});

afterEach(async () => {
  for (const resource of opened.splice(0).reverse()) await resource.close();
  await removeDir(workspace);
});

async function openStore(): Promise<PostgresStore> {
  const store = await createPostgresStore({
    connectionString: postgres.connectionString,
    schema,
    maxConnections: 4,
  });
  opened.push(store);
  return store;
}

/** A server: its own store (pool) and indexer on the shared schema. */
async function openServer(
  holder: string,
  settings: { jobLeaseMs?: number; jobPollMs?: number } = {},
) {
  const store = await openStore();
  const indexer = createIndexer({
    store,
    jobStore: store.jobs,
    jobHolder: holder,
    jobPollMs: settings.jobPollMs ?? 100,
    jobLeaseMs: settings.jobLeaseMs ?? 3000,
    allowedRoots: [workspace],
  });
  opened.push(indexer);
  return { store, indexer };
}

async function chunkCounts(store: PostgresStore) {
  const [summary] = await store.listRepositorySummaries();
  return { files: summary?.files, chunks: summary?.chunks };
}

const jobSeen = (indexer: CodeIndexer, id: string) => () => indexer.getJob(id);

describe('index jobs shared through PostgreSQL', () => {
  it('a job started on one server runs once and its state is seen from the others', async () => {
    const a = await openServer('server-a');
    const b = await openServer('server-b');
    const [first, second] = await Promise.all([
      a.indexer.startJob({ rootPath: root }),
      b.indexer.startJob({ rootPath: root }),
    ]);
    expect(second.id).toBe(first.id);
    const done = await b.indexer.waitForJob(first.id);
    expect(done).toMatchObject({ state: 'succeeded', error: null });
    expect(done.progress.filesIndexed).toBe(60);
    await waitFor(
      () => a.indexer.getJob(first.id)?.state === 'succeeded',
      'server a to see the job finished',
    );
    const stored = await a.store.jobs.get(first.id);
    expect(stored).toMatchObject({ attempts: 1, claimedBy: null });
    expect(await chunkCounts(a.store)).toEqual({ files: 60, chunks: 60 });
    expect(a.indexer.listJobs().map((job) => job.id)).toEqual([first.id]);
  });

  it('a job whose server stopped heartbeating is taken over and finished by another', async () => {
    const store = await openStore();
    const repository = await store.upsertRepository({ rootPath: root });
    await store.jobs.enqueue({
      id: 'stalled',
      rootPath: root,
      repository: repository.name,
      mode: 'full',
    });
    // A server claims it and then never heartbeats (it died).
    expect(await store.jobs.claim('dead-server', { leaseMs: 500, maxAttempts: 3 })).not.toBeNull();
    const b = await openServer('server-b');
    const done = await b.indexer.waitForJob('stalled');
    expect(done.state).toBe('succeeded');
    expect(await store.jobs.get('stalled')).toMatchObject({ attempts: 2, state: 'succeeded' });
    expect(await chunkCounts(store)).toEqual({ files: 60, chunks: 60 });
  });

  it('a server shutting down puts its running job back; another finishes it', async () => {
    const a = await openServer('server-a');
    const job = await a.indexer.startJob({ rootPath: root, mode: 'full' });
    await waitFor(() => a.indexer.getJob(job.id)?.state === 'running', 'server a to run the job');
    await a.indexer.close();
    expect((await a.store.jobs.get(job.id))?.state).toMatch(/^(queued|succeeded)$/);
    const b = await openServer('server-b');
    const done = await b.indexer.waitForJob(job.id);
    expect(done.state).toBe('succeeded');
    expect(await chunkCounts(b.store)).toEqual({ files: 60, chunks: 60 });
  });

  /**
   * Enough files that the job is still running when a cancel reaches its server, which hears it
   * at its next heartbeat (a third of the lease) even on a fast machine.
   */
  async function writeManyFiles(): Promise<void> {
    await writeTree(
      root,
      Object.fromEntries(
        Array.from({ length: 5000 }, (_, index) => [
          `more/file${index}.ts`,
          `export const value${index} = ${index};\n`,
        ]),
      ),
    );
  }

  it('cancelling on one server stops the job running on another', async () => {
    const a = await openServer('server-a');
    await writeManyFiles();
    const job = await a.indexer.startJob({ rootPath: root, mode: 'full' });
    await waitFor(() => a.indexer.getJob(job.id)?.state === 'running', 'the job to run');
    const b = await openServer('server-b');
    await waitFor(jobSeen(b.indexer, job.id), 'server b to see the job');
    b.indexer.cancelJob(job.id);
    const done = await b.indexer.waitForJob(job.id);
    expect(done.state).toBe('cancelled');
    expect(await a.store.jobs.get(job.id)).toMatchObject({ state: 'cancelled' });
  });

  it('a server cancels and waits for a job running on another before its own poll has seen it', async () => {
    // B polls at start and then not for a minute, longer than this test may take: what it learns
    // of the job it reads on demand.
    const b = await openServer('server-b', { jobPollMs: 60_000 });
    const a = await openServer('server-a');
    await writeManyFiles();
    const job = await a.indexer.startJob({ rootPath: root, mode: 'full' });
    await waitFor(() => a.indexer.getJob(job.id)?.state === 'running', 'the job to run');
    expect(b.indexer.getJob(job.id)).toBeNull();
    expect(b.indexer.cancelStoredJob).toBeTypeOf('function');
    const cancelled = await b.indexer.cancelStoredJob!(job.id);
    expect(cancelled.id).toBe(job.id);
    expect(await a.store.jobs.get(job.id)).toMatchObject({ cancelRequested: true });
    const done = await b.indexer.waitForJob(job.id);
    expect(done.state).toBe('cancelled');
    expect(await a.store.jobs.get(job.id)).toMatchObject({ state: 'cancelled' });
    await expect(b.indexer.cancelStoredJob!('no-such-job')).rejects.toMatchObject({
      code: 'NOT_FOUND',
    });
  }, 30_000);

  it('a job failing on the server that claimed it is failed with its error, for everyone', async () => {
    const store = await openStore();
    // Queued by a server allowed to index /etc; this one is not, and says so.
    await store.jobs.enqueue({ id: 'refused', rootPath: '/etc', repository: 'etc', mode: 'full' });
    const b = await openServer('server-b');
    const done = await b.indexer.waitForJob('refused');
    expect(done.state).toBe('failed');
    expect(done.error).toMatch(/etc/);
    expect((await store.jobs.get('refused'))?.error).toBe(done.error);
  });

  it('waitForJob rejects an unknown job with NOT_FOUND', async () => {
    const a = await openServer('server-a');
    await expect(a.indexer.waitForJob('no-such-job')).rejects.toMatchObject({ code: 'NOT_FOUND' });
    expect(() => a.indexer.cancelJob('no-such-job')).toThrow(/No index job/);
  });
});
