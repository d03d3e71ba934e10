import { describe, expect, it } from 'vitest';
import { holdOut, tokenizePairs } from './tune-pairs.ts';

/** A word-level tokenizer over a growing vocabulary; id 0 stands for an unknown word. */
function wordTokenizer(): (text: string) => number[] {
  const vocabulary = new Map<string, number>([['[unk]', 0]]);
  return (text) =>
    (text.toLowerCase().match(/[a-z]+/g) ?? []).map((word) => {
      if (!vocabulary.has(word)) vocabulary.set(word, vocabulary.size);
      return vocabulary.get(word)!;
    });
}

const parseCode = 'function parseHeader(line) {\n  return line.split(":");\n}';
const joinCode = 'function joinPath(a, b) {\n  return a + "/" + b;\n}';

describe('tokenizePairs', () => {
  it('drops pairs with no known token on a side', async () => {
    const skip = new Uint8Array(1000);
    skip[0] = 1;
    const { pairs, dropped } = await tokenizePairs(
      [
        { kind: 'doc', query: '!!! ???', code: parseCode },
        { kind: 'doc', query: 'Joins two path segments', code: joinCode },
      ],
      { tokenize: wordTokenizer(), skip, maxQueryTokens: 64, maxCodeTokens: 256 },
    );
    expect(dropped).toBe(1);
    expect(pairs).toHaveLength(1);
  });

  it('rejects a pair that is not a pair of strings', async () => {
    await expect(
      tokenizePairs([{ kind: 'doc', query: 'a b c', code: 42 as unknown as string }], {
        tokenize: wordTokenizer(),
        skip: new Uint8Array(10),
        maxQueryTokens: 64,
        maxCodeTokens: 256,
      }),
    ).rejects.toMatchObject({ code: 'INVALID_INPUT' });
  });
});

describe('holdOut', () => {
  it('holds out the same pairs for a seed, and every pair exactly once', () => {
    const pairs = Array.from({ length: 40 }, (_, index) => ({
      query: Int32Array.of(index),
      code: Int32Array.of(index),
    }));
    const first = holdOut(pairs, 0.25, 7);
    expect(first.validation).toHaveLength(10);
    expect(first.training).toHaveLength(30);
    expect(holdOut(pairs, 0.25, 7)).toEqual(first);
    expect(holdOut(pairs, 0.25, 8)).not.toEqual(first);
    const ids = [...first.training, ...first.validation].map((pair) => pair.query[0]!);
    expect(ids.sort((a, b) => a - b)).toEqual(Array.from({ length: 40 }, (_, i) => i));
  });

  it('keeps two pairs for training whatever the fraction', () => {
    const pairs = Array.from({ length: 2 }, (_, index) => ({
      query: Int32Array.of(index),
      code: Int32Array.of(index),
    }));
    expect(holdOut(pairs, 0.5, 1).training).toHaveLength(2);
  });
});
