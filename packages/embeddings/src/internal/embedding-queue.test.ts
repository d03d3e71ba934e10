/* eslint-disable @typescript-eslint/no-unsafe-assignment -- vitest's asymmetric matchers (expect.stringContaining…) are typed any */
import { NellieError } from '@nellie/core';
import { describe, expect, it } from 'vitest';
import { EmbeddingQueue, type EmbeddingJob } from './embedding-queue.ts';

function vectorFor(text: string): Float32Array {
  return Float32Array.of(text.length, text.charCodeAt(0));
}

function createQueue(options: { maxQueue?: number; batchSize?: number } = {}) {
  const queue = new EmbeddingQueue({
    maxQueue: options.maxQueue ?? 100,
    batchSize: options.batchSize ?? 1,
    onWork: () => undefined,
  });
  const run = (job: EmbeddingJob): void => queue.complete(job, job.texts.map(vectorFor));
  return { queue, run };
}

describe('EmbeddingQueue', () => {
  it('hands out query jobs before bulk jobs queued earlier', () => {
    const { queue } = createQueue();
    void queue.submit(['b1', 'b2'], 'bulk');
    void queue.submit(['q1'], 'query');
    const order = [queue.take('any'), queue.take('any'), queue.take('any')].map(
      (job) => job?.texts[0],
    );
    expect(order).toEqual(['q1', 'b1', 'b2']);
    expect(queue.take('any')).toBeUndefined();
  });

  it('gives a query-only taker nothing but queries', () => {
    const { queue } = createQueue();
    void queue.submit(['bulk'], 'bulk');
    expect(queue.take('query')).toBeUndefined();
    void queue.submit(['query'], 'query');
    expect(queue.take('query')?.texts).toEqual(['query']);
  });

  it('batches length-sorted texts and returns vectors in the caller order', async () => {
    const { queue, run } = createQueue({ batchSize: 2 });
    const texts = ['ccc', 'a', 'bbbb', 'dd', 'eeeee'];
    const result = queue.submit(texts, 'bulk');
    const batches: string[][] = [];
    for (let job = queue.take('any'); job; job = queue.take('any')) {
      batches.push(job.texts);
      run(job);
    }
    expect(batches).toEqual([['a', 'dd'], ['ccc', 'bbbb'], ['eeeee']]);
    expect((await result).map((vector) => vector[0])).toEqual([3, 1, 4, 2, 5]);
  });

  it('reports queued and running texts as its depth', () => {
    const { queue, run } = createQueue();
    void queue.submit(['a', 'b', 'c'], 'bulk');
    expect(queue.depth()).toBe(3);
    const job = queue.take('any')!;
    expect(queue.depth()).toBe(3);
    run(job);
    expect(queue.depth()).toBe(2);
  });

  it('rejects bulk work beyond the bound with QUEUE_FULL and accepts it again once drained', async () => {
    const { queue, run } = createQueue({ maxQueue: 3 });
    const first = queue.submit(['a', 'b'], 'bulk');
    await expect(queue.submit(['c', 'd'], 'bulk')).rejects.toMatchObject({
      code: 'QUEUE_FULL',
      message: expect.stringContaining('limit 3'),
    });
    await expect(queue.submit(['x', 'y', 'z', 'w'], 'bulk')).rejects.toMatchObject({
      code: 'QUEUE_FULL',
      message: expect.stringContaining('at most 3 texts'),
    });
    // Queries are not bounded by the bulk limit.
    const query = queue.submit(['q'], 'query');
    for (let job = queue.take('any'); job; job = queue.take('any')) run(job);
    await expect(first).resolves.toHaveLength(2);
    await expect(query).resolves.toHaveLength(1);
    const again = queue.submit(['c', 'd'], 'bulk');
    for (let job = queue.take('any'); job; job = queue.take('any')) run(job);
    await expect(again).resolves.toHaveLength(2);
  });

  it('drops the queued jobs of a cancelled call and rejects it with ABORTED', async () => {
    const { queue, run } = createQueue();
    const controller = new AbortController();
    const cancelled = queue.submit(['a', 'b', 'c'], 'bulk', controller.signal);
    const other = queue.submit(['d'], 'bulk');
    const running = queue.take('any')!;
    controller.abort();
    await expect(cancelled).rejects.toMatchObject({ code: 'ABORTED' });
    expect(queue.depth()).toBe(2); // the running job and the other call
    run(running); // a late result of a cancelled call is ignored
    const next = queue.take('any')!;
    expect(next.texts).toEqual(['d']);
    run(next);
    await expect(other).resolves.toHaveLength(1);
    expect(queue.depth()).toBe(0);
  });

  it('rejects at once when the signal is already aborted', async () => {
    const { queue } = createQueue();
    await expect(queue.submit(['a'], 'bulk', AbortSignal.abort())).rejects.toMatchObject({
      code: 'ABORTED',
    });
    expect(queue.depth()).toBe(0);
  });

  it('fails the whole call when one of its jobs fails', async () => {
    const { queue } = createQueue();
    const call = queue.submit(['a', 'b'], 'bulk');
    queue.fail(queue.take('any')!, new Error('boom'));
    await expect(call).rejects.toThrow('boom');
    expect(queue.take('any')).toBeUndefined();
    expect(queue.depth()).toBe(0);
  });

  it('rejects running and waiting calls on close, and every later call', async () => {
    const { queue } = createQueue();
    const running = queue.submit(['a'], 'bulk');
    const waiting = queue.submit(['b'], 'query');
    queue.take('any');
    queue.close(new NellieError('STORE_CLOSED', 'closed'));
    await expect(running).rejects.toMatchObject({ code: 'STORE_CLOSED' });
    await expect(waiting).rejects.toMatchObject({ code: 'STORE_CLOSED' });
    await expect(queue.submit(['c'], 'bulk')).rejects.toMatchObject({ code: 'STORE_CLOSED' });
  });

  it('resolves an empty call at once', async () => {
    const { queue } = createQueue();
    await expect(queue.submit([], 'bulk')).resolves.toEqual([]);
  });
});
