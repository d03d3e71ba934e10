import { seededRandom } from '@nellie/core';
import { sumTokenRows } from './static-pooling.ts';
/**
 * Contrastive training of a static token table: a text's vector is the L2-normalised sum of the
 * rows of its tokens (exactly what `createStaticEmbedder()` computes), and a batch of
 * (query, code) pairs is scored with the symmetric InfoNCE loss over in-batch negatives
 * (MultipleNegativesRanking with a temperature). Gradients are sparse: only the rows of tokens
 * that occur in the batch change, each with per-element Adagrad. Everything is plain
 * Float32Array arithmetic on the calling thread, deterministic for a given order of batches.
 */

/** A pair with its texts already tokenised (ids < rows, meaningless tokens removed). */
export interface TokenizedPair {
  query: Int32Array;
  code: Int32Array;
  /** The pair's weight in the loss (default 1), e.g. from `keywordMissWeights()`. */
  weight?: number;
}

export interface ContrastiveTable {
  rows: number;
  dimensions: number;
  /** Row-major, `rows × dimensions`; updated in place. */
  table: Float32Array;
  /** Adagrad's sum of squared gradients, same shape as `table`; updated in place. */
  accumulator: Float32Array;
  /**
   * Query-side token weights (one per row, starting at 1), trained with the table when present:
   * a query's vector sums its rows times these weights, a code's sums them plainly.
   */
  queryWeights?: { weights: Float32Array; accumulator: Float32Array };
}

export interface StepSettings {
  /** Softmax temperature of the InfoNCE logits (cosine / temperature). */
  temperature: number;
  learningRate: number;
  /** Pulls trained rows back towards their starting values (L2, per step); 0 turns it off. */
  anchorWeight: number;
  /** The starting table, for `anchorWeight`. */
  anchor?: Float32Array;
}

const adagradEpsilon = 1e-8;

type Side = 'query' | 'code';

function sumRows(model: ContrastiveTable, ids: Int32Array, into: Float32Array, side: Side): number {
  const weights = side === 'query' ? model.queryWeights?.weights : undefined;
  return sumTokenRows(model.table, model.dimensions, ids, into, weights);
}

/** The unit vector of a text (zero when it has no tokens or its rows cancel out). */
export function embedTokens(
  model: ContrastiveTable,
  ids: Int32Array,
  side: Side = 'code',
): Float32Array {
  const vector = new Float32Array(model.dimensions);
  const norm = sumRows(model, ids, vector, side);
  if (norm > 0) for (let column = 0; column < vector.length; column += 1) vector[column]! /= norm;
  return vector;
}

interface Encoded {
  unit: Float32Array[];
  norms: Float64Array;
}

function encodeAll(model: ContrastiveTable, texts: readonly Int32Array[], side: Side): Encoded {
  const unit: Float32Array[] = [];
  const norms = new Float64Array(texts.length);
  texts.forEach((ids, index) => {
    const vector = new Float32Array(model.dimensions);
    const norm = sumRows(model, ids, vector, side);
    norms[index] = norm;
    if (norm > 0) for (let column = 0; column < vector.length; column += 1) vector[column]! /= norm;
    unit.push(vector);
  });
  return { unit, norms };
}

/**
 * Symmetric InfoNCE loss of a batch and the gradient of the loss with respect to each unit
 * vector: query i must pick code i among the batch's codes, and code i query i.
 */
function infoNce(
  queries: Float32Array[],
  codes: Float32Array[],
  dimensions: number,
  temperature: number,
  pairWeights?: readonly number[],
): { loss: number; queryGradients: Float32Array[]; codeGradients: Float32Array[] } {
  const size = queries.length;
  // Each direction's terms are averaged over the batch, weighted by their pair's weight.
  const weightOf = (pair: number): number => pairWeights?.[pair] ?? 1;
  let weightTotal = 0;
  for (let pair = 0; pair < size; pair += 1) weightTotal += weightOf(pair);
  const logits = new Float64Array(size * size);
  for (let i = 0; i < size; i += 1) {
    const query = queries[i]!;
    for (let j = 0; j < size; j += 1) {
      const code = codes[j]!;
      let dot = 0;
      for (let column = 0; column < dimensions; column += 1) dot += query[column]! * code[column]!;
      logits[i * size + j] = dot / temperature;
    }
  }
  // d loss / d logit, from both directions; each direction averaged over the batch.
  const weights = new Float64Array(size * size);
  let loss = 0;
  const softmaxInto = (index: (k: number) => number, target: number): void => {
    let max = -Infinity;
    for (let k = 0; k < size; k += 1) max = Math.max(max, logits[index(k)]!);
    let total = 0;
    for (let k = 0; k < size; k += 1) total += Math.exp(logits[index(k)]! - max);
    const logTotal = Math.log(total) + max;
    const share = weightOf(target);
    loss += ((logTotal - logits[index(target)]!) * share) / (2 * weightTotal);
    for (let k = 0; k < size; k += 1) {
      const probability = Math.exp(logits[index(k)]! - logTotal);
      weights[index(k)]! += ((probability - (k === target ? 1 : 0)) * share) / (2 * weightTotal);
    }
  };
  for (let i = 0; i < size; i += 1) softmaxInto((k) => i * size + k, i);
  for (let j = 0; j < size; j += 1) softmaxInto((k) => k * size + j, j);

  const queryGradients = queries.map(() => new Float32Array(dimensions));
  const codeGradients = codes.map(() => new Float32Array(dimensions));
  for (let i = 0; i < size; i += 1) {
    for (let j = 0; j < size; j += 1) {
      const weight = weights[i * size + j]! / temperature;
      if (weight === 0) continue;
      const query = queries[i]!;
      const code = codes[j]!;
      const queryGradient = queryGradients[i]!;
      const codeGradient = codeGradients[j]!;
      for (let column = 0; column < dimensions; column += 1) {
        queryGradient[column]! += weight * code[column]!;
        codeGradient[column]! += weight * query[column]!;
      }
    }
  }
  return { loss, queryGradients, codeGradients };
}

/**
 * Gradient with respect to the unnormalised sum s of a unit vector u = s / |s|:
 * (g − (g·u) u) / |s|.
 */
function throughNormalisation(gradient: Float32Array, unit: Float32Array, norm: number): void {
  if (norm === 0) {
    gradient.fill(0);
    return;
  }
  let projection = 0;
  for (let column = 0; column < unit.length; column += 1)
    projection += gradient[column]! * unit[column]!;
  for (let column = 0; column < unit.length; column += 1)
    gradient[column] = (gradient[column]! - projection * unit[column]!) / norm;
}

/** The batch's loss without changing anything. */
export function batchLoss(
  model: ContrastiveTable,
  batch: readonly TokenizedPair[],
  temperature: number,
): number {
  const queries = encodeAll(
    model,
    batch.map((pair) => pair.query),
    'query',
  ).unit;
  const codes = encodeAll(
    model,
    batch.map((pair) => pair.code),
    'code',
  ).unit;
  return infoNce(queries, codes, model.dimensions, temperature).loss;
}

/**
 * One optimisation step on a batch: computes the loss, back-propagates it to the rows of the
 * batch's tokens (a token that occurs n times gets n times the gradient, as the sum does) and
 * applies Adagrad to those rows only. Returns the loss before the step.
 */
export function trainStep(
  model: ContrastiveTable,
  batch: readonly TokenizedPair[],
  settings: StepSettings,
): number {
  const { dimensions, table, accumulator } = model;
  const queryTexts = batch.map((pair) => pair.query);
  const codeTexts = batch.map((pair) => pair.code);
  const queries = encodeAll(model, queryTexts, 'query');
  const codes = encodeAll(model, codeTexts, 'code');
  const { loss, queryGradients, codeGradients } = infoNce(
    queries.unit,
    codes.unit,
    dimensions,
    settings.temperature,
    batch.map((pair) => pair.weight ?? 1),
  );

  // Row gradients, accumulated sparsely in first-touch order (deterministic).
  const rowGradients = new Map<number, Float32Array>();
  const queryWeights = model.queryWeights;
  // Query-weight gradients: d loss / d w_t = g · row_t for each occurrence of t in a query.
  const weightGradients = new Map<number, number>();
  const spread = (ids: Int32Array, gradient: Float32Array, weights?: Float32Array): void => {
    for (const id of ids) {
      let row = rowGradients.get(id);
      if (!row) {
        row = new Float32Array(dimensions);
        rowGradients.set(id, row);
      }
      const weight = weights ? weights[id]! : 1;
      for (let column = 0; column < dimensions; column += 1)
        row[column]! += weight * gradient[column]!;
      if (weights) {
        let dot = 0;
        const offset = id * dimensions;
        for (let column = 0; column < dimensions; column += 1)
          dot += gradient[column]! * table[offset + column]!;
        weightGradients.set(id, (weightGradients.get(id) ?? 0) + dot);
      }
    }
  };
  batch.forEach((_, index) => {
    throughNormalisation(queryGradients[index]!, queries.unit[index]!, queries.norms[index]!);
    throughNormalisation(codeGradients[index]!, codes.unit[index]!, codes.norms[index]!);
    spread(queryTexts[index]!, queryGradients[index]!, queryWeights?.weights);
    spread(codeTexts[index]!, codeGradients[index]!);
  });
  if (queryWeights) {
    const { weights, accumulator: weightAccumulator } = queryWeights;
    for (const [id, gradient] of weightGradients) {
      weightAccumulator[id]! += gradient * gradient;
      const next =
        weights[id]! -
        (settings.learningRate * gradient) / (Math.sqrt(weightAccumulator[id]!) + adagradEpsilon);
      // A negative weight would turn a query word into its opposite.
      weights[id] = Math.max(0, next);
    }
  }

  const { learningRate, anchorWeight, anchor } = settings;
  for (const [id, gradient] of rowGradients) {
    const offset = id * dimensions;
    for (let column = 0; column < dimensions; column += 1) {
      const at = offset + column;
      let step = gradient[column]!;
      if (anchor && anchorWeight > 0) step += anchorWeight * (table[at]! - anchor[at]!);
      accumulator[at]! += step * step;
      table[at]! -= (learningRate * step) / (Math.sqrt(accumulator[at]!) + adagradEpsilon);
    }
  }
  return loss;
}

/** The order of `count` items in an epoch: a Fisher–Yates shuffle seeded by (seed, epoch). */
export function epochOrder(count: number, seed: number, epoch: number): Uint32Array {
  const random = seededRandom((seed * 1_000_003 + epoch * 7919) >>> 0);
  const order = new Uint32Array(count);
  for (let index = 0; index < count; index += 1) order[index] = index;
  for (let index = count - 1; index > 0; index -= 1) {
    const other = Math.floor(random() * (index + 1));
    const swap = order[index]!;
    order[index] = order[other]!;
    order[other] = swap;
  }
  return order;
}
