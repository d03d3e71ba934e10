import type { Logger } from '@nellie/core';
import { z } from 'zod';

export const openAiEmbedderOptionsSchema = z.object({
  /**
   * The API root that `/embeddings` is appended to, usually ending in `/v1`: for example
   * `http://127.0.0.1:11434/v1` (Ollama), `http://127.0.0.1:8000/v1` (vLLM),
   * `http://127.0.0.1:1234/v1` (LM Studio) or `https://api.openai.com/v1`.
   */
  baseUrl: z.url({ protocol: /^https?$/ }),
  /** Model name as the endpoint knows it, e.g. `nomic-embed-text`. */
  model: z.string().min(1).max(300),
  /** Sent as `Authorization: Bearer <apiKey>`; never appears in errors or logs. */
  apiKey: z.string().min(1).optional(),
  /** Width of the vectors the model returns; responses of another width are rejected. */
  dimensions: z.number().int().min(1).max(16_384),
  /** Also send `dimensions` in the request, for models that can shorten their vectors. */
  requestDimensions: z.boolean().default(false),
  /** Identifies the vector space in stores; defaults to `<model>@<dimensions>`. */
  modelId: z.string().min(1).max(500).optional(),
  /** Time limit of one HTTP request, in milliseconds. */
  timeoutMs: z.number().int().min(1).max(600_000).default(30_000),
  /** Retries after a timeout, a network error, HTTP 408, 429 or 5xx. */
  maxRetries: z.number().int().min(0).max(20).default(3),
  /** First retry delay; doubles on every retry (with jitter) unless the server sends Retry-After. */
  retryBaseDelayMs: z.number().int().min(0).max(60_000).default(500),
  /** Longest wait between retries, Retry-After included. */
  maxRetryDelayMs: z.number().int().min(0).max(600_000).default(30_000),
  /** Most texts per request. */
  batchSize: z.number().int().min(1).max(2048).default(64),
  /** Requests in flight at once. */
  maxConcurrency: z.number().int().min(1).max(64).default(2),
  /** Most bulk texts that may wait; beyond it `embed()` rejects with `QUEUE_FULL`. */
  maxQueue: z.number().int().min(1).max(10_000_000).default(10_000),
  /** Texts are cut to this many characters, as endpoints reject inputs beyond their context. */
  maxInputChars: z.number().int().min(16).max(1_000_000).default(8_192),
  /** Prepended to `priority: 'query'` texts (e.g. `search_query: ` for nomic-embed-text). */
  queryPrefix: z.string().max(200).default(''),
  /** Prepended to `priority: 'bulk'` texts (e.g. `search_document: ` for nomic-embed-text). */
  documentPrefix: z.string().max(200).default(''),
  /** Extra request headers (for gateways); `authorization` comes from `apiKey`. */
  headers: z.record(z.string(), z.string()).default({}),
});

export type OpenAiEmbedderOptions = z.input<typeof openAiEmbedderOptionsSchema> & {
  logger?: Logger;
  /** Defaults to the global fetch. */
  fetch?: typeof globalThis.fetch;
};
