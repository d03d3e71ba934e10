/**
 * A disk cache in front of an embedder, for tuning runs: every text is embedded once per model
 * and kept in `<dir>/<model id>.vectors` (append-only records of a SHA-256 of the text and its
 * vector). Re-running a benchmark after a ranking change then costs no model time; index times
 * and query latencies of such a run say nothing about the model and are reported as cached.
 */
import { createHash } from 'node:crypto';
import { appendFileSync, existsSync, mkdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { EmbedOptions, Embedder } from '@nellie/core';

const hashBytes = 32;

function cacheFile(dir: string, modelId: string): string {
  return join(dir, `${modelId.replace(/[^\w.@+-]+/g, '_')}.vectors`);
}

function textKey(text: string): string {
  return createHash('sha256').update(text).digest('base64');
}

function loadVectors(file: string, dimensions: number): Map<string, Float32Array> {
  const vectors = new Map<string, Float32Array>();
  if (!existsSync(file)) return vectors;
  const bytes = readFileSync(file);
  const record = hashBytes + dimensions * 4;
  // A record cut short by an interrupted run is ignored.
  for (let offset = 0; offset + record <= bytes.length; offset += record) {
    const key = bytes.subarray(offset, offset + hashBytes).toString('base64');
    const vector = new Float32Array(dimensions);
    new Uint8Array(vector.buffer).set(bytes.subarray(offset + hashBytes, offset + record));
    vectors.set(key, vector);
  }
  return vectors;
}

export interface CachedEmbedder extends Embedder {
  /** Texts answered from the cache and texts the model embedded, since creation. */
  readonly counts: { cached: number; embedded: number };
}

export function withEmbeddingCache(inner: Embedder, dir: string): CachedEmbedder {
  mkdirSync(dir, { recursive: true });
  const file = cacheFile(dir, inner.modelId);
  const vectors = loadVectors(file, inner.dimensions);
  const counts = { cached: 0, embedded: 0 };
  return {
    modelId: inner.modelId,
    dimensions: inner.dimensions,
    maxTokens: inner.maxTokens,
    counts,
    async embed(texts: readonly string[], options?: EmbedOptions): Promise<Float32Array[]> {
      const keys = texts.map(textKey);
      const missing = [...new Set(keys.filter((key) => !vectors.has(key)))];
      if (missing.length > 0) {
        const textOf = new Map(keys.map((key, index) => [key, texts[index]!]));
        const embedded = await inner.embed(
          missing.map((key) => textOf.get(key)!),
          options,
        );
        const records = missing.map((key, index) => {
          const vector = embedded[index]!;
          vectors.set(key, vector);
          return Buffer.concat([
            Buffer.from(key, 'base64'),
            Buffer.from(vector.buffer, vector.byteOffset, vector.byteLength),
          ]);
        });
        appendFileSync(file, Buffer.concat(records));
      }
      counts.embedded += missing.length;
      counts.cached += texts.length - missing.length;
      return keys.map((key) => vectors.get(key)!.slice());
    },
    queueDepth: inner.queueDepth ? () => inner.queueDepth!() : undefined,
    close: () => inner.close(),
  };
}
