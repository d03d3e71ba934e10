/* eslint-disable @typescript-eslint/no-unsafe-assignment -- vitest's asymmetric matchers (expect.stringContaining…) are typed any */
import { readFileSync } from 'node:fs';
import { cp, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import type { ModelStatus } from '@nellie/core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createLocalEmbedder, importModel, type LocalEmbedder } from '../src/index.ts';
import { maxDifference, norm, standInModelDir, threadCount, withTempDir } from './helpers.ts';
import { startModelServer } from './model-server.ts';

const modelDir = standInModelDir();
// Real source code, so tokenisation sees what indexing will feed it.
const code = readFileSync(new URL('../src/internal/pool.ts', import.meta.url), 'utf8');
const chunks = code
  .split('\n')
  .reduce<string[][]>((groups, line, index) => {
    if (index % 20 === 0) groups.push([]);
    groups.at(-1)!.push(line);
    return groups;
  }, [])
  .map((lines) => lines.join('\n'))
  .filter((chunk) => chunk.trim() !== '')
  .slice(0, 8);

let embedder: LocalEmbedder;
const statuses: ModelStatus[] = [];

beforeAll(async () => {
  embedder = await createLocalEmbedder({
    modelDir,
    onStatusChange: (status) => statuses.push(status),
  });
});

afterAll(async () => {
  await embedder.close();
});

function cosine(a: Float32Array, b: Float32Array): number {
  let dot = 0;
  for (let index = 0; index < a.length; index += 1) dot += a[index]! * b[index]!;
  return dot;
}

describe('createLocalEmbedder with the stand-in model', () => {
  it('loads from the model directory and describes itself', () => {
    expect(embedder.modelId).toBe('Xenova/all-MiniLM-L6-v2@q8+split-identifiers');
    expect(embedder.dimensions).toBe(384);
    expect(embedder.maxTokens).toBe(256);
    expect(embedder.source).toEqual({ kind: 'model-dir', dir: modelDir });
    expect(embedder.status()).toMatchObject({
      state: 'ready',
      modelId: 'Xenova/all-MiniLM-L6-v2@q8+split-identifiers',
      dimensions: 384,
      source: modelDir,
    });
    expect(statuses.map((status) => status.state)).toEqual(['loading', 'ready']);
    expect(
      embedder
        .stats()
        .workers.map((worker) => worker.kind)
        .sort(),
    ).toEqual(['bulk', 'query']);
  });

  it('returns one unit-length vector of 384 floats per text', async () => {
    const vectors = await embedder.embed(chunks);
    expect(vectors).toHaveLength(chunks.length);
    for (const vector of vectors) {
      expect(vector).toBeInstanceOf(Float32Array);
      expect(vector).toHaveLength(384);
      expect(norm(vector)).toBeCloseTo(1, 4);
      expect(vector.every(Number.isFinite)).toBe(true);
    }
    // Each vector owns its buffer, so storing one never drags a whole batch along.
    expect(vectors[0]!.buffer.byteLength).toBe(384 * 4);
  });

  it('is deterministic across calls, priorities and workers', async () => {
    const [first] = await embedder.embed([chunks[0]!]);
    const [again] = await embedder.embed([chunks[0]!]);
    const [asQuery] = await embedder.embed([chunks[0]!], { priority: 'query' });
    expect(maxDifference(first!, again!)).toBe(0);
    // The query worker runs one ONNX thread; results agree to float precision.
    expect(maxDifference(first!, asQuery!)).toBeLessThan(1e-5);
  });

  it('gives different texts different vectors', async () => {
    const [a, b] = await embedder.embed(['first text', 'second, rather different text']);
    expect(maxDifference(a!, b!)).toBeGreaterThan(1e-3);
  });

  it('truncates a 10,000-token input at 256 tokens instead of failing', async () => {
    const head = chunks.slice(0, 4).join('\n'); // well over 256 tokens of code
    const long = `${head}\n${'alpha beta gamma delta '.repeat(2_500)}`; // about 10k more tokens
    const otherTail = `${head}\n${'something else entirely '.repeat(50)}`;
    const [longVector, otherVector] = await embedder.embed([long, otherTail]);
    expect(longVector).toHaveLength(384);
    expect(norm(longVector!)).toBeCloseTo(1, 4);
    // Everything after the first 256 tokens is ignored, so the tails make no difference.
    expect(maxDifference(longVector!, otherVector!)).toBe(0);
    const [headOnly] = await embedder.embed([head]);
    expect(maxDifference(longVector!, headOnly!)).toBe(0);
  });

  it('rejects empty texts with INVALID_INPUT naming the index, and stays usable', async () => {
    await expect(embedder.embed(['fine', '', 'also fine'])).rejects.toMatchObject({
      code: 'INVALID_INPUT',
      message: expect.stringContaining('texts[1]'),
    });
    await expect(embedder.embed(['fine', 42 as unknown as string])).rejects.toMatchObject({
      code: 'INVALID_INPUT',
    });
    await expect(embedder.embed(['still works'])).resolves.toHaveLength(1);
  });

  it('embeds broken text (lone surrogates, control characters) as sanitised text', async () => {
    const [broken, clean] = await embedder.embed([
      'caf\uD800 ol\u0000\u0007é \uDFFF',
      'caf\uFFFD ol  é \uFFFD',
    ]);
    expect(maxDifference(broken!, clean!)).toBe(0);
  });

  it('answers an empty call with no vectors', async () => {
    await expect(embedder.embed([])).resolves.toEqual([]);
  });

  it('completes a query submitted behind a bulk backlog before the backlog', async () => {
    const finished: string[] = [];
    const backlog = embedder
      .embed(Array.from({ length: 10 }, (_, index) => `${chunks[index % chunks.length]!} ${index}`))
      .then(() => finished.push('bulk'));
    expect(embedder.queueDepth()).toBe(10);
    const query = embedder
      .embed(['where is the worker pool restarted'], { priority: 'query' })
      .then(() => finished.push('query'));
    await Promise.all([backlog, query]);
    expect(finished).toEqual(['query', 'bulk']);
    expect(embedder.queueDepth()).toBe(0);
  });

  it('cancels queued work with ABORTED and stays usable', async () => {
    const controller = new AbortController();
    const cancelled = embedder.embed(
      Array.from({ length: 40 }, (_, index) => `text number ${index}`),
      { signal: controller.signal },
    );
    controller.abort();
    await expect(cancelled).rejects.toMatchObject({ code: 'ABORTED' });
    expect(embedder.queueDepth()).toBeLessThanOrEqual(1); // at most the batch already running
    await expect(embedder.embed(['after'], { signal: AbortSignal.abort() })).rejects.toMatchObject({
      code: 'ABORTED',
    });
    await expect(embedder.embed(['after cancelling'])).resolves.toHaveLength(1);
  });
});

describe('createLocalEmbedder configurations', () => {
  it('batches length-sorted texts with the same results as batch 1', async () => {
    await using batched = await createLocalEmbedder({ modelDir, batchSize: 8, queryWorker: false });
    const texts = [...chunks, 'x', 'a short sentence', 'def f(x):\n    return x * 2'];
    const [single, together] = await Promise.all([embedder.embed(texts), batched.embed(texts)]);
    texts.forEach((_, index) => {
      // Padding changes the dynamic quantisation of a batch slightly, never the meaning.
      expect(maxDifference(single[index]!, together[index]!)).toBeLessThan(5e-3);
      expect(cosine(single[index]!, together[index]!)).toBeGreaterThan(0.999);
    });
    expect(batched.stats().workers[0]!.jobs).toBe(Math.ceil(texts.length / 8));
  });

  it('spreads bulk work over several worker threads with identical results', async () => {
    const before = threadCount();
    await using threaded = await createLocalEmbedder({
      modelDir,
      threads: 2,
      intraOpThreads: 1,
      queryWorker: false,
    });
    expect(threadCount()).toBeGreaterThanOrEqual(before + 2);
    const [reference, spread] = await Promise.all([embedder.embed(chunks), threaded.embed(chunks)]);
    const workers = threaded.stats().workers;
    expect(workers).toHaveLength(2);
    expect(workers.every((worker) => worker.jobs > 0)).toBe(true);
    chunks.forEach((_, index) => {
      expect(maxDifference(reference[index]!, spread[index]!)).toBeLessThan(1e-5);
    });
  });

  it('serves queries first on a single worker without a query worker', async () => {
    await using single = await createLocalEmbedder({ modelDir, queryWorker: false });
    const finished: string[] = [];
    const bulkCalls = Array.from({ length: 6 }, (_, index) =>
      single.embed([chunks[index]!]).then(() => finished.push(`bulk ${index}`)),
    );
    const query = single
      .embed(['query text'], { priority: 'query' })
      .then(() => finished.push('query'));
    await Promise.all([...bulkCalls, query]);
    // Only the batch that was already running may finish before the query.
    expect(finished.indexOf('query')).toBeLessThanOrEqual(1);
    expect(finished.at(-1)).toBe('bulk 5');
  });

  it('bounds the bulk queue with QUEUE_FULL and recovers', async () => {
    await using small = await createLocalEmbedder({ modelDir, maxQueue: 4, queryWorker: false });
    const first = small.embed(['a', 'b', 'c', 'd']);
    await expect(small.embed(['e', 'f'])).rejects.toMatchObject({
      code: 'QUEUE_FULL',
      message: expect.stringContaining('limit 4'),
    });
    expect(small.queueDepth()).toBe(4);
    await expect(first).resolves.toHaveLength(4);
    await expect(small.embed(['d', 'e'])).resolves.toHaveLength(2);
  });

  it('honours maxTokens, prefixes and CLS pooling', async () => {
    await using custom = await createLocalEmbedder({
      modelDir,
      maxTokens: 8,
      pooling: 'cls',
      queryPrefix: 'query: ',
      queryWorker: false,
    });
    expect(custom.modelId).toMatch(
      /^Xenova\/all-MiniLM-L6-v2@q8\+cls\+split-identifiers\+prefixes-[0-9a-f]{8}$/,
    );
    expect(custom.maxTokens).toBe(8);
    // [CLS] + 6 word tokens + [SEP] = 8 tokens; anything later is cut.
    const [a, b] = await custom.embed([
      'one two three four five six seven',
      'one two three four five six eight',
    ]);
    expect(maxDifference(a!, b!)).toBe(0);
    const [document] = await custom.embed(['query: hello']);
    const [query] = await custom.embed(['hello'], { priority: 'query' });
    expect(maxDifference(document!, query!)).toBe(0);
  });

  it('loads from the model cache after an import', async () => {
    await withTempDir(async (cacheDir) => {
      await importModel(modelDir, cacheDir, { verify: false });
      await using cached = await createLocalEmbedder({ cacheDir, queryWorker: false });
      expect(cached.source.kind).toBe('cache');
      const [fromCache] = await cached.embed(['same model, other place']);
      const [fromDir] = await embedder.embed(['same model, other place']);
      expect(maxDifference(fromCache!, fromDir!)).toBe(0);
    });
  });

  it('downloads into the cache when remote access is allowed, then loads it', async () => {
    const files = Object.fromEntries(
      [
        'config.json',
        'tokenizer.json',
        'tokenizer_config.json',
        'special_tokens_map.json',
        'onnx/model_quantized.onnx',
      ].map((file) => [file, readFileSync(path.join(modelDir, file))]),
    );
    const server = await startModelServer(files);
    try {
      await withTempDir(async (cacheDir) => {
        // A model without built-in checksums: downloaded and recorded, sizes checked.
        await using downloaded = await createLocalEmbedder({
          model: 'test-org/stand-in',
          cacheDir,
          allowRemote: true,
          hubUrl: server.url('good'),
          queryWorker: false,
        });
        expect(downloaded.source).toEqual({
          kind: 'remote',
          dir: path.join(cacheDir, 'test-org', 'stand-in'),
        });
        expect(downloaded.modelId).toBe('test-org/stand-in@q8');
        await expect(downloaded.embed(['downloaded'])).resolves.toHaveLength(1);
      });
    } finally {
      await server.close();
    }
  });

  it('refuses an untrusted model directory that is not the genuine model', async () => {
    await expect(createLocalEmbedder({ modelDir, trustModelDir: false })).rejects.toMatchObject({
      code: 'MODEL_VERIFICATION_FAILED',
      message: expect.stringContaining(
        'onnx/model_quantized.onnx has 22807214 bytes, expected 22972370',
      ),
    });
  });
});

describe('createLocalEmbedder failures', () => {
  it('says which files a wrong dtype needs', async () => {
    await expect(createLocalEmbedder({ modelDir, dtype: 'fp32' })).rejects.toMatchObject({
      code: 'MODEL_NOT_FOUND',
      message: expect.stringContaining('set the dtype to q8'),
    });
  });

  it('names the missing file of an incomplete model directory', async () => {
    await withTempDir(async (dir) => {
      await cp(modelDir, dir, { recursive: true });
      await rm(path.join(dir, 'tokenizer.json'), { force: true });
      await expect(createLocalEmbedder({ modelDir: dir })).rejects.toMatchObject({
        code: 'MODEL_NOT_FOUND',
        message: expect.stringContaining('missing tokenizer.json'),
      });
    });
  });

  it('reports weights that are not a valid ONNX model with MODEL_LOAD_FAILED', async () => {
    await withTempDir(async (dir) => {
      await cp(modelDir, dir, { recursive: true });
      await rm(path.join(dir, 'onnx', 'model_quantized.onnx'), { force: true });
      await writeFile(path.join(dir, 'onnx', 'model_quantized.onnx'), 'not an onnx file');
      const states: string[] = [];
      await expect(
        createLocalEmbedder({
          modelDir: dir,
          queryWorker: false,
          onStatusChange: (status) => states.push(status.state),
        }),
      ).rejects.toMatchObject({
        code: 'MODEL_LOAD_FAILED',
        message: expect.stringContaining(dir),
      });
      expect(states).toEqual(['loading', 'failed']);
    });
  });

  it('rejects a model whose width differs from the expected one with DIMENSION_MISMATCH', async () => {
    await expect(
      createLocalEmbedder({ modelDir, dimensions: 768, queryWorker: false }),
    ).rejects.toMatchObject({
      code: 'DIMENSION_MISMATCH',
      message: expect.stringContaining('produces 384-dimensional vectors, but 768'),
    });
  });

  it('refuses maxTokens beyond the model positions', async () => {
    await expect(createLocalEmbedder({ modelDir, maxTokens: 1024 })).rejects.toMatchObject({
      code: 'INVALID_OPTIONS',
      message: expect.stringContaining('only 512 positions'),
    });
  });

  it('can be cancelled while loading', async () => {
    const controller = new AbortController();
    const loading = createLocalEmbedder({ modelDir, signal: controller.signal });
    setTimeout(() => controller.abort(), 50);
    await expect(loading).rejects.toMatchObject({ code: 'ABORTED' });
  });
});

describe('close()', () => {
  it('rejects pending and later calls, and leaves no threads behind', async () => {
    const warmUp = await createLocalEmbedder({ modelDir, queryWorker: false });
    await warmUp.close();
    const before = threadCount();
    // Two ONNX threads per worker: terminating such a worker mid-run aborts the process.
    const closing = await createLocalEmbedder({ modelDir, threads: 2, intraOpThreads: 2 });
    expect(threadCount()).toBeGreaterThan(before);
    const first = closing.embed(['first']);
    const pending = closing
      .embed(Array.from({ length: 20 }, (_, index) => `${chunks.join('\n')} ${index}`))
      .catch((error: unknown) => error);
    await first;
    await new Promise((resolve) => setTimeout(resolve, 50));
    // Batches are now running inside ONNX Runtime; closing must let them end, not kill the
    // threads (which aborts the whole process).
    await closing.close();
    await expect(pending).resolves.toMatchObject({ code: 'STORE_CLOSED' });
    await expect(closing.embed(['later'])).rejects.toMatchObject({ code: 'STORE_CLOSED' });
    await closing.close(); // idempotent
    expect(closing.status()).toMatchObject({ state: 'disabled' });
    expect(closing.stats().workers.every((worker) => worker.state === 'stopped')).toBe(true);
    expect(threadCount()).toBeLessThanOrEqual(before);
  });
});
