/* eslint-disable @typescript-eslint/no-unsafe-assignment -- vitest's asymmetric matchers (expect.stringContaining…) are typed any */
import { noopLogger } from '@nellie/core';
import { afterEach, describe, expect, it } from 'vitest';
import { EmbeddingQueue } from '../src/internal/embedding-queue.ts';
import type { WorkerInit } from '../src/internal/messages.ts';
import { WorkerPool, type WorkerKind } from '../src/internal/pool.ts';
import { threadCount } from './helpers.ts';

const workerUrl = new URL('./fixtures/fake-worker.mjs', import.meta.url);
const pools: WorkerPool[] = [];

function init(modelDir = 'works'): WorkerInit {
  return {
    modelDir,
    dtype: 'q8',
    pooling: 'mean',
    maxTokens: 256,
    windowOverlap: 0,
    intraOpThreads: 1,
    niceness: 0,
    allowSpinning: false,
  };
}

function createPool(
  kinds: WorkerKind[],
  options: {
    modelDir?: string;
    maxRestartsPerMinute?: number;
    batchSize?: number;
    closeTimeoutMs?: number;
  } = {},
) {
  const queue = new EmbeddingQueue({
    maxQueue: 1000,
    batchSize: options.batchSize ?? 1,
    onWork: () => pool.dispatch(),
  });
  const pool: WorkerPool = new WorkerPool({
    workerUrl,
    workers: kinds.map((kind) => ({ kind, init: init(options.modelDir) })),
    queue,
    logger: noopLogger,
    maxRestartsPerMinute: options.maxRestartsPerMinute,
    closeTimeoutMs: options.closeTimeoutMs,
  });
  pools.push(pool);
  return { pool, queue };
}

afterEach(async () => {
  await Promise.all(pools.splice(0).map((pool) => pool.close()));
});

describe('WorkerPool', () => {
  it('starts its workers and reports the vector width', async () => {
    const { pool, queue } = createPool(['bulk', 'bulk']);
    await expect(pool.dimensions).resolves.toBe(4);
    const vectors = await queue.submit(['ab', 'abc'], 'bulk');
    expect(vectors.map((vector) => vector[1])).toEqual([2, 3]);
  });

  it('spreads bulk work over every bulk worker', async () => {
    const { pool, queue } = createPool(['bulk', 'bulk']);
    await pool.dimensions;
    const vectors = await queue.submit(
      Array.from({ length: 8 }, (_, index) => `slow ${index}`),
      'bulk',
    );
    expect(new Set(vectors.map((vector) => vector[0])).size).toBe(2);
    expect(pool.stats().every((worker) => worker.jobs > 0)).toBe(true);
  });

  it('keeps the query worker for queries while bulk work is queued', async () => {
    const { pool, queue } = createPool(['bulk', 'query']);
    await pool.dimensions;
    const order: string[] = [];
    const bulk = queue
      .submit(
        Array.from({ length: 6 }, (_, index) => `slow ${index}`),
        'bulk',
      )
      .then(() => order.push('bulk'));
    const query = queue.submit(['query'], 'query').then((vectors) => {
      order.push('query');
      return vectors;
    });
    await Promise.all([bulk, query]);
    expect(order).toEqual(['query', 'bulk']);
    const stats = pool.stats();
    expect(stats.find((worker) => worker.kind === 'query')?.jobs).toBe(1);
    expect(stats.find((worker) => worker.kind === 'bulk')?.jobs).toBe(6);
  });

  it('runs a query next on a busy single worker, ahead of the bulk backlog', async () => {
    const { pool, queue } = createPool(['bulk']);
    await pool.dimensions;
    const finished: string[] = [];
    const bulkCalls = Array.from({ length: 5 }, (_, index) =>
      queue.submit([`slow ${index}`], 'bulk').then(() => finished.push(`bulk ${index}`)),
    );
    const query = queue.submit(['query'], 'query').then(() => finished.push('query'));
    await Promise.all([...bulkCalls, query]);
    // Only the batch already running when the query arrived finishes before it.
    expect(finished.indexOf('query')).toBeLessThanOrEqual(1);
    expect(finished.at(-1)).toBe('bulk 4');
  });

  it('fails the job of a crashed worker with EMBEDDING_FAILED, restarts it and stays usable', async () => {
    const { pool, queue } = createPool(['bulk']);
    await pool.dimensions;
    await expect(queue.submit(['fine', 'crash'], 'bulk')).rejects.toMatchObject({
      code: 'EMBEDDING_FAILED',
      message: expect.stringContaining('restarted'),
    });
    await expect(queue.submit(['after the crash'], 'bulk')).resolves.toHaveLength(1);
    expect(pool.stats()[0]).toMatchObject({ restarts: 1, state: 'idle' });
    expect(pool.healthy()).toBe(true);
  });

  it('reports an inference error for its call only', async () => {
    const { pool, queue } = createPool(['bulk']);
    await pool.dimensions;
    const [failed, fine] = await Promise.allSettled([
      queue.submit(['throw'], 'bulk'),
      queue.submit(['fine'], 'bulk'),
    ]);
    expect(failed).toMatchObject({
      status: 'rejected',
      reason: {
        code: 'EMBEDDING_FAILED',
        message: expect.stringContaining('fake inference error'),
      },
    });
    expect(fine.status).toBe('fulfilled');
  });

  it('gives up on a worker that keeps crashing and rejects further work', async () => {
    const { pool, queue } = createPool(['bulk'], { maxRestartsPerMinute: 2 });
    await pool.dimensions;
    for (let attempt = 0; attempt < 3; attempt += 1) {
      await expect(queue.submit(['crash'], 'bulk')).rejects.toMatchObject({
        code: 'EMBEDDING_FAILED',
      });
    }
    expect(pool.healthy()).toBe(false);
    await expect(queue.submit(['fine'], 'bulk')).rejects.toMatchObject({
      code: 'EMBEDDING_FAILED',
      message: expect.stringContaining('Every embedding worker has failed'),
    });
  });

  it('lets the query worker take bulk work once no bulk worker is left', async () => {
    const { pool, queue } = createPool(['bulk', 'query'], { maxRestartsPerMinute: 0 });
    await pool.dimensions;
    await expect(queue.submit(['crash'], 'bulk')).rejects.toMatchObject({
      code: 'EMBEDDING_FAILED',
    });
    expect(pool.healthy()).toBe(true);
    await expect(queue.submit(['still works'], 'bulk')).resolves.toHaveLength(1);
  });

  it.each([
    ['fail-load', 'fake load failure'],
    ['crash-on-load', 'exit code 3'],
  ])(
    'rejects start with MODEL_LOAD_FAILED when a worker cannot load (%s)',
    async (modelDir, reason) => {
      const { pool } = createPool(['bulk', 'bulk'], { modelDir });
      await expect(pool.dimensions).rejects.toMatchObject({
        code: 'MODEL_LOAD_FAILED',
        message: expect.stringContaining(reason),
      });
    },
  );

  it('terminates every thread on close', async () => {
    // One warm-up round so lazily created process threads exist before counting.
    const warm = createPool(['bulk']);
    await warm.pool.dimensions;
    await warm.pool.close();
    const before = threadCount();
    const { pool } = createPool(['bulk', 'bulk', 'query']);
    await pool.dimensions;
    expect(threadCount()).toBeGreaterThanOrEqual(before + 3);
    await pool.close();
    expect(threadCount()).toBeLessThanOrEqual(before);
    expect(pool.stats().every((worker) => worker.state === 'stopped')).toBe(true);
  });

  it('terminates a worker that does not stop when asked to close', async () => {
    const stubborn = createPool(['bulk'], { modelDir: 'ignores-close', closeTimeoutMs: 100 });
    await stubborn.pool.dimensions;
    await stubborn.pool.close();
    expect(stubborn.pool.stats()[0]!.state).toBe('stopped');
  });
});
