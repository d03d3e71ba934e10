import { emptyIndexProgress, NellieError } from '@nellie/core';
import { describe, expect, inject, it } from 'vitest';
import { createPostgresStore, type PostgresStore } from '../src/index.ts';
import { freshSchema } from './pglite-server.ts';

/** Two stores on one schema: two servers sharing a database. */
async function openPair(): Promise<[PostgresStore, PostgresStore]> {
  const schema = freshSchema();
  const open = () =>
    createPostgresStore({
      connectionString: inject('postgresWithoutPgvector'),
      schema,
      maxConnections: 3,
    });
  const first = await open();
  return [first, await open()];
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
const job = (id: string, rootPath = '/src/shop') =>
  ({ id, rootPath, repository: 'shop', mode: 'incremental' }) as const;
const claimOptions = { leaseMs: 60_000, maxAttempts: 3 };

describe('PostgreSQL index jobs', () => {
  it('queues a job once per repository: duplicate requests from any server coalesce', async () => {
    const [a, b] = await openPair();
    await using _a = a;
    await using _b = b;
    const first = await a.jobs.enqueue(job('job-1'));
    expect(first).toMatchObject({ id: 'job-1', state: 'queued', attempts: 0, claimedBy: null });
    expect((await b.jobs.enqueue(job('job-2'))).id).toBe('job-1');
    expect((await a.jobs.enqueue(job('job-3', '/src/other'))).id).toBe('job-3');
    // Running still coalesces; once finished, a new request makes a new job.
    const claimed = await b.jobs.claim('server-b', claimOptions);
    expect(claimed?.id).toBe('job-1');
    expect((await a.jobs.enqueue(job('job-4'))).id).toBe('job-1');
    expect(
      await b.jobs.finish('job-1', 'server-b', {
        state: 'succeeded',
        error: null,
        progress: { ...emptyIndexProgress(), filesIndexed: 3 },
      }),
    ).toBe(true);
    expect((await a.jobs.enqueue(job('job-5'))).id).toBe('job-5');
    const listed = await a.jobs.list(10);
    expect(listed.map((entry) => [entry.id, entry.state])).toEqual([
      ['job-5', 'queued'],
      ['job-3', 'queued'],
      ['job-1', 'succeeded'],
    ]);
    expect(listed[2]).toMatchObject({ claimedBy: null, attempts: 1 });
    expect(listed[2]?.progress.filesIndexed).toBe(3);
    expect(listed[2]?.finishedAt).not.toBeNull();
  });

  it('claims only the job named by id, when one is named', async () => {
    const [a, b] = await openPair();
    await using _a = a;
    await using _b = b;
    await a.jobs.enqueue(job('older', '/src/older'));
    await a.jobs.enqueue(job('mine', '/src/mine'));
    expect(await b.jobs.claim('cli', { ...claimOptions, id: 'missing' })).toBeNull();
    expect(await b.jobs.claim('cli', { ...claimOptions, id: 'mine' })).toMatchObject({
      id: 'mine',
      state: 'running',
      claimedBy: 'cli',
    });
    // Running and held: not claimed again by id; the older job is left to the servers.
    expect(await b.jobs.claim('cli', { ...claimOptions, id: 'mine' })).toBeNull();
    expect(await a.jobs.get('older')).toMatchObject({ state: 'queued', attempts: 0 });
    expect((await a.jobs.claim('server-a', claimOptions))?.id).toBe('older');
  });

  it('gives each queued job to one claimer, even when several claim at once', async () => {
    const [a, b] = await openPair();
    await using _a = a;
    await using _b = b;
    for (let index = 0; index < 6; index += 1) {
      await a.jobs.enqueue(job(`job-${index}`, `/src/repo-${index}`));
    }
    const claims = await Promise.all(
      Array.from({ length: 10 }, (_, index) =>
        (index % 2 ? a : b).jobs.claim(`server-${index}`, claimOptions),
      ),
    );
    const claimed = claims.filter((entry) => entry !== null).map((entry) => entry.id);
    expect(claimed.sort()).toEqual(['job-0', 'job-1', 'job-2', 'job-3', 'job-4', 'job-5']);
    expect(await a.jobs.claim('late', claimOptions)).toBeNull();
  });

  it('heartbeats renew the lease; a job whose holder stopped is taken over by another server', async () => {
    const [a, b] = await openPair();
    await using _a = a;
    await using _b = b;
    await a.jobs.enqueue(job('job-1'));
    const lease = { leaseMs: 1500, maxAttempts: 3 };
    expect((await a.jobs.claim('server-a', lease))?.attempts).toBe(1);
    for (let beat = 0; beat < 4; beat += 1) {
      await sleep(300);
      const progress = { ...emptyIndexProgress(), filesSeen: beat + 1 };
      expect(await a.jobs.heartbeat('job-1', 'server-a', { ...lease, progress })).toBe('held');
      expect(await b.jobs.claim('server-b', lease)).toBeNull();
    }
    expect((await b.jobs.get('job-1'))?.progress.filesSeen).toBe(4);
    // server-a stops heartbeating: once its lease ran out, server-b takes the job.
    await sleep(1700);
    const taken = await b.jobs.claim('server-b', lease);
    expect(taken).toMatchObject({
      id: 'job-1',
      state: 'running',
      claimedBy: 'server-b',
      attempts: 2,
    });
    // The old holder learns it lost the job and cannot finish it.
    const progress = emptyIndexProgress();
    expect(await a.jobs.heartbeat('job-1', 'server-a', { ...lease, progress })).toBe('lost');
    expect(
      await a.jobs.finish('job-1', 'server-a', { state: 'succeeded', error: null, progress }),
    ).toBe(false);
    expect(
      await b.jobs.finish('job-1', 'server-b', { state: 'succeeded', error: null, progress }),
    ).toBe(true);
    expect(await a.jobs.get('job-1')).toMatchObject({ state: 'succeeded', attempts: 2 });
  });

  it('fails a job abandoned maxAttempts times, saying why, instead of running it again', async () => {
    const [a, b] = await openPair();
    await using _a = a;
    await using _b = b;
    await a.jobs.enqueue(job('job-1'));
    const lease = { leaseMs: 200, maxAttempts: 2 };
    expect(await a.jobs.claim('server-a', lease)).not.toBeNull();
    await sleep(350);
    expect((await b.jobs.claim('server-b', lease))?.attempts).toBe(2);
    await sleep(350);
    expect(await a.jobs.claim('server-c', lease)).toBeNull();
    const failed = await b.jobs.get('job-1');
    expect(failed).toMatchObject({ state: 'failed', claimedBy: null });
    expect(failed?.error).toMatch(/started 2 times.*server-b/);
    // The repository can be indexed again with a new job.
    expect((await b.jobs.enqueue(job('job-2'))).state).toBe('queued');
  });

  it('records a failed job with its error', async () => {
    const [a] = await openPair();
    await using _a = a;
    await a.jobs.enqueue(job('job-1'));
    await a.jobs.claim('server-a', claimOptions);
    const progress = emptyIndexProgress();
    const error = 'EACCES: permission denied, scandir /src/shop/private';
    await a.jobs.finish('job-1', 'server-a', { state: 'failed', error, progress });
    expect(await a.jobs.get('job-1')).toMatchObject({ state: 'failed', error });
  });

  it('cancels a queued job at once and asks the holder of a running one to stop', async () => {
    const [a, b] = await openPair();
    await using _a = a;
    await using _b = b;
    await a.jobs.enqueue(job('queued', '/src/one'));
    expect(await b.jobs.cancel('queued')).toMatchObject({ state: 'cancelled' });
    expect(await a.jobs.claim('server-a', claimOptions)).toBeNull();

    await a.jobs.enqueue(job('running', '/src/two'));
    await a.jobs.claim('server-a', claimOptions);
    expect(await b.jobs.cancel('running')).toMatchObject({
      state: 'running',
      cancelRequested: true,
    });
    const progress = emptyIndexProgress();
    expect(await a.jobs.heartbeat('running', 'server-a', { leaseMs: 1000, progress })).toBe(
      'cancel',
    );
    await a.jobs.finish('running', 'server-a', { state: 'cancelled', error: null, progress });
    // A finished job is returned unchanged; an unknown one is null.
    expect(await b.jobs.cancel('running')).toMatchObject({ state: 'cancelled' });
    expect(await b.jobs.cancel('nothing')).toBeNull();
  });

  it('a cancelled job whose holder died is closed, not taken over', async () => {
    const [a, b] = await openPair();
    await using _a = a;
    await using _b = b;
    await a.jobs.enqueue(job('job-1'));
    await a.jobs.claim('server-a', { leaseMs: 200, maxAttempts: 3 });
    await b.jobs.cancel('job-1');
    await sleep(350);
    expect(await b.jobs.claim('server-b', claimOptions)).toBeNull();
    expect(await b.jobs.get('job-1')).toMatchObject({ state: 'cancelled', error: null });
  });

  it('puts a released job back in the queue for another server', async () => {
    const [a, b] = await openPair();
    await using _a = a;
    await using _b = b;
    await a.jobs.enqueue(job('job-1'));
    await a.jobs.claim('server-a', claimOptions);
    await a.jobs.release('job-1', 'server-a', { ...emptyIndexProgress(), filesSeen: 7 });
    expect(await b.jobs.get('job-1')).toMatchObject({ state: 'queued', claimedBy: null });
    expect(await b.jobs.claim('server-b', claimOptions)).toMatchObject({
      id: 'job-1',
      attempts: 2,
    });
  });

  it('rejects bad input with INVALID_INPUT', async () => {
    const [a] = await openPair();
    await using _a = a;
    const invalid = async (promise: Promise<unknown>): Promise<string> => {
      const error = await promise.then(
        () => null,
        (thrown: unknown) => thrown,
      );
      expect(NellieError.is(error) && error.code).toBe('INVALID_INPUT');
      return (error as Error).message;
    };
    expect(await invalid(a.jobs.enqueue({ ...job('job-1'), mode: 'sometimes' as 'full' }))).toMatch(
      /mode/,
    );
    expect(await invalid(a.jobs.enqueue(job('job-1', '')))).toMatch(/rootPath/);
    expect(await invalid(a.jobs.claim('', claimOptions))).toMatch(/holder/);
    expect(await invalid(a.jobs.claim('server-a', { leaseMs: 5, maxAttempts: 3 }))).toMatch(
      /leaseMs/,
    );
    expect(await invalid(a.jobs.list(0))).toMatch(/limit/);
  });
});

describe('PostgreSQL file writes when two servers index the same file', () => {
  it('leaves exactly one copy of its chunks, whichever write commits last', async () => {
    const [a, b] = await openPair();
    await using _a = a;
    await using _b = b;
    const repo = await a.upsertRepository({ rootPath: '/src/shop' });
    const write = (store: PostgresStore, variant: string) =>
      store.writeFile(
        repo.id,
        { path: 'users.ts', language: 'typescript', size: 10, mtimeMs: 1, contentHash: variant },
        Array.from({ length: 20 }, (_, index) => ({
          startLine: index + 1,
          endLine: index + 1,
          content: `line ${index} ${variant}`,
        })),
      );
    for (let round = 0; round < 5; round += 1) {
      await Promise.all([write(a, `a${round}`), write(b, `b${round}`), write(a, `c${round}`)]);
    }
    const files = await b.listFiles(repo.id);
    expect(files).toHaveLength(1);
    const summaries = await b.listRepositorySummaries();
    expect(summaries[0]).toMatchObject({ files: 1, chunks: 20 });
  });
});
