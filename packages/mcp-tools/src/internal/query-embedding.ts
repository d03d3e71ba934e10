import { NellieError, type ModelStatus } from '@nellie/core';
import type { ToolDeps } from './tool.ts';

const howToEnable =
  'To enable it, make an embedding model available (e.g. `nellie model pull`, or point ' +
  '--model-dir / NELLIE_MODEL_DIR at a model directory) and restart Nellie.';

export interface SemanticAvailability {
  enabled: boolean;
  model: ModelStatus;
  /** A short reason for search notes, when disabled. */
  shortReason?: string;
  /** A full explanation for get_status, saying how to enable semantic search when it is off. */
  message: string;
}

/** Whether queries can be embedded now: an embedder, a ready model, and a store with its vectors. */
export function semanticAvailability(deps: ToolDeps): SemanticAvailability {
  const model = deps.modelStatus();
  const { embedder, store } = deps;
  const stored = store.embeddingModel;
  if (model.state === 'loading') {
    return {
      enabled: false,
      model,
      shortReason: 'the embedding model is still loading',
      message: `The embedding model ${model.modelId} is loading; searches are keyword-only until it is ready.`,
    };
  }
  if (model.state !== 'ready' || embedder === undefined) {
    const detail = model.message ?? howToEnable;
    const failed = model.state === 'failed' ? ` (model ${model.modelId} failed to load)` : '';
    return {
      enabled: false,
      model,
      shortReason: 'semantic search is off (get_status says how to enable it)',
      message: `Semantic search is off${failed}; keyword search still works. ${detail}`,
    };
  }
  if (stored === null) {
    return {
      enabled: false,
      model,
      shortReason: 'this store keeps no vectors',
      message:
        'Semantic search is off: the database was opened without vectors, so only keyword search ' +
        'works. Open it with the embedding model configured to enable semantic search.',
    };
  }
  if (stored.modelId !== embedder.modelId || stored.dimensions !== embedder.dimensions) {
    return {
      enabled: false,
      model,
      shortReason: `the store holds vectors of ${stored.modelId}, not of ${embedder.modelId}`,
      message:
        `Semantic search is off: the database holds vectors of ${stored.modelId} ` +
        `(${stored.dimensions} dimensions) but the loaded model is ${embedder.modelId} ` +
        `(${embedder.dimensions}). Use the same model, or reset the embeddings to switch models.`,
    };
  }
  return {
    enabled: true,
    model,
    message: `Semantic search is on: ${embedder.modelId} (${embedder.dimensions} dimensions).`,
  };
}

export interface QueryEmbedding {
  /** The query vector, when semantic ranking can be used. */
  vector?: Float32Array;
  mode: 'hybrid' | 'keyword';
  /** Why the results are keyword-only, when they are. */
  note?: string;
}

/**
 * Embeds a search query ahead of any indexing backlog, when semantic search is available. Any
 * embedding failure falls back to keyword search with a note saying so; only a cancelled request
 * is passed on.
 */
export async function embedQuery(
  deps: ToolDeps,
  query: string,
  signal: AbortSignal,
  tool: string,
): Promise<QueryEmbedding> {
  const availability = semanticAvailability(deps);
  if (!availability.enabled || deps.embedder === undefined) {
    return { mode: 'keyword', note: `Keyword results only: ${availability.shortReason}.` };
  }
  try {
    const [vector] = await deps.embedder.embed([query], { priority: 'query', signal });
    if (vector === undefined) throw new Error('The embedder returned no vector.');
    return { vector, mode: 'hybrid' };
  } catch (error) {
    if (signal.aborted) throw error;
    const reason = NellieError.is(error) ? error.message : 'unexpected embedder error';
    deps.logger.warn(
      { tool, code: NellieError.is(error) ? error.code : undefined, err: error },
      'Query embedding failed; falling back to keyword search',
    );
    return {
      mode: 'keyword',
      note: `Keyword results only: embedding the query failed (${reason}).`,
    };
  }
}
