import type { Logger, ModelStatus } from '@nellie/core';
import { noModel } from '@nellie/embeddings';

/** One line on semantic search, for command output. */
export function summarizeModel(status: ModelStatus, model: string): string {
  switch (status.state) {
    case 'ready':
      return `semantic search is on (${status.modelId}, ${status.dimensions ?? '?'} dimensions)`;
    case 'loading':
      return `the embedding model ${status.modelId} is still loading`;
    case 'failed':
      return `semantic search is off: the model failed to load (${(status.message ?? '').split('\n')[0]})`;
    case 'disabled':
      return model === noModel
        ? `semantic search is off (the model is set to "${noModel}")`
        : `semantic search is off: model ${model} was not found (\`nellie status\` shows where Nellie looked and how to enable it)`;
  }
}

/** Logs why semantic search is off, for servers. */
export function announceModel(logger: Logger, status: ModelStatus): void {
  if (status.state === 'disabled') {
    logger.warn({ modelId: status.modelId }, status.message ?? 'Semantic search is off');
  } else if (status.state === 'failed') {
    const reason = (status.message ?? '').split('\n')[0];
    const message = `Semantic search is off: the embedding model failed to load. ${reason}`;
    logger.error({ modelId: status.modelId }, message);
  }
}
