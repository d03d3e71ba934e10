import { NellieError, type Embedder } from '@nellie/core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

export interface EmbedderContractOptions {
  /** Creates a ready embedder. The suite closes every embedder it creates. */
  create(): Promise<Embedder>;
  /**
   * Largest difference allowed between two vectors of the same text (default 1e-5). Batched
   * ONNX runs may differ in the last bits from single ones.
   */
  tolerance?: number;
}

const texts = [
  'function addNumbers(a, b) { return a + b; }',
  'class UserRepository { findById(id) { return this.users.get(id); } }',
  'Parse the configuration file and report unknown keys.',
];

function maxDifference(a: Float32Array, b: Float32Array): number {
  let max = 0;
  for (let index = 0; index < a.length; index += 1) {
    max = Math.max(max, Math.abs(a[index]! - b[index]!));
  }
  return max;
}

async function codeOf(promise: Promise<unknown>): Promise<string> {
  const error: unknown = await promise.then(
    () => undefined,
    (caught: unknown) => caught,
  );
  if (!NellieError.is(error)) throw new Error(`expected a NellieError, got ${String(error)}`);
  return error.code;
}

/**
 * The behaviour every `Embedder` must show (the contract of `@nellie/core`'s `Embedder`). Run it
 * from an implementation's tests: `embedderContract('static model', { create: () => … })`.
 */
export function embedderContract(name: string, options: EmbedderContractOptions): void {
  const tolerance = options.tolerance ?? 1e-5;

  describe(`Embedder contract: ${name}`, () => {
    let embedder: Embedder;
    beforeAll(async () => {
      embedder = await options.create();
    });
    afterAll(async () => {
      await embedder?.close();
    });

    it('names its model and width', () => {
      expect(typeof embedder.modelId).toBe('string');
      expect(embedder.modelId.length).toBeGreaterThan(0);
      expect(Number.isInteger(embedder.dimensions) && embedder.dimensions > 0).toBe(true);
      if (embedder.maxTokens !== undefined) {
        expect(Number.isInteger(embedder.maxTokens) && embedder.maxTokens > 0).toBe(true);
      }
    });

    it('returns one finite, L2-normalised vector of its width per text, in order', async () => {
      const vectors = await embedder.embed(texts);
      expect(vectors).toHaveLength(texts.length);
      for (const vector of vectors) {
        expect(vector).toBeInstanceOf(Float32Array);
        expect(vector).toHaveLength(embedder.dimensions);
        expect(vector.every((value) => Number.isFinite(value))).toBe(true);
        expect(Math.hypot(...vector)).toBeCloseTo(1, 4);
      }
      const singles = await Promise.all(
        texts.map(async (text) => (await embedder.embed([text]))[0]!),
      );
      singles.forEach((single, index) => {
        expect(maxDifference(single, vectors[index]!)).toBeLessThanOrEqual(tolerance);
      });
      expect(maxDifference(vectors[0]!, vectors[1]!)).toBeGreaterThan(tolerance);
    });

    it('embeds queries like documents, with the width and norm', async () => {
      const [query] = await embedder.embed(['add two numbers'], { priority: 'query' });
      expect(query).toHaveLength(embedder.dimensions);
      expect(Math.hypot(...query!)).toBeCloseTo(1, 4);
    });

    it('answers an empty call with no vectors', async () => {
      expect(await embedder.embed([])).toEqual([]);
    });

    it('accepts a very long text (it is truncated, not rejected)', async () => {
      const [vector] = await embedder.embed(['const x = 1;\n'.repeat(5000)]);
      expect(vector).toHaveLength(embedder.dimensions);
    });

    it('rejects empty texts with INVALID_INPUT', async () => {
      expect(await codeOf(embedder.embed(['fine', '']))).toBe('INVALID_INPUT');
      expect(await codeOf(embedder.embed(['   ']))).toBe('INVALID_INPUT');
    });

    it('rejects with ABORTED when the signal has fired', async () => {
      const controller = new AbortController();
      controller.abort();
      expect(await codeOf(embedder.embed(texts, { signal: controller.signal }))).toBe('ABORTED');
    });

    it('reports a queue depth that is a count', () => {
      if (embedder.queueDepth === undefined) return;
      const depth = embedder.queueDepth();
      expect(Number.isInteger(depth) && depth >= 0).toBe(true);
    });

    it('rejects calls after close() with STORE_CLOSED, and closes twice without error', async () => {
      const closing = await options.create();
      await closing.close();
      await closing.close();
      expect(await codeOf(closing.embed(['after close']))).toBe('STORE_CLOSED');
    });
  });
}
