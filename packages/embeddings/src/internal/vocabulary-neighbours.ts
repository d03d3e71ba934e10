/**
 * The whole words of a static model's vocabulary nearest a word: the table rows of the
 * tokenizer's whole-word entries (no `##` pieces, letters only, 3 or more) and of a vocabulary
 * extension, compared by cosine with the word's own vector (the mean of its tokens' rows, as a
 * one-word text is embedded). A search can add them to a query's full-text side.
 */
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { NellieError } from '@nellie/core';

/** A vocabulary word near a query word, with its cosine similarity. */
export interface WordNeighbour {
  word: string;
  similarity: number;
}

export interface NearestWordsOptions {
  /** At most this many neighbours per word (1–50). */
  limit: number;
  /** Neighbours less similar than this (cosine) are left out. */
  minSimilarity: number;
}

const wholeWord = /^[a-z]{3,}$/;

/** Whole-word rows of a table, normalised, and the words they belong to. */
export interface WholeWordTable {
  words: string[];
  /** `words.length` × dimensions, each row of unit length. */
  rows: Float32Array;
  dimensions: number;
}

/** The tokenizer's whole-word entries and the extension's words, by table row. */
export async function readWholeWordRows(
  dir: string,
  extensionWords: readonly string[],
  rowCount: number,
): Promise<Map<number, string>> {
  const path = join(dir, 'tokenizer.json');
  const parsed = JSON.parse(await readFile(path, 'utf8')) as {
    model?: { vocab?: Record<string, number> };
  };
  const vocab = parsed.model?.vocab;
  if (!vocab || typeof vocab !== 'object') {
    throw new NellieError(
      'MODEL_LOAD_FAILED',
      `${path} has no WordPiece vocabulary (model.vocab), so the model's words cannot be listed.`,
    );
  }
  const byRow = new Map<number, string>();
  for (const [token, id] of Object.entries(vocab)) {
    if (wholeWord.test(token) && id < rowCount) byRow.set(id, token);
  }
  const firstExtensionRow = rowCount - extensionWords.length;
  extensionWords.forEach((word, index) => {
    if (wholeWord.test(word)) byRow.set(firstExtensionRow + index, word);
  });
  return byRow;
}

/** Normalised copies of the whole-word rows of `table`. */
export function wholeWordTable(
  table: Float32Array,
  dimensions: number,
  byRow: ReadonlyMap<number, string>,
): WholeWordTable {
  const words = [...byRow.values()];
  const rows = new Float32Array(words.length * dimensions);
  let index = 0;
  for (const row of byRow.keys()) {
    const source = table.subarray(row * dimensions, (row + 1) * dimensions);
    let norm = 0;
    for (const value of source) norm += value * value;
    norm = Math.sqrt(norm) || 1;
    for (let d = 0; d < dimensions; d += 1) rows[index * dimensions + d] = source[d]! / norm;
    index += 1;
  }
  return { words, rows, dimensions };
}

/**
 * The whole words nearest a unit vector, best first, leaving out `exclude` (the word itself and
 * its forms, which full-text search matches already).
 */
export function nearestWholeWords(
  table: WholeWordTable,
  vector: Float32Array,
  options: NearestWordsOptions,
  exclude: (word: string) => boolean,
): WordNeighbour[] {
  const { words, rows, dimensions } = table;
  const best: WordNeighbour[] = [];
  for (let index = 0; index < words.length; index += 1) {
    let dot = 0;
    const offset = index * dimensions;
    for (let d = 0; d < dimensions; d += 1) dot += rows[offset + d]! * vector[d]!;
    if (dot < options.minSimilarity) continue;
    if (best.length === options.limit && dot <= best.at(-1)!.similarity) continue;
    const word = words[index]!;
    if (exclude(word)) continue;
    best.push({ word, similarity: dot });
    best.sort((a, b) => b.similarity - a.similarity);
    if (best.length > options.limit) best.pop();
  }
  return best;
}
