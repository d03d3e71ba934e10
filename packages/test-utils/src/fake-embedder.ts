import { createHash } from 'node:crypto';
import { NellieError, throwIfAborted, type Embedder } from '@nellie/core';

export interface FakeEmbedderOptions {
  dimensions?: number;
  modelId?: string;
}

/**
 * Deterministic hash vectors: every word of a text adds a pseudo-random unit direction, so texts
 * sharing words point the same way. Fast and meaningful enough for unit tests of ranking logic.
 */
export function createFakeEmbedder(options: FakeEmbedderOptions = {}): Embedder & {
  calls: number;
  embeddedTexts: number;
} {
  const dimensions = options.dimensions ?? 16;
  let closed = false;
  const embedder = {
    modelId: options.modelId ?? `fake-hash-${dimensions}`,
    dimensions,
    maxTokens: 256,
    calls: 0,
    embeddedTexts: 0,
    embed(
      texts: readonly string[],
      embedOptions?: { signal?: AbortSignal },
    ): Promise<Float32Array[]> {
      return Promise.resolve().then(() => {
        if (closed) throw new NellieError('STORE_CLOSED', 'The embedder is closed.');
        throwIfAborted(embedOptions?.signal);
        embedder.calls += 1;
        embedder.embeddedTexts += texts.length;
        return texts.map((text) => {
          if (text.trim() === '') {
            throw new NellieError('INVALID_INPUT', 'Cannot embed an empty text.');
          }
          return hashVector(text, dimensions);
        });
      });
    },
    queueDepth: () => 0,
    close(): Promise<void> {
      closed = true;
      return Promise.resolve();
    },
  };
  return embedder;
}

function hashVector(text: string, dimensions: number): Float32Array {
  const vector = new Float32Array(dimensions);
  for (const word of text.toLowerCase().match(/[a-z0-9]+/g) ?? [text]) {
    const digest = createHash('sha256').update(word).digest();
    for (let index = 0; index < dimensions; index += 1) {
      vector[index]! += (digest[index % digest.length]! - 127.5) / 127.5;
    }
  }
  let norm = 0;
  for (const value of vector) norm += value * value;
  norm = Math.sqrt(norm) || 1;
  for (let index = 0; index < dimensions; index += 1) vector[index]! /= norm;
  return vector;
}
