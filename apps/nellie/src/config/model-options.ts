import { NellieError, type Logger } from '@nellie/core';
import type { OpenEmbeddingModelOptions } from '@nellie/embeddings';
import { modelCacheDir } from './data-dir.ts';
import { originText } from './errors.ts';
import type { ResolvedConfig } from './resolve-config.ts';
import { noModel } from './setting-table.ts';

const howToEnableSemanticSearch =
  'Keyword search still works. To turn semantic search on, set --model / NELLIE_MODEL to a model id and run `nellie model pull` (needs access to huggingface.co), ' +
  '`nellie model import <dir>` on an offline machine, or point --model-dir / NELLIE_MODEL_DIR at a model directory, then restart.';

/** The options of `openEmbeddingModel()` (and `planEmbeddingModel()`) for these settings. */
export function embeddingModelOptions(
  config: ResolvedConfig,
  handle: { logger: Logger; deferLoad?: boolean },
): OpenEmbeddingModelOptions {
  const { settings } = config;
  const { embeddingUrl, embeddingDimensions, embeddingApiKey } = settings;
  if (settings.embeddingProvider === 'openai' && settings.model !== noModel) {
    // resolveConfig has checked that the endpoint's settings are there.
    return {
      provider: 'openai',
      baseUrl: embeddingUrl!,
      model: settings.model,
      dimensions: embeddingDimensions!,
      ...(embeddingApiKey === undefined ? {} : { apiKey: embeddingApiKey }),
      ...handle,
    };
  }
  return {
    model: settings.model,
    dtype: 'q8',
    ...(settings.modelDir === undefined ? {} : { modelDir: settings.modelDir }),
    cacheDir: modelCacheDir(settings),
    allowRemote: !settings.offline,
    threads: settings.embeddingThreads,
    howToEnable: howToEnableSemanticSearch,
    ...handle,
  };
}

/** Names the model setting and where it came from in an `INVALID_OPTIONS` error about it. */
export function explainModelSetting(config: ResolvedConfig, error: unknown): unknown {
  if (!NellieError.is(error) || error.code !== 'INVALID_OPTIONS') return error;
  const origin = config.origins.model;
  const from = origin.source === 'default' ? '' : ` from ${originText(origin)}`;
  return new NellieError(
    'INVALID_OPTIONS',
    `Invalid model "${config.settings.model}"${from}: ${error.message}`,
    { cause: error },
  );
}
