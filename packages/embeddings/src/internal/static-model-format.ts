/**
 * The on-disk layout of a static (token-table) model, written by `distillStaticModel()` and read
 * by `createStaticEmbedder()`. A directory is a static model when it holds `nellie-static.json`.
 */
import { createHash } from 'node:crypto';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { z } from 'zod';
import { readModelConfigFile } from './model-config-file.ts';

export const staticConfigFile = 'nellie-static.json';
export const staticTableFile = 'static/embeddings.bin';
/** Query-side token weights, one little-endian float32 per row (tuned models only). */
export const staticQueryWeightsFile = 'static/query-weights.bin';
/** Whole words with their own rows past the tokenizer's vocabulary, one a line (see `vocabulary`). */
export const staticVocabularyFile = 'static/vocabulary.txt';
/** Tokenizer files copied from the teacher; the first two are required. */
export const staticTokenizerFiles = ['tokenizer.json', 'tokenizer_config.json'];
export const optionalTokenizerFiles = ['special_tokens_map.json', 'vocab.txt'];
export const staticFormatVersion = 1;

export const staticModelConfigSchema = z.object({
  format: z.literal('nellie-static'),
  formatVersion: z.literal(staticFormatVersion),
  /** Rows (vocabulary ids) and columns (dimensions) of the table. */
  rows: z.number().int().min(1).max(10_000_000),
  dimensions: z.number().int().min(1).max(16_384),
  /** Little-endian float32, row-major. */
  dtype: z.literal('float32'),
  table: z.object({
    path: z.literal(staticTableFile),
    bytes: z.number().int(),
    sha256: z.string(),
  }),
  /**
   * Present when queries weigh their tokens differently from documents: a query's vector sums
   * each row times its token's weight from this file, a document's sums the rows as they are.
   */
  queryWeights: z
    .object({
      path: z.literal(staticQueryWeightsFile),
      bytes: z.number().int(),
      sha256: z.string(),
    })
    .optional(),
  /**
   * Present when the table extends the tokenizer's vocabulary with whole words (frequent code
   * words WordPiece would cut into pieces, such as `serializer`): the file's `words` lines, in
   * order, own the table's last `words` rows, and a text's word found there takes its row
   * instead of its word pieces.
   */
  vocabulary: z
    .object({
      path: z.literal(staticVocabularyFile),
      words: z.number().int().min(1),
      bytes: z.number().int(),
      sha256: z.string(),
    })
    .optional(),
  /** Token ids that carry no meaning and are skipped when embedding ([UNK], [PAD], …). */
  skipTokenIds: z.array(z.number().int().min(0)),
  /** The id whose row is used when a text has no other token (normally [UNK]). */
  fallbackTokenId: z.number().int().min(0),
  teacher: z.object({
    id: z.string(),
    dtype: z.string(),
    hiddenSize: z.number().int(),
    pooling: z.string(),
    files: z.array(z.object({ path: z.string(), bytes: z.number().int(), sha256: z.string() })),
  }),
  reduction: z.object({
    method: z.enum(['pca', 'none']),
    explainedVariance: z.number().optional(),
  }),
  weighting: z.object({ method: z.enum(['zipf-sif', 'none']), coefficient: z.number().optional() }),
  /**
   * How text is prepared before the tokenizer. `split-identifiers` breaks camelCase and
   * PascalCase identifiers into their words (`parseHttpHeader` → `parse Http Header`), so
   * their parts meet the same whole-word tokens as the words of a query. Absent: unchanged.
   */
  pretokenize: z.enum(['none', 'split-identifiers']).optional(),
  /** Rows are multiplied by their weight; texts are embedded as the L2-normalised mean of rows. */
  normalize: z.literal(true),
  createdAt: z.string(),
  producer: z.string(),
  /** Seconds the distillation took (token passes, PCA and writing). */
  distillSeconds: z.number().optional(),
  /** Present when the table was tuned on code pairs after distillation (`tuneStaticModel()`). */
  tuning: z
    .object({
      method: z.literal('contrastive-infonce'),
      /** The table training started from. */
      base: z.object({ modelId: z.string(), sha256: z.string() }),
      /** What the pairs were mined from (directories, package names). */
      tunedOn: z.array(z.string()),
      pairs: z.number().int(),
      validationPairs: z.number().int(),
      epochs: z.number().int(),
      batchSize: z.number().int(),
      learningRate: z.number(),
      temperature: z.number(),
      anchorWeight: z.number(),
      /** Keyword-mined hard negatives per pair (absent: none). */
      hardNegatives: z.number().int().optional(),
      keywordMissWeight: z.number().optional(),
      codeFrequencyWeights: z.boolean().optional(),
      /** Query-side token weights trained with the table (see `queryWeights`). */
      queryWeights: z.boolean().optional(),
      /** Words this tuning added to the vocabulary (see `vocabulary`). */
      vocabularyWords: z.number().int().optional(),
      seed: z.number().int(),
      /** The seeds of several runs whose tables were averaged (absent: one run, `seed`). */
      seeds: z.array(z.number().int()).optional(),
      maxQueryTokens: z.number().int(),
      maxCodeTokens: z.number().int(),
      /**
       * Mean InfoNCE loss on the held-out pairs before and after training (with `seeds`, the mean
       * over the runs, each on its own held-out pairs).
       */
      validationLoss: z.object({ before: z.number(), after: z.number() }).optional(),
      seconds: z.number(),
    })
    .optional(),
});

export type StaticModelConfig = z.infer<typeof staticModelConfigSchema>;

export function isStaticModelDir(dir: string): boolean {
  return existsSync(join(dir, staticConfigFile));
}

/** Reads and validates `nellie-static.json`; a broken file is `MODEL_LOAD_FAILED`. */
export async function readStaticModelConfig(dir: string): Promise<StaticModelConfig> {
  return readModelConfigFile(
    join(dir, staticConfigFile),
    staticModelConfigSchema,
    'static model config',
    'Distill the model again with `nellie model distill`.',
  );
}

/**
 * `nellie-static/<teacher>@<first 8 hex of the table's sha256>` (`<teacher>+tuned@…` for a table
 * tuned on code): one id per distinct table, so vectors of different tables never mix.
 */
export function staticModelId(config: StaticModelConfig): string {
  const teacher = config.teacher.id.split('/').pop() ?? config.teacher.id;
  const tuned = config.tuning ? '+tuned' : '';
  // The same table read through other text preparation gives other vectors: another id.
  const pretokenize = config.pretokenize ?? 'none';
  // Query weights change the query vectors: they are part of the id too.
  const queryWeights = config.queryWeights ? `:query-weights:${config.queryWeights.sha256}` : '';
  // So are the extension's words: the same rows owned by other words give other vectors.
  const vocabulary = config.vocabulary ? `:vocabulary:${config.vocabulary.sha256}` : '';
  const digest =
    pretokenize === 'none' && queryWeights === '' && vocabulary === ''
      ? config.table.sha256
      : createHash('sha256')
          .update(
            `${config.table.sha256}${pretokenize === 'none' ? '' : `:${pretokenize}`}${queryWeights}${vocabulary}`,
          )
          .digest('hex');
  return `nellie-static/${teacher}${tuned}@${digest.slice(0, 8)}`;
}
