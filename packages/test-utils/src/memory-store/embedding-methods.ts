/* eslint-disable @typescript-eslint/require-await -- an in-memory fake of asynchronous contracts */
import { NellieError, type PendingEmbedding } from '@nellie/core';
import type { MemoryState, StoreMethods } from './state.ts';
import { contentHashPattern, invalid } from './validation.ts';

export type EmbeddingMethod = 'pendingEmbeddings' | 'putEmbeddings';

/** The vector side: what needs embedding, and where vectors go. */
export function embeddingMethods(state: MemoryState): StoreMethods<EmbeddingMethod> {
  const { embeddingModel, vectors, embeddables } = state;
  return {
    async pendingEmbeddings(limit) {
      if (typeof limit !== 'number' || !Number.isInteger(limit) || limit < 1 || limit > 10_000) {
        throw invalid('limit must be between 1 and 10000.');
      }
      if (!embeddingModel) return [];
      const seen = new Set<string>();
      const pending: PendingEmbedding[] = [];
      for (const item of embeddables().sort((a, b) => a.seq - b.seq)) {
        if (vectors.has(item.contentHash) || seen.has(item.contentHash)) continue;
        seen.add(item.contentHash);
        pending.push({ contentHash: item.contentHash, text: item.text });
        if (pending.length === limit) break;
      }
      return pending;
    },
    async putEmbeddings(items) {
      if (!embeddingModel) throw invalid('This store has no embedding model; it keeps no vectors.');
      items.forEach((item, position) => {
        if (typeof item?.contentHash !== 'string' || !contentHashPattern.test(item.contentHash)) {
          throw invalid(`Item ${position}: contentHash must be a sha256 hex string.`);
        }
        if (!(item.vector instanceof Float32Array)) {
          throw invalid(`Item ${position}: vector must be a Float32Array.`);
        }
        if (item.vector.length !== embeddingModel.dimensions) {
          throw new NellieError(
            'DIMENSION_MISMATCH',
            `Item ${position}: the vector has ${item.vector.length} dimensions; the store holds ${embeddingModel.dimensions}.`,
          );
        }
        if (item.vector.some((value) => !Number.isFinite(value))) {
          throw invalid(`Item ${position}: the vector holds a non-finite value.`);
        }
      });
      const referenced = new Set(embeddables().map((item) => item.contentHash));
      for (const item of items) {
        if (referenced.has(item.contentHash)) vectors.set(item.contentHash, item.vector.slice());
      }
    },
  };
}
