import {
  NellieError,
  type Embedder,
  type Logger,
  type ModelStatus,
  type NellieStore,
} from '@nellie/core';

export interface QueryEmbedding {
  vector?: Float32Array;
  mode: 'hybrid' | 'lexical';
  notice?: string;
}

/**
 * Embeds a search query ahead of any indexing work when semantic search is available. When it is
 * not, or embedding fails, the search runs on keywords alone and `notice` says why.
 */
export async function embedQuery(
  deps: {
    store: Pick<NellieStore, 'embeddingModel'>;
    embedder?: Embedder;
    modelStatus: () => ModelStatus;
    logger: Logger;
  },
  query: string,
  signal: AbortSignal,
): Promise<QueryEmbedding> {
  const { embedder, store } = deps;
  const status = deps.modelStatus();
  if (!embedder || status.state !== 'ready') {
    return {
      mode: 'lexical',
      notice:
        status.message ??
        (status.state === 'loading'
          ? 'The embedding model is still loading; results are keyword matches only.'
          : 'Semantic search is off; results are keyword matches only.'),
    };
  }
  const held = store.embeddingModel;
  if (!held || held.modelId !== embedder.modelId || held.dimensions !== embedder.dimensions) {
    return {
      mode: 'lexical',
      notice: held
        ? `The database holds vectors of ${held.modelId} but the server runs ${embedder.modelId}; results are keyword matches only.`
        : 'The database stores no vectors; results are keyword matches only.',
    };
  }
  try {
    const [vector] = await embedder.embed([query], { priority: 'query', signal });
    return vector ? { vector, mode: 'hybrid' } : { mode: 'lexical' };
  } catch (error) {
    if (signal.aborted) throw error;
    deps.logger.warn({ err: error }, 'embedding a search query failed; searching keywords only');
    const reason = NellieError.is(error) ? ` (${error.code})` : '';
    return {
      mode: 'lexical',
      notice: `Embedding the query failed${reason}; results are keyword matches only.`,
    };
  }
}
