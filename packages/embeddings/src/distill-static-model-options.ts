import type { Logger } from '@nellie/core';
import { z } from 'zod';

export const distillStaticModelOptionsSchema = z.object({
  /** The teacher: a transformers.js model directory (config.json, tokenizer files, onnx/). */
  teacherDir: z.string().min(1),
  /** Where the static model is written; created when missing. */
  outDir: z.string().min(1),
  /** Which teacher weights run: fp32 (`onnx/model.onnx`, the better table) or q8. */
  teacherDtype: z.enum(['fp32', 'q8']).default('fp32'),
  /** Name recorded as the teacher (default: the teacher directory's name). */
  teacherId: z.string().min(1).max(200).optional(),
  /** Width of the table after PCA; at most the teacher's width (which keeps every axis). */
  dimensions: z.number().int().min(2).max(4096).default(256),
  /** SIF coefficient `a` of the Zipf weights a / (a + p(token)); null turns weighting off. */
  sifCoefficient: z.number().gt(0).lt(1).nullable().default(1e-4),
  /**
   * Text preparation recorded in the model and applied before its tokenizer, when embedding and
   * when tuning: `split-identifiers` breaks camelCase and PascalCase identifiers into words.
   */
  pretokenize: z.enum(['none', 'split-identifiers']).default('none'),
  /** Vocabulary tokens per teacher run. */
  batchSize: z.number().int().min(1).max(8192).default(1024),
  /** ONNX Runtime threads for the teacher (default: every core). */
  threads: z.number().int().min(1).max(256).optional(),
  /**
   * Distil only the first N vocabulary ids (quick trials and tests); later ids are skipped
   * when embedding. Default: the whole vocabulary.
   */
  tokenLimit: z.number().int().min(16).optional(),
  /** Replace a static model already in `outDir`. */
  overwrite: z.boolean().default(false),
  /** Recorded in the config as what produced the table (e.g. `nellie 0.1.0`). */
  producer: z.string().min(1).max(200).default('@nellie/embeddings'),
});

export type DistillProgress =
  | { phase: 'tokens'; done: number; total: number; resumedFrom: number }
  | { phase: 'reduce'; done: number; total: number }
  | { phase: 'write'; done: number; total: number };

export type DistillStaticModelOptions = z.input<typeof distillStaticModelOptionsSchema> & {
  logger?: Logger;
  /** Stops after the batch in hand; what is done stays checkpointed for the next run. */
  signal?: AbortSignal;
  onProgress?: (event: DistillProgress) => void;
};
