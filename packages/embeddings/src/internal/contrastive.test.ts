import { seededRandom } from '@nellie/core';
import { describe, expect, it } from 'vitest';
import {
  batchLoss,
  embedTokens,
  epochOrder,
  trainStep,
  type ContrastiveTable,
  type TokenizedPair,
} from './contrastive.ts';

// Real doc comments and the code they document (comments stripped), from this repository.
const pairs: { query: string; code: string }[] = [
  {
    query: 'Scales a vector to unit length in place',
    code: `export function normalizeInPlace(vector) {
  let sum = 0;
  for (const value of vector) sum += value * value;
  const norm = Math.sqrt(sum);
  if (!Number.isFinite(norm) || norm === 0) return false;
  for (let index = 0; index < vector.length; index += 1) vector[index] /= norm;
  return true;
}`,
  },
  {
    query: 'Replaces every character of the given ranges except line breaks with spaces',
    code: `export function blankRanges(content, ranges) {
  if (ranges.length === 0) return content;
  const parts = [];
  let position = 0;
  for (const [start, end] of [...ranges].sort((a, b) => a[0] - b[0])) {
    if (start < position) continue;
    parts.push(content.slice(position, start), content.slice(start, end).replace(/[^\\r\\n]/g, ' '));
    position = end;
  }
  parts.push(content.slice(position));
  return parts.join('');
}`,
  },
  {
    query:
      'The grammar for a file name, or null for files that are not JavaScript or TypeScript source',
    code: `export function grammarForPath(path) {
  if (/\\.d\\.[cm]?ts$/.test(path)) return null;
  if (/\\.[cm]?jsx?$/.test(path)) return 'javascript';
  if (/\\.tsx$/.test(path)) return 'tsx';
  if (/\\.[cm]?ts$/.test(path)) return 'typescript';
  return null;
}`,
  },
  {
    query: 'Deletes all stored vectors so another model can be used',
    code: `async function resetVectors(store, confirm) {
  if (!confirm) throw new Error('refusing without --yes');
  const removed = await store.deleteEmbeddings();
  await store.setEmbeddingModel(null);
  return { removed };
}`,
  },
  {
    query: 'Reads the first 8 KiB of each file to skip binary content',
    code: `async function looksBinary(handle) {
  const buffer = Buffer.alloc(8192);
  const { bytesRead } = await handle.read(buffer, 0, buffer.length, 0);
  return buffer.subarray(0, bytesRead).includes(0);
}`,
  },
  {
    query: 'Splits a file into chunks at function and class boundaries',
    code: `async function chunkFile(options) {
  const parser = await loadParser(options.language);
  const tree = parser.parse(options.content);
  const chunks = [];
  for (const node of tree.rootNode.namedChildren) chunks.push({ start: node.startIndex, end: node.endIndex });
  return chunks;
}`,
  },
];

/** A word-level vocabulary over the texts: enough for a table whose rows are words. */
function tokenizeAll(texts: { query: string; code: string }[]): {
  tokenized: TokenizedPair[];
  vocabulary: Map<string, number>;
} {
  const vocabulary = new Map<string, number>();
  const ids = (text: string): Int32Array =>
    Int32Array.from(
      (text.toLowerCase().match(/[a-z]+|[^\sa-z]/g) ?? []).map((word) => {
        let id = vocabulary.get(word);
        if (id === undefined) {
          id = vocabulary.size;
          vocabulary.set(word, id);
        }
        return id;
      }),
    );
  const tokenized = texts.map((pair) => ({ query: ids(pair.query), code: ids(pair.code) }));
  return { tokenized, vocabulary };
}

function tinyTable(rows: number, dimensions: number, seed: number): ContrastiveTable {
  const random = seededRandom(seed);
  const table = new Float32Array(rows * dimensions);
  for (let index = 0; index < table.length; index += 1) table[index] = random() * 2 - 1;
  return { rows, dimensions, table, accumulator: new Float32Array(rows * dimensions) };
}

function cosine(a: Float32Array, b: Float32Array): number {
  let dot = 0;
  for (let index = 0; index < a.length; index += 1) dot += a[index]! * b[index]!;
  return dot;
}

/** Mean cosine of each query with its own code, minus the mean with the other codes. */
function margin(model: ContrastiveTable, tokenized: TokenizedPair[]): number {
  const queries = tokenized.map((pair) => embedTokens(model, pair.query));
  const codes = tokenized.map((pair) => embedTokens(model, pair.code));
  let own = 0;
  let other = 0;
  queries.forEach((query, i) =>
    codes.forEach((code, j) => {
      if (i === j) own += cosine(query, code);
      else other += cosine(query, code) / (codes.length - 1);
    }),
  );
  return (own - other) / queries.length;
}

const settings = { temperature: 0.1, learningRate: 0.1, anchorWeight: 0 };

describe('contrastive training of a static table', () => {
  it('lowers the InfoNCE loss and brings each description closer to its own code', () => {
    const { tokenized, vocabulary } = tokenizeAll(pairs);
    const model = tinyTable(vocabulary.size + 5, 16, 7);
    const lossBefore = batchLoss(model, tokenized, settings.temperature);
    const marginBefore = margin(model, tokenized);
    for (let step = 0; step < 40; step += 1) trainStep(model, tokenized, settings);
    const lossAfter = batchLoss(model, tokenized, settings.temperature);
    expect(lossAfter).toBeLessThan(lossBefore * 0.5);
    expect(margin(model, tokenized)).toBeGreaterThan(marginBefore + 0.2);
  });

  it('changes only the rows of tokens in the batch', () => {
    const { tokenized, vocabulary } = tokenizeAll(pairs);
    const model = tinyTable(vocabulary.size + 5, 8, 3);
    const untouched = model.table.slice(vocabulary.size * 8);
    trainStep(model, tokenized.slice(0, 3), settings);
    expect(model.table.slice(vocabulary.size * 8)).toEqual(untouched);
    const used = new Set(
      [...tokenized.slice(0, 3)].flatMap((pair) => [...pair.query, ...pair.code]),
    );
    const unused = [...vocabulary.values()].find((id) => !used.has(id))!;
    const before = tinyTable(vocabulary.size + 5, 8, 3).table;
    expect(model.table.slice(unused * 8, unused * 8 + 8)).toEqual(
      before.slice(unused * 8, unused * 8 + 8),
    );
  });

  it('pulls rows back towards the anchor table when asked', () => {
    const { tokenized, vocabulary } = tokenizeAll(pairs);
    const free = tinyTable(vocabulary.size, 8, 11);
    const anchored = tinyTable(vocabulary.size, 8, 11);
    const anchor = anchored.table.slice();
    for (let step = 0; step < 30; step += 1) {
      trainStep(free, tokenized, settings);
      trainStep(anchored, tokenized, { ...settings, anchorWeight: 5, anchor });
    }
    const distance = (table: Float32Array): number =>
      table.reduce((sum, value, index) => sum + (value - anchor[index]!) ** 2, 0);
    expect(distance(anchored.table)).toBeLessThan(distance(free.table));
  });

  it('trains a heavier pair more: its own row margin grows faster than with every weight 1', () => {
    const { tokenized, vocabulary } = tokenizeAll(pairs);
    const ownCosine = (model: ContrastiveTable, pair: TokenizedPair): number =>
      cosine(embedTokens(model, pair.query), embedTokens(model, pair.code));
    const plain = tinyTable(vocabulary.size, 8, 13);
    const weighted = tinyTable(vocabulary.size, 8, 13);
    const heavy = tokenized.map((pair, index) => ({ ...pair, weight: index === 2 ? 8 : 1 }));
    for (let step = 0; step < 3; step += 1) {
      trainStep(plain, tokenized, settings);
      trainStep(weighted, heavy, settings);
    }
    expect(ownCosine(weighted, tokenized[2]!)).toBeGreaterThan(ownCosine(plain, tokenized[2]!));
  });

  it('trains query-side weights of the query tokens only, never below 0, and uses them for queries', () => {
    const { tokenized, vocabulary } = tokenizeAll(pairs);
    const model: ContrastiveTable = {
      ...tinyTable(vocabulary.size + 3, 8, 19),
      queryWeights: {
        weights: new Float32Array(vocabulary.size + 3).fill(1),
        accumulator: new Float32Array(vocabulary.size + 3),
      },
    };
    const lossBefore = batchLoss(model, tokenized, settings.temperature);
    for (let step = 0; step < 20; step += 1) trainStep(model, tokenized, settings);
    expect(batchLoss(model, tokenized, settings.temperature)).toBeLessThan(lossBefore);
    const weights = model.queryWeights!.weights;
    const queryTokens = new Set(tokenized.flatMap((pair) => [...pair.query]));
    for (let id = 0; id < weights.length; id += 1) {
      if (!queryTokens.has(id)) expect(weights[id]).toBe(1);
      expect(weights[id]).toBeGreaterThanOrEqual(0);
    }
    expect([...queryTokens].some((id) => weights[id] !== 1)).toBe(true);
    const query = tokenized[0]!.query;
    expect(Array.from(embedTokens(model, query, 'query'))).not.toEqual(
      Array.from(embedTokens(model, query, 'code')),
    );
  });

  it('treats weights of 1 exactly like unweighted pairs', () => {
    const { tokenized, vocabulary } = tokenizeAll(pairs);
    const plain = tinyTable(vocabulary.size, 8, 17);
    const ones = tinyTable(vocabulary.size, 8, 17);
    trainStep(plain, tokenized, settings);
    trainStep(
      ones,
      tokenized.map((pair) => ({ ...pair, weight: 1 })),
      settings,
    );
    expect(ones.table).toEqual(plain.table);
  });

  it('is deterministic: the same seed and batches give the same table', () => {
    const { tokenized, vocabulary } = tokenizeAll(pairs);
    const run = (): Float32Array => {
      const model = tinyTable(vocabulary.size, 8, 5);
      for (let epoch = 0; epoch < 3; epoch += 1) {
        const order = epochOrder(tokenized.length, 9, epoch);
        trainStep(
          model,
          Array.from(order.subarray(0, 4), (i) => tokenized[i]!),
          settings,
        );
      }
      return model.table;
    };
    expect(run()).toEqual(run());
  });

  it('shuffles each epoch differently, and the same way for the same seed', () => {
    expect(epochOrder(50, 1, 0)).toEqual(epochOrder(50, 1, 0));
    expect(epochOrder(50, 1, 0)).not.toEqual(epochOrder(50, 1, 1));
    expect(epochOrder(50, 1, 0)).not.toEqual(epochOrder(50, 2, 0));
    expect([...epochOrder(50, 1, 3)].sort((a, b) => a - b)).toEqual(
      Array.from({ length: 50 }, (_, i) => i),
    );
  });
});
