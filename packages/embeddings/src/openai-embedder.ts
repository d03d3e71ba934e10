import {
  NellieError,
  noopLogger,
  throwIfAborted,
  type Embedder,
  type EmbedOptions,
  type ModelStatus,
} from '@nellie/core';
import { z } from 'zod';
import { EmbeddingQueue } from './internal/embedding-queue.ts';
import { prepareEmbedRequest } from './internal/text-input.ts';
import { normalizeInPlace } from './internal/vectors.ts';
import {
  openAiEmbedderOptionsSchema,
  type OpenAiEmbedderOptions,
} from './openai-embedder-options.ts';

/** An `Embedder` backed by an OpenAI-compatible `/embeddings` endpoint. */
export interface OpenAiEmbedder extends Embedder {
  readonly modelId: string;
  readonly dimensions: number;
  queueDepth(): number;
  /** `failed` after a request finally failed, `ready` again after the next success. */
  status(): ModelStatus;
  [Symbol.asyncDispose](): Promise<void>;
}

const retryableStatus = new Set([408, 409, 425, 429, 500, 502, 503, 504]);

/**
 * Embeds through an OpenAI-compatible HTTP endpoint (OpenAI, Ollama, vLLM, LM Studio, …) with
 * time limits, retries with exponential backoff (honouring Retry-After), batching, query-first
 * scheduling and validation of every response. Vectors are L2-normalised.
 */
export function createOpenAiEmbedder(options: OpenAiEmbedderOptions): OpenAiEmbedder {
  const parsed = openAiEmbedderOptionsSchema.safeParse(options);
  if (!parsed.success) {
    throw new NellieError('INVALID_OPTIONS', z.prettifyError(parsed.error), {
      cause: parsed.error,
    });
  }
  const config = parsed.data;
  const logger = options.logger ?? noopLogger;
  const fetchImpl = options.fetch ?? globalThis.fetch;
  const endpoint = `${config.baseUrl.replace(/\/+$/, '')}/embeddings`;
  const shownEndpoint = withoutCredentials(endpoint);
  const modelId = config.modelId ?? `${config.model}@${config.dimensions}`;
  const headers: Record<string, string> = {
    ...config.headers,
    'content-type': 'application/json',
    accept: 'application/json',
  };
  if (config.apiKey) headers.authorization = `Bearer ${config.apiKey}`;
  const scrub = (text: string): string =>
    config.apiKey ? text.split(config.apiKey).join('***') : text;

  const shutdown = new AbortController();
  let active = 0;
  let closed = false;
  let lastFailure: string | undefined;

  const queue = new EmbeddingQueue({
    maxQueue: config.maxQueue,
    batchSize: config.batchSize,
    onWork: () => pump(),
  });

  function pump(): void {
    while (!closed && active < config.maxConcurrency) {
      const job = queue.take('any');
      if (!job) return;
      active += 1;
      request(job.texts, job.signal)
        .then(
          (vectors) => {
            lastFailure = undefined;
            queue.complete(job, vectors);
          },
          (error: unknown) => {
            if (
              NellieError.is(error) &&
              ['EMBEDDING_FAILED', 'DIMENSION_MISMATCH'].includes(error.code)
            ) {
              lastFailure = error.message;
            }
            queue.fail(job, error);
          },
        )
        .finally(() => {
          active -= 1;
          pump();
        });
    }
  }

  async function request(
    texts: string[],
    signal: AbortSignal | undefined,
  ): Promise<Float32Array[]> {
    const body = JSON.stringify({
      model: config.model,
      input: texts,
      encoding_format: 'float',
      ...(config.requestDimensions ? { dimensions: config.dimensions } : {}),
    });
    for (let attempt = 0; ; attempt += 1) {
      const outcome = await attemptOnce(body, texts.length, signal);
      if (outcome.vectors) return outcome.vectors;
      const failure = outcome.failure!;
      if (!failure.retryable || attempt >= config.maxRetries) {
        const tries = attempt + 1;
        throw new NellieError(
          'EMBEDDING_FAILED',
          `${failure.message}${failure.retryable ? ` (gave up after ${tries} attempts)` : ''}`,
        );
      }
      const backoff = config.retryBaseDelayMs * 2 ** attempt * (0.5 + Math.random() / 2);
      const delay = Math.min(config.maxRetryDelayMs, failure.retryAfterMs ?? backoff);
      logger.warn(
        { endpoint: shownEndpoint, attempt: attempt + 1, delayMs: Math.round(delay) },
        `Embedding request failed, retrying: ${failure.message}`,
      );
      await sleep(delay, signal ? AbortSignal.any([signal, shutdown.signal]) : shutdown.signal);
    }
  }

  interface Attempt {
    vectors?: Float32Array[];
    failure?: { message: string; retryable: boolean; retryAfterMs?: number };
  }

  async function attemptOnce(
    body: string,
    count: number,
    signal: AbortSignal | undefined,
  ): Promise<Attempt> {
    throwIfAborted(signal);
    if (closed) throw new NellieError('STORE_CLOSED', 'The embedder is closed.');
    const timeout = AbortSignal.timeout(config.timeoutMs);
    const signals = [timeout, shutdown.signal, ...(signal ? [signal] : [])];
    const combined = AbortSignal.any(signals);
    let response: Response;
    let payload: unknown;
    try {
      response = await fetchImpl(endpoint, { method: 'POST', headers, body, signal: combined });
      if (!response.ok) {
        const text = scrub(await response.text().catch(() => '')).slice(0, 300);
        const detail = errorDetail(text);
        const message =
          `The embedding endpoint ${shownEndpoint} answered HTTP ${response.status}` +
          `${response.statusText ? ` ${response.statusText}` : ''}${detail ? `: ${detail}` : ''}.` +
          ` ${statusHint(response.status)}`;
        return {
          failure: {
            message,
            retryable: retryableStatus.has(response.status),
            retryAfterMs: parseRetryAfter(response.headers.get('retry-after')),
          },
        };
      }
      payload = await response.json().catch((error: unknown) => {
        if (combined.aborted) throw error;
        throw new NellieError(
          'EMBEDDING_FAILED',
          `The embedding endpoint ${shownEndpoint} answered with something that is not JSON.`,
          { cause: error },
        );
      });
    } catch (error) {
      if (signal?.aborted) {
        throw new NellieError('ABORTED', 'The embedding request was cancelled.', {
          cause: signal.reason,
        });
      }
      if (closed) throw new NellieError('STORE_CLOSED', 'The embedder is closed.');
      if (NellieError.is(error)) throw error;
      if (timeout.aborted) {
        return {
          failure: {
            message: `The embedding endpoint ${shownEndpoint} did not answer within ${config.timeoutMs} ms.`,
            retryable: true,
          },
        };
      }
      return {
        failure: {
          message: `Cannot reach the embedding endpoint ${shownEndpoint}: ${scrub(describe(error))}. Check that the server runs and the URL is right.`,
          retryable: true,
        },
      };
    }
    return { vectors: parseEmbeddings(payload, count) };
  }

  function parseEmbeddings(payload: unknown, count: number): Float32Array[] {
    const invalid = (problem: string): NellieError =>
      new NellieError(
        'EMBEDDING_FAILED',
        `The embedding endpoint ${shownEndpoint} returned an invalid response: ${problem}.`,
      );
    const data = (payload as { data?: unknown } | null)?.data;
    if (!Array.isArray(data)) throw invalid('no "data" array');
    if (data.length !== count) throw invalid(`${data.length} embeddings for ${count} texts`);
    const items = data as { embedding?: unknown; index?: unknown }[];
    const indexed = items.every((item) => typeof item?.index === 'number');
    const vectors = new Array<Float32Array>(count);
    items.forEach((item, position) => {
      const index = indexed ? (item.index as number) : position;
      if (!Number.isInteger(index) || index < 0 || index >= count || vectors[index]) {
        throw invalid(`embedding index ${String(item.index)} is out of range or repeated`);
      }
      const vector = toVector(item?.embedding);
      if (!vector) throw invalid(`embedding ${index} is not a list of numbers`);
      if (vector.length !== config.dimensions) {
        throw new NellieError(
          'DIMENSION_MISMATCH',
          `The model ${config.model} at ${shownEndpoint} returned ${vector.length}-dimensional ` +
            `vectors, but dimensions is ${config.dimensions}. Set dimensions to ` +
            `${vector.length} (stored vectors must then be rebuilt) or use the model that ` +
            `produces ${config.dimensions}.`,
        );
      }
      if (!vector.every(Number.isFinite))
        throw invalid(`embedding ${index} holds non-finite numbers`);
      if (!normalizeInPlace(vector)) throw invalid(`embedding ${index} is a zero vector`);
      vectors[index] = vector;
    });
    return vectors;
  }

  let closing: Promise<void> | undefined;
  const close = (): Promise<void> => {
    closing ??= (async () => {
      closed = true;
      queue.close(new NellieError('STORE_CLOSED', 'The embedder is closed.'));
      shutdown.abort();
      await Promise.resolve();
    })();
    return closing;
  };

  return {
    modelId,
    dimensions: config.dimensions,
    async embed(texts: readonly string[], embedOptions?: EmbedOptions): Promise<Float32Array[]> {
      if (closed) throw new NellieError('STORE_CLOSED', 'The embedder is closed.');
      const { texts: prepared, priority } = prepareEmbedRequest(texts, embedOptions, {
        queryPrefix: config.queryPrefix,
        documentPrefix: config.documentPrefix,
        maxChars: config.maxInputChars,
      });
      return queue.submit(prepared, priority, embedOptions?.signal);
    },
    queueDepth: () => queue.depth(),
    status: () => ({
      state: closed ? 'disabled' : lastFailure ? 'failed' : 'ready',
      modelId,
      dimensions: config.dimensions,
      source: shownEndpoint,
      ...(closed
        ? { message: 'The embedder is closed.' }
        : lastFailure
          ? { message: lastFailure }
          : {}),
    }),
    close,
    [Symbol.asyncDispose]: close,
  };
}

function toVector(value: unknown): Float32Array | undefined {
  if (Array.isArray(value)) {
    if (!value.every((item) => typeof item === 'number')) return undefined;
    return Float32Array.from(value);
  }
  if (typeof value === 'string') {
    // `encoding_format: base64`, which some servers send regardless: little-endian float32.
    const bytes = Buffer.from(value, 'base64');
    if (bytes.length === 0 || bytes.length % 4 !== 0) return undefined;
    const vector = new Float32Array(bytes.length / 4);
    for (let index = 0; index < vector.length; index += 1) {
      vector[index] = bytes.readFloatLE(index * 4);
    }
    return vector;
  }
  return undefined;
}

/** Retry-After in seconds or as an HTTP date, in milliseconds. */
function parseRetryAfter(header: string | null): number | undefined {
  if (!header) return undefined;
  const seconds = Number(header);
  if (Number.isFinite(seconds) && seconds >= 0) return seconds * 1000;
  const date = Date.parse(header);
  return Number.isNaN(date) ? undefined : Math.max(0, date - Date.now());
}

function errorDetail(text: string): string {
  try {
    const parsed = JSON.parse(text) as {
      error?: { message?: unknown } | string;
      message?: unknown;
    };
    const message =
      typeof parsed.error === 'string' ? parsed.error : (parsed.error?.message ?? parsed.message);
    if (typeof message === 'string') return message.slice(0, 300);
  } catch {
    // Not JSON: show the text itself.
  }
  return text.trim();
}

function statusHint(status: number): string {
  if (status === 401 || status === 403) return 'Check the API key.';
  if (status === 404) return 'Check the base URL (it usually ends in /v1) and the model name.';
  if (status === 400 || status === 413 || status === 422) {
    return 'The endpoint rejected the input; lower batchSize or maxInputChars, or check the model name.';
  }
  if (status === 429) return 'The endpoint is rate limiting; lower maxConcurrency or batchSize.';
  return 'The endpoint had a problem; it was retried where that could help.';
}

function withoutCredentials(url: string): string {
  const parsed = new URL(url);
  parsed.username = '';
  parsed.password = '';
  return parsed.toString();
}

function describe(error: unknown): string {
  if (error instanceof Error) {
    const cause = error.cause instanceof Error ? ` (${error.cause.message})` : '';
    return `${error.message}${cause}`;
  }
  return String(error);
}

function sleep(ms: number, signal: AbortSignal | undefined): Promise<void> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      signal?.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    const onAbort = (): void => {
      clearTimeout(timer);
      reject(
        new NellieError('ABORTED', 'The embedding request was cancelled.', {
          cause: signal?.reason,
        }),
      );
    };
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}
