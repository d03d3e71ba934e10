/**
 * Vocabulary rows for whole code words: WordPiece cuts frequent identifier words such as
 * `serializer`, `middleware` or `mutex` into pieces (`serial ##izer`) whose rows also serve
 * unrelated words. Tuning can give the most frequent of them in the training code a row of their
 * own, past the tokenizer's vocabulary, starting from the sum of their pieces' rows — so the
 * extended table embeds every text exactly as before until training moves those rows.
 */
import type { StaticTokenize } from './static-model-files.ts';

/** A BERT pre-token as the fast tokenizer sees it after lowercasing: no space, no punctuation. */
const preTokens = /[^\s!-/:-@[-`{-~]+/g;
/** Words worth a row: plain lowercase letters, long enough to be cut into pieces. */
const candidateWord = /^[a-z]{4,32}$/;

export interface ExtensionWord {
  word: string;
  /** The base tokenizer's ids for the word (two or more, none unknown). */
  pieces: number[];
  /** Distinct texts the word occurs in. */
  documents: number;
}

/**
 * The `count` words occurring in the most distinct `texts` (at least `minDocuments`) that the
 * base tokenizer cuts into two or more known pieces; ties broken alphabetically, so the same
 * texts always give the same words. `prepare` is the model's text preparation (it must run
 * before counting, as it splits camelCase words apart).
 */
export async function chooseExtensionWords(
  texts: Iterable<string>,
  options: {
    count: number;
    minDocuments: number;
    prepare: (text: string) => string;
    tokenize: StaticTokenize;
    skip: Uint8Array;
  },
): Promise<ExtensionWord[]> {
  const documents = new Map<string, number>();
  const seenTexts = new Set<string>();
  for (const text of texts) {
    if (seenTexts.has(text)) continue;
    seenTexts.add(text);
    const words = new Set(options.prepare(text).toLowerCase().match(preTokens) ?? []);
    for (const word of words) {
      if (candidateWord.test(word)) documents.set(word, (documents.get(word) ?? 0) + 1);
    }
  }
  const ranked = [...documents]
    .filter(([, count]) => count >= options.minDocuments)
    .sort(([wordA, a], [wordB, b]) => b - a || (wordA < wordB ? -1 : wordA > wordB ? 1 : 0));
  const chosen: ExtensionWord[] = [];
  for (const [word, count] of ranked) {
    if (chosen.length >= options.count) break;
    const pieces = await options.tokenize(word);
    const known = pieces.every((id) => id < options.skip.length && options.skip[id] !== 1);
    if (pieces.length >= 2 && known) chosen.push({ word, pieces, documents: count });
  }
  return chosen;
}

/**
 * The table with one row appended per word, each the sum of its pieces' rows: a text's vector
 * (the normalised sum of its rows) is the same whether a word takes its pieces or its own row
 * (but for the token limit, which now reaches further into a long text).
 */
export function extendTable(
  table: Float32Array,
  dimensions: number,
  words: readonly ExtensionWord[],
): Float32Array {
  const rows = table.length / dimensions;
  const extended = new Float32Array((rows + words.length) * dimensions);
  extended.set(table);
  for (const [index, { pieces }] of words.entries()) {
    const offset = (rows + index) * dimensions;
    for (const id of pieces) {
      for (let column = 0; column < dimensions; column += 1) {
        extended[offset + column]! += table[id * dimensions + column]!;
      }
    }
  }
  return extended;
}
