/**
 * The training data of `tuneStaticModel()`: pairs tokenised as the embedder tokenises texts, and a
 * seeded hold-out split for the validation loss.
 */
import { createHash } from 'node:crypto';
import { NellieError } from '@nellie/core';
import type { CodePair } from './code-pair.ts';
import { epochOrder, type TokenizedPair } from './contrastive.ts';
import type { StaticTokenize } from './static-model-files.ts';
import { charsPerToken, meaningfulTokenIds } from './static-pooling.ts';

export interface TokenizedPairs {
  pairs: TokenizedPair[];
  /** Pairs dropped because a side had no known token. */
  dropped: number;
  /** sha256 over every pair's texts: part of the checkpoint's fingerprint. */
  sha256: string;
}

export async function tokenizePairs(
  pairs: readonly CodePair[],
  options: {
    tokenize: StaticTokenize;
    skip: Uint8Array;
    maxQueryTokens: number;
    maxCodeTokens: number;
    onProgress?: (done: number) => void;
  },
): Promise<TokenizedPairs> {
  const { tokenize, skip } = options;
  const toIds = async (text: string, maxTokens: number): Promise<Int32Array> =>
    meaningfulTokenIds(await tokenize(text.slice(0, maxTokens * charsPerToken)), skip, maxTokens);
  const tokenized: TokenizedPair[] = [];
  const hash = createHash('sha256');
  for (const [index, pair] of pairs.entries()) {
    if (index % 1000 === 0) options.onProgress?.(index);
    if (typeof pair?.query !== 'string' || typeof pair.code !== 'string') {
      throw new NellieError(
        'INVALID_INPUT',
        `Pair ${index} is not a { query: string, code: string } pair.`,
      );
    }
    hash.update(`${pair.query}\u0000${pair.code}\u0001`);
    const query = await toIds(pair.query, options.maxQueryTokens);
    const code = await toIds(pair.code, options.maxCodeTokens);
    if (query.length > 0 && code.length > 0) tokenized.push({ query, code });
  }
  options.onProgress?.(pairs.length);
  return { pairs: tokenized, dropped: pairs.length - tokenized.length, sha256: hash.digest('hex') };
}

/**
 * A seeded, stable hold-out: the same pairs and seed always hold out the same pairs. At least two
 * pairs stay for training.
 */
export function holdOut(
  pairs: readonly TokenizedPair[],
  fraction: number,
  seed: number,
): { training: TokenizedPair[]; validation: TokenizedPair[] } {
  const shuffled = epochOrder(pairs.length, seed, -1);
  const validationCount = Math.max(
    0,
    Math.min(Math.floor(pairs.length * fraction), pairs.length - 2),
  );
  return {
    validation: Array.from(shuffled.subarray(0, validationCount), (i) => pairs[i]!),
    training: Array.from(shuffled.subarray(validationCount), (i) => pairs[i]!),
  };
}
