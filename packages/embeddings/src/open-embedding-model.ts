import { readFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { NellieError, noopLogger, type Embedder, type ModelStatus } from '@nellie/core';
import { z } from 'zod';
import {
  compositeModelId,
  isCompositeModelDir,
  readCompositeParts,
} from './internal/composite-model-format.ts';
import { createDeferredEmbedder } from './internal/deferred-embedder.ts';
import { createLocalEmbedder } from './local-embedder.ts';
import { localEmbedderOptionsSchema } from './local-embedder-options.ts';
import type { TextPreparation } from './internal/text-preparation.ts';
import { localModelFamily, localModelId, modelTextPreparation } from './model-id.ts';
import {
  noModel,
  type LocalModelOptions,
  type OpenAiModelOptions,
  type OpenEmbeddingModelOptions,
} from './open-embedding-model-options.ts';
import { createOpenAiEmbedder } from './openai-embedder.ts';
import type { OpenAiEmbedderOptions } from './openai-embedder-options.ts';
import { resolveModel, type ModelSource } from './resolve-model.ts';

/** What a store needs to know about the vectors: the model's id and width. */
export interface EmbeddingIdentity {
  modelId: string;
  dimensions: number;
  /**
   * Transformer models: `<model>@<dtype>`. A store holding vectors of another id of this family
   * (the same weights read with other input settings) embeds everything again in the background.
   */
  family?: string;
}

/** The embedding model of an app: known at once, loaded in the background. */
export interface EmbeddingModel {
  /** Known before the model has loaded; null when semantic search is off. */
  readonly identity: EmbeddingIdentity | null;
  /**
   * Embeds once the model is ready. Until then bulk work waits and queries fail fast with
   * `EMBEDDING_FAILED` (searches fall back to keywords). Undefined when semantic search is off.
   */
  readonly embedder: Embedder | undefined;
  status(): ModelStatus;
  /** Resolves (never rejects) once the model is ready, has failed, or is off. */
  readonly ready: Promise<ModelStatus>;
  /** Starts loading a model opened with `deferLoad`; does nothing otherwise. */
  start(): void;
  /** Stops loading or closes the loaded model. */
  close(): Promise<void>;
  [Symbol.asyncDispose](): Promise<void>;
}

/**
 * What computes the vectors: a transformer run locally through ONNX, a static token table
 * (`nellie model distill`), or an OpenAI-compatible endpoint.
 */
export type EmbeddingModelKind = 'transformer' | 'static' | 'composite' | 'endpoint';

/** One model of a composite (`nellie-composite.json`) and its share of the cosine. */
export interface EmbeddingModelPart {
  modelId: string;
  kind: 'transformer' | 'static';
  dimensions: number | undefined;
  dir: string;
  weight: number;
}

/** Where an embedding model stands before anything is loaded. */
export type EmbeddingModelPlan =
  | { state: 'off'; status: ModelStatus }
  | {
      state: 'found';
      modelId: string;
      /** See `EmbeddingIdentity.family`. */
      family?: string;
      /** Transformer models: how text is rewritten before the tokenizer. */
      textPreparation?: TextPreparation;
      kind: EmbeddingModelKind;
      /** Undefined when the files are not on disk yet and the model is not a known one. */
      dimensions: number | undefined;
      /** `endpoint`: an OpenAI-compatible endpoint, whose URL `dir` is. */
      source: ModelSource | 'endpoint';
      /** The model directory (for `remote`, the directory it will be downloaded into). */
      dir: string;
      /** `composite`: the models whose vectors it joins. */
      parts?: EmbeddingModelPart[];
    };

/** Vector widths of models whose files may not be on disk yet (they are downloaded on load). */
const knownDimensions: Record<string, number> = {
  'Xenova/all-MiniLM-L6-v2': 384,
  'sentence-transformers/all-MiniLM-L6-v2': 384,
};

/**
 * Finds the model without loading it: its id, its width (from its files, or known for the
 * default model) and where it is. A model that is not found, or `model: 'none'`, is `off` with a
 * message saying why; invalid options throw `INVALID_OPTIONS`.
 */
export async function planEmbeddingModel(
  options: OpenEmbeddingModelOptions,
): Promise<EmbeddingModelPlan> {
  if (options.provider === 'openai') {
    const embedder = createOpenAiEmbedder(openAiEmbedderOptions(options));
    await embedder.close();
    return {
      state: 'found',
      ...identityOf(embedder),
      kind: 'endpoint',
      source: 'endpoint',
      dir: options.baseUrl,
    };
  }
  return planLocalModel(options);
}

async function planLocalModel(options: LocalModelOptions): Promise<EmbeddingModelPlan> {
  const hint = options.howToEnable ? ` ${options.howToEnable}` : '';
  if (options.model === noModel) {
    return off({
      state: 'disabled',
      modelId: noModel,
      message: `Semantic search is off because the model is set to "${noModel}".${hint}`,
    });
  }
  const parsed = localEmbedderOptionsSchema.safeParse(options);
  if (!parsed.success) {
    throw new NellieError('INVALID_OPTIONS', z.prettifyError(parsed.error), {
      cause: parsed.error,
    });
  }
  const config = parsed.data;
  if (config.modelDir !== undefined && isCompositeModelDir(resolve(config.modelDir))) {
    return planCompositeModel(resolve(config.modelDir), options);
  }
  const modelId = localModelId(config);
  try {
    const resolved = await resolveModel(config);
    if (resolved.static) {
      return { state: 'found', ...resolved.static, kind: 'static', ...where(resolved) };
    }
    const dimensions =
      resolved.source === 'remote'
        ? knownDimensions[config.model]
        : await readDimensions(resolved.dir);
    return {
      state: 'found',
      modelId,
      family: localModelFamily(config),
      textPreparation: modelTextPreparation(config),
      dimensions,
      kind: 'transformer',
      ...where(resolved),
    };
  } catch (error) {
    if (!NellieError.is(error) || error.code !== 'MODEL_NOT_FOUND') throw error;
    return off({
      state: 'disabled',
      modelId,
      message: `Semantic search is off: ${error.message}\nKeyword search still works; restart once the model is in place.`,
    });
  }
}

/**
 * Plans each part of a composite model directory; the composite is off when one part is, with
 * that part's reason.
 */
async function planCompositeModel(
  dir: string,
  options: LocalModelOptions,
): Promise<EmbeddingModelPlan> {
  const parts: EmbeddingModelPart[] = [];
  for (const part of await readCompositeParts(dir)) {
    const plan = await planLocalModel({ ...options, modelDir: part.dir });
    if (plan.state === 'off') {
      return off({
        ...plan.status,
        modelId: `nellie-composite (${dir})`,
        message: `A part of the composite model in ${dir} is missing. ${plan.status.message ?? ''}`,
      });
    }
    parts.push({
      modelId: plan.modelId,
      kind: plan.kind === 'static' ? 'static' : 'transformer',
      dimensions: plan.dimensions,
      dir: plan.dir,
      weight: part.weight,
    });
  }
  const widths = parts.map((part) => part.dimensions);
  return {
    state: 'found',
    modelId: compositeModelId(parts),
    kind: 'composite',
    dimensions: widths.includes(undefined)
      ? undefined
      : widths.reduce((sum: number, width) => sum + width!, 0),
    source: 'model-dir',
    dir,
    parts,
  };
}

/**
 * Opens the embedding model: plans it (identity known at once), then loads it in the background
 * (after `start()` when `deferLoad` is set). A model whose width cannot be known before its files
 * are here is loaded (downloaded) first. Never throws for a missing or broken model: it is then
 * off or failed, as `status()` says; only invalid options throw `INVALID_OPTIONS`.
 */
export async function openEmbeddingModel(
  options: OpenEmbeddingModelOptions,
): Promise<EmbeddingModel> {
  if (options.provider === 'openai') return openOpenAiModel(options);
  const { deferLoad = false, howToEnable, ...embedderOptions } = options;
  const logger = options.logger ?? noopLogger;
  const plan = await planLocalModel(options);
  if (plan.state === 'off') return offModel(plan.status);

  let status: ModelStatus = { state: 'loading', modelId: plan.modelId };
  const failed = (error: unknown): ModelStatus => ({
    state: 'failed',
    modelId: plan.modelId,
    message: `${NellieError.is(error) ? error.message : String(error)}${howToEnable ? `\n${howToEnable}` : ''}`,
  });
  const abort = new AbortController();
  const load = (dimensions: number | undefined): Promise<Embedder> => {
    logger.info(
      { model: options.model, source: plan.source, dir: plan.dir },
      plan.source === 'remote'
        ? 'Downloading and loading the embedding model in the background'
        : 'Loading the embedding model in the background',
    );
    return createLocalEmbedder({
      ...embedderOptions,
      ...(dimensions === undefined ? {} : { dimensions }),
      signal: abort.signal,
      onStatusChange: (next) => (status = next),
    });
  };

  let identity: EmbeddingIdentity;
  let loading: Promise<Embedder>;
  let start = (): void => {};
  if (plan.dimensions === undefined) {
    // Without the width no store can be opened for vectors: load (and download) it first.
    try {
      const loaded = await load(undefined);
      identity = {
        modelId: loaded.modelId,
        dimensions: loaded.dimensions,
        ...(plan.family === undefined ? {} : { family: plan.family }),
      };
      loading = Promise.resolve(loaded);
    } catch (error) {
      return offModel(failed(error));
    }
  } else {
    const planned = {
      modelId: plan.modelId,
      dimensions: plan.dimensions,
      ...(plan.family === undefined ? {} : { family: plan.family }),
    };
    identity = planned;
    const gate = new Promise<void>((resolve) => (start = resolve));
    loading = gate
      .then(() => load(planned.dimensions))
      .then(async (loaded) => {
        if (loaded.modelId === planned.modelId) return loaded;
        await loaded.close();
        throw new NellieError(
          'DIMENSION_MISMATCH',
          `The loaded model is ${loaded.modelId} (${loaded.dimensions} dimensions), but ${planned.modelId} (${planned.dimensions}) was planned.`,
        );
      });
    if (!deferLoad) start();
  }

  const embedder = createDeferredEmbedder(
    { ...identity, maxTokens: options.maxTokens ?? 256 },
    loading,
  );
  const ready = loading.then(
    () => status,
    (error: unknown) => {
      if (!abort.signal.aborted) status = failed(error);
      return status;
    },
  );
  let closing: Promise<void> | undefined;
  const close = (): Promise<void> => {
    closing ??= (async () => {
      abort.abort();
      // A model that never started loading starts now and stops at once on the aborted signal.
      start();
      await embedder.close();
    })();
    return closing;
  };
  return {
    identity,
    embedder,
    status: () => status,
    ready,
    start: () => start(),
    close,
    [Symbol.asyncDispose]: close,
  };
}

function openOpenAiModel(options: OpenAiModelOptions): Promise<EmbeddingModel> {
  const embedder = createOpenAiEmbedder(openAiEmbedderOptions(options));
  const close = (): Promise<void> => embedder.close();
  return Promise.resolve({
    identity: identityOf(embedder),
    embedder,
    status: () => embedder.status(),
    // Nothing to load: each request reaches the endpoint, and a failing one shows in status().
    ready: Promise.resolve(embedder.status()),
    start: () => {},
    close,
    [Symbol.asyncDispose]: close,
  });
}

function openAiEmbedderOptions(options: OpenAiModelOptions): OpenAiEmbedderOptions {
  const {
    deferLoad: _deferLoad,
    howToEnable: _howToEnable,
    provider: _provider,
    ...rest
  } = options;
  return rest;
}

function identityOf(embedder: Embedder): EmbeddingIdentity {
  return { modelId: embedder.modelId, dimensions: embedder.dimensions };
}

function off(status: ModelStatus): EmbeddingModelPlan {
  return { state: 'off', status };
}

function offModel(status: ModelStatus): EmbeddingModel {
  const close = (): Promise<void> => Promise.resolve();
  return {
    identity: null,
    embedder: undefined,
    status: () => status,
    ready: Promise.resolve(status),
    start: () => {},
    close,
    [Symbol.asyncDispose]: close,
  };
}

function where(resolved: { source: ModelSource; dir: string }): {
  source: ModelSource;
  dir: string;
} {
  return { source: resolved.source, dir: resolved.dir };
}

/** The width a transformer's config.json declares; undefined when it names none. */
async function readDimensions(dir: string): Promise<number | undefined> {
  try {
    const config = JSON.parse(await readFile(join(dir, 'config.json'), 'utf8')) as Record<
      string,
      unknown
    >;
    for (const key of ['hidden_size', 'd_model', 'dim', 'n_embd']) {
      const value = config[key];
      if (typeof value === 'number' && Number.isInteger(value) && value > 0) return value;
    }
  } catch {
    // An unreadable config: loading reports it properly.
  }
  return undefined;
}
