import type { Embedder, ModelStatus } from './embedder.ts';
import { NellieError } from './errors.ts';
import type { Logger } from './logger.ts';
import type { SearchMode, SearchRequestMode } from './search-vocabulary.ts';
import type { EmbeddingSink } from './store.ts';

/** What deciding on semantic search needs: the store's vectors, the embedder and its state. */
export interface SearchPreparationDeps {
  store: Pick<EmbeddingSink, 'embeddingModel'>;
  /** Absent when semantic search is off. */
  embedder?: Embedder | undefined;
  modelStatus(): ModelStatus;
  logger?: Logger;
}

export interface SemanticSearchState {
  enabled: boolean;
  /** A short clause for search notices, when off, e.g. `the embedding model is still loading`. */
  reason?: string;
  /** A full sentence for status output, saying how to turn semantic search on when it is off. */
  message: string;
}

const howToEnable =
  'To enable it, make an embedding model available (e.g. `nellie model pull`, or point ' +
  '--model-dir / NELLIE_MODEL_DIR at a model directory) and restart Nellie.';

/**
 * Whether queries can be embedded now: an embedder whose model is ready, and a store that holds
 * vectors of that same model. Every interface (REST, MCP, CLI, status) asks this one function.
 */
export function semanticSearchState(deps: SearchPreparationDeps): SemanticSearchState {
  const model = deps.modelStatus();
  const { embedder } = deps;
  const stored = deps.store.embeddingModel;
  if (model.state === 'loading') {
    return {
      enabled: false,
      reason: 'the embedding model is still loading',
      message: `The embedding model ${model.modelId} is loading; searches are keyword-only until it is ready.`,
    };
  }
  if (model.state !== 'ready' || embedder === undefined) {
    const failed = model.state === 'failed' ? ` (model ${model.modelId} failed to load)` : '';
    return {
      enabled: false,
      reason:
        model.state === 'failed'
          ? `the embedding model ${model.modelId} failed to load`
          : model.message !== undefined
            ? `semantic search is off. ${model.message.replace(/\.$/, '')}`
            : 'semantic search is off (no embedding model; the status says how to enable it)',
      message: `Semantic search is off${failed}; keyword search still works. ${model.message ?? howToEnable}`,
    };
  }
  if (stored === null) {
    return {
      enabled: false,
      reason: 'this store keeps no vectors',
      message:
        'Semantic search is off: the database was opened without vectors, so only keyword search ' +
        'works. Open it with the embedding model configured to enable semantic search.',
    };
  }
  if (stored.modelId !== embedder.modelId || stored.dimensions !== embedder.dimensions) {
    return {
      enabled: false,
      reason: `the store holds vectors of ${stored.modelId}, not of ${embedder.modelId}`,
      message:
        `Semantic search is off: the database holds vectors of ${stored.modelId} ` +
        `(${stored.dimensions} dimensions) but the loaded model is ${embedder.modelId} ` +
        `(${embedder.dimensions}). Use the same model, or reset the embeddings to switch models.`,
    };
  }
  return {
    enabled: true,
    message: `Semantic search is on: ${embedder.modelId} (${embedder.dimensions} dimensions).`,
  };
}

/** A search made ready to run: how it will be ranked, and why it is keyword-only when it is. */
export interface PreparedSearch {
  mode: SearchMode;
  /** The query's embedding, when the search is hybrid. */
  queryVector?: Float32Array;
  /** Set when semantic ranking was wanted but is not possible. */
  notice?: string;
}

/** Whether the searched scope holds any vector yet, and how a notice names that scope. */
export interface ScopeVectors {
  /** E.g. `repository "api"`, or `the index` for an unfiltered search. */
  scope: string;
  present(): Promise<boolean>;
}

/**
 * Prepares a search: with `mode: 'auto'` (the default) and semantic search on, embeds the query
 * ahead of any indexing backlog. Otherwise, when nothing in the searched scope is embedded yet
 * (`vectors`), or when embedding fails, the search is keyword-only and `notice` says why (a
 * `keyword` request gets no notice: it asked for exactly that). Only a cancelled request is
 * passed on as an error.
 */
export async function prepareSearch(
  deps: SearchPreparationDeps,
  query: string,
  options: { mode?: SearchRequestMode; signal?: AbortSignal; vectors?: ScopeVectors } = {},
): Promise<PreparedSearch> {
  if (options.mode === 'keyword') return { mode: 'keyword' };
  const state = semanticSearchState(deps);
  if (!state.enabled || deps.embedder === undefined) {
    return { mode: 'keyword', notice: `Keyword results only: ${state.reason}.` };
  }
  if (options.vectors !== undefined && !(await options.vectors.present())) {
    return {
      mode: 'keyword',
      notice:
        `Keyword results only: nothing in ${options.vectors.scope} is embedded with ` +
        `${deps.embedder.modelId} yet (its embeddings may still be in progress).`,
    };
  }
  try {
    const [queryVector] = await deps.embedder.embed([query], {
      priority: 'query',
      ...(options.signal === undefined ? {} : { signal: options.signal }),
    });
    if (queryVector === undefined) throw new Error('The embedder returned no vector.');
    return { mode: 'hybrid', queryVector };
  } catch (error) {
    if (options.signal?.aborted === true) throw error;
    const reason = NellieError.is(error)
      ? `${error.code}: ${error.message}`
      : 'unexpected embedder error';
    deps.logger?.warn(
      { code: NellieError.is(error) ? error.code : undefined, err: error },
      'Query embedding failed; falling back to keyword search',
    );
    return {
      mode: 'keyword',
      notice: `Keyword results only: embedding the query failed (${reason}).`,
    };
  }
}
