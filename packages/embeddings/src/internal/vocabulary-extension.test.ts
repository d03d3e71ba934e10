import { describe, expect, it } from 'vitest';
import { splitIdentifiers } from './static-pooling.ts';
import { chooseExtensionWords, extendTable } from './vocabulary-extension.ts';

// A stand-in tokenizer: known whole words are one id, others one id per 3 letters; `zq` unknown.
const wholeWords = new Map([
  ['value', 10],
  ['return', 11],
  ['lock', 12],
]);
const tokenize = (word: string): number[] =>
  wholeWords.has(word)
    ? [wholeWords.get(word)!]
    : word.includes('zq')
      ? [1]
      : Array.from({ length: Math.ceil(word.length / 3) }, (_, index) => 20 + index);
const skip = Uint8Array.from({ length: 100 }, (_, id) => (id === 1 ? 1 : 0));
const options = { count: 10, minDocuments: 2, prepare: splitIdentifiers, tokenize, skip };

describe('chooseExtensionWords', () => {
  it('picks words cut into known pieces, by the distinct texts they occur in', async () => {
    const chosen = await chooseExtensionWords(
      [
        'serializer.write(value); return mutexLock',
        'new Serializer(); return value',
        'new Serializer(); return value', // a repeated text counts once
        'MUTEX_LOCK zqzq zqzq abc3',
        'middleware serializer zqzq abc3',
      ],
      options,
    );
    // `value`, `return` and `lock` are whole tokens already, `zqzq` has an unknown piece, `abc3` has
    // a digit, `middleware` occurs in one text only.
    expect(chosen).toEqual([
      { word: 'serializer', pieces: [20, 21, 22, 23], documents: 3 },
      { word: 'mutex', pieces: [20, 21], documents: 2 },
    ]);
    expect(await chooseExtensionWords(['serializer mutex', 'serializer mutex'], options)).toEqual(
      [],
    );
    expect(
      (
        await chooseExtensionWords(['serializer mutex', 'mutex serializer'], {
          ...options,
          count: 1,
        })
      ).map(({ word }) => word),
    ).toEqual(['mutex']);
  });
});

describe('extendTable', () => {
  it('appends one row per word, the sum of its pieces rows', () => {
    const table = Float32Array.from([1, 2, 3, 4, 5, 6]);
    const extended = extendTable(table, 2, [
      { word: 'ab', pieces: [0, 2], documents: 2 },
      { word: 'cd', pieces: [1, 1], documents: 2 },
    ]);
    expect(Array.from(extended)).toEqual([1, 2, 3, 4, 5, 6, 6, 8, 6, 8]);
  });
});
