import type { Logger, ModelStatus } from '@nellie/core';
import { z } from 'zod';
import type { PullProgress } from './pull-model.ts';
import { textPreparations } from './internal/text-preparation.ts';
import { resolveModelOptionsSchema } from './resolve-model.ts';

export const localEmbedderOptionsSchema = resolveModelOptionsSchema.extend({
  /** Hub revision to download when the model is fetched (`allowRemote`). */
  revision: z.string().min(1).max(200).optional(),
  /** Where downloads come from: the Hub or a mirror with the same URL layout. */
  hubUrl: z.url({ protocol: /^https?$/ }).default('https://huggingface.co'),
  /** Longest wait for the next bytes of a downloaded file, in milliseconds. */
  downloadTimeoutMs: z.number().int().min(1).max(3_600_000).default(30_000),
  /**
   * Load an explicit `modelDir` without checking it against the model's checksums (default).
   * Set to false to refuse a directory that is not the genuine model.
   */
  trustModelDir: z.boolean().default(true),
  /** How token vectors become one vector: the mean over tokens, or the first (CLS) token. */
  pooling: z.enum(['mean', 'cls']).default('mean'),
  /** Longest input in model tokens; longer texts are truncated (256 for all-MiniLM-L6-v2). */
  maxTokens: z.number().int().min(8).max(32_768).default(256),
  /**
   * How texts are rewritten before the tokenizer, for documents and queries alike:
   * `split-identifiers` gives the model the words of camelCase and snake_case names. Defaults to
   * the model's built-in manifest (`split-identifiers` for all-MiniLM-L6-v2), else `none`.
   * Part of the model id.
   */
  textPreparation: z.enum(textPreparations).optional(),
  /**
   * Evaluation only (`NELLIE_EVAL_WINDOWS` of the benchmarks): every text gives the vector of this
   * one window of `maxTokens` (0-based) instead of its truncated vector, scaled by the window's
   * token count, or a zero vector when the text is too short to have it. Part of the model id.
   */
  onlyWindow: z.number().int().min(0).max(15).optional(),
  /** With `onlyWindow`: tokens each window repeats from the end of the one before it. */
  windowOverlap: z.number().int().min(0).max(1024).default(0),
  /** Prepended to texts embedded with `priority: 'query'` (e.g. `query: ` for E5 models). */
  queryPrefix: z.string().max(200).default(''),
  /** Prepended to texts embedded with `priority: 'bulk'` (e.g. `passage: ` for E5 models). */
  documentPrefix: z.string().max(200).default(''),
  /** Expected vector width; loading fails with `DIMENSION_MISMATCH` when the model differs. */
  dimensions: z.number().int().min(1).max(16_384).optional(),
  /** Worker threads for bulk (indexing) work, each with its own model session. */
  threads: z.number().int().min(1).max(64).default(1),
  /**
   * ONNX Runtime threads per bulk worker. Defaults to the CPU count divided by `threads` (at most
   * 4, beyond which a model this small hardly gets faster), so one worker uses both cores of a
   * 2-core machine and two workers use one each.
   */
  intraOpThreads: z.number().int().min(1).max(256).optional(),
  /**
   * Nice value (0–19) of bulk workers and their ONNX threads on Linux, so queries, the server's
   * own thread and other programs get the CPU first while indexing runs. 0 keeps normal priority.
   */
  bulkNiceness: z.number().int().min(0).max(19).default(10),
  /**
   * Let idle ONNX threads of bulk workers spin-wait for their next task. Spinning shortens
   * hand-offs but keeps cores busy that queries and the server need.
   */
  allowSpinning: z.boolean().default(false),
  /**
   * Keep one more worker (one ONNX thread) for `priority: 'query'` texts, so a search never waits
   * for a bulk batch to finish. Costs the memory of one more model session (about 90 MB for
   * all-MiniLM-L6-v2 q8).
   */
  queryWorker: z.boolean().default(true),
  /**
   * Texts per model run. Batches are length-sorted, but every text is still padded to the longest
   * in its batch; batch 1 measured the least CPU per chunk and the least memory (see README).
   */
  batchSize: z.number().int().min(1).max(512).default(1),
  /** Most bulk texts that may wait; beyond it `embed()` rejects with `QUEUE_FULL`. */
  maxQueue: z.number().int().min(1).max(10_000_000).default(10_000),
});

export type LocalEmbedderOptions = z.input<typeof localEmbedderOptionsSchema> & {
  logger?: Logger;
  /** Used for downloads when `allowRemote` is on; defaults to the global fetch. */
  fetch?: typeof globalThis.fetch;
  /** Cancels loading (and a download in progress). */
  signal?: AbortSignal;
  /** Told of every status change, starting with `loading`. */
  onStatusChange?: (status: ModelStatus) => void;
  /** Download progress when the model is fetched from the Hub. */
  onDownloadProgress?: (event: PullProgress) => void;
};
