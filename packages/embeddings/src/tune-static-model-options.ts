import type { Logger } from '@nellie/core';
import { z } from 'zod';
import type { CodePair } from './mine-code-pairs.ts';
import type { TrainProgress } from './internal/tune-run.ts';

export const tuneStaticModelOptionsSchema = z.object({
  /** The static model to start from (written by `distillStaticModel()`). */
  modelDir: z.string().min(1),
  /** Where the tuned model is written; created when missing. Must differ from `modelDir`. */
  outDir: z.string().min(1),
  /**
   * Passes over the training pairs. Two at the default learning rate generalise best to code not
   * trained on; more fit the training code's own vocabulary (see the package README's tuning log).
   */
  epochs: z.number().int().min(1).max(100).default(2),
  /** Pairs per step; the other pairs of a batch are each pair's negatives. */
  batchSize: z.number().int().min(2).max(4096).default(128),
  /** Adagrad's step size. */
  learningRate: z.number().gt(0).max(10).default(0.2),
  /**
   * Keyword-mined hard negatives: each pair is followed in its batch by up to this many pairs
   * whose code a BM25 search for its query ranks highest (0: random batches only).
   */
  hardNegatives: z.number().int().min(0).max(64).default(0),
  /**
   * Weights each pair by how badly keyword search finds its code: 1 + this × (1 − 1 / rank),
   * with `rank` the code's BM25 rank for the query among the training pairs' codes, so the loss
   * counts most what BM25 misses and hybrid search needs the vectors for (0: every pair 1).
   */
  keywordMissWeight: z.number().min(0).max(100).default(0),
  /**
   * Before training, lowers the SIF weight of tokens that are frequent in the training code
   * (punctuation, keywords) as distillation lowers those frequent in English: each row weighted
   * a / (a + max(p_zipf, p_code)) instead of a / (a + p_zipf). Needs a Zipf-SIF-weighted base.
   */
  codeFrequencyWeights: z.boolean().default(false),
  /**
   * Also trains a weight per token for the query side (starting at 1, or at the base model's):
   * queries are short prose and documents code, so a word can matter more in one than in the
   * other. Written as `static/query-weights.bin`; the embedder applies it to queries only.
   */
  queryWeights: z.boolean().default(false),
  /**
   * Extends the vocabulary with up to this many whole words of the training pairs that the
   * tokenizer cuts into pieces (`serializer` → `serial ##izer`), the most frequent first, each
   * with a row of its own (4 bytes × dimensions more on disk) starting as the sum of its pieces'
   * rows. Written as `static/vocabulary.txt`; 0: none. Not for a base that already has one.
   */
  vocabularyWords: z.number().int().min(0).max(1_000_000).default(0),
  /** Distinct pair texts a word must occur in to get a row (with `vocabularyWords`). */
  vocabularyMinTexts: z.number().int().min(1).max(1_000_000).default(5),
  /** InfoNCE temperature: logits are cosine / temperature. */
  temperature: z.number().gt(0).max(10).default(0.1),
  /**
   * L2 pull of each trained row towards its distilled value (0: none). Small values only: at 1
   * the rows barely move.
   */
  anchorWeight: z.number().min(0).max(100).default(0),
  /**
   * Text preparation before the tokenizer (see `distillStaticModel()`), recorded in the tuned
   * model; default: the base model's.
   */
  pretokenize: z.enum(['none', 'split-identifiers']).optional(),
  /** Seeds the held-out split and the order of every epoch; the same seed gives the same table. */
  seed: z
    .number()
    .int()
    .min(0)
    .max(2 ** 31 - 1)
    .default(42),
  /**
   * Tuning runs, with seeds `seed`, `seed + 1`, …, each from the same base table; the written
   * table is the element-wise mean of theirs (and so are trained query weights). Each run takes
   * as long as one tuning; several average out the seed's noise (see the package README's log).
   */
  seeds: z.number().int().min(1).max(16).default(3),
  /** Query tokens kept per pair (after the teacher's tokenizer). */
  maxQueryTokens: z.number().int().min(4).max(4096).default(64),
  /** Code tokens kept per pair; the embedder's default window is 256. */
  maxCodeTokens: z.number().int().min(8).max(100_000).default(256),
  /** Share of the pairs held out to measure the loss before and after (0 to 0.5). */
  validationFraction: z.number().min(0).max(0.5).default(0.05),
  /** What the pairs came from, recorded in the config (directories, package names). */
  tunedOn: z.array(z.string().min(1)).max(10_000).default([]),
  /** Seconds between checkpoints of an epoch in progress. */
  checkpointSeconds: z.number().min(0).max(3600).default(30),
  /** Replace a static model already in `outDir`. */
  overwrite: z.boolean().default(false),
  /** Recorded in the config as what produced the table (e.g. `nellie 0.1.0`). */
  producer: z.string().min(1).max(200).default('@nellie/embeddings'),
});

export type TuneProgress =
  | { phase: 'tokenize'; done: number; total: number }
  | TrainProgress
  | { phase: 'write'; done: number; total: number };

export type TuneStaticModelOptions = z.input<typeof tuneStaticModelOptionsSchema> & {
  /** The training pairs, e.g. from `mineCodePairs()`. */
  pairs: readonly CodePair[];
  logger?: Logger;
  /** Stops after the step in hand; the progress is checkpointed for the next run. */
  signal?: AbortSignal;
  onProgress?: (event: TuneProgress) => void;
};
