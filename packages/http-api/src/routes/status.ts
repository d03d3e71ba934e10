import { semanticSearchState, type SearchPreparationDeps } from '@nellie/core';
import type { RouteDeps } from '../internal/route-deps.ts';
import { defineRoute, type RouteDefinition } from '../internal/route-table.ts';
import { statusSchema } from '../internal/schemas.ts';

/** Whether semantic search is on, and a sentence saying why not when it is off. */
export function semanticSearchSummary(deps: SearchPreparationDeps): {
  semanticSearch: 'on' | 'off';
  message?: string;
} {
  const state = semanticSearchState(deps);
  return state.enabled
    ? { semanticSearch: 'on' }
    : { semanticSearch: 'off', message: state.message };
}

export function statusRoutes(deps: RouteDeps): RouteDefinition[] {
  return [
    defineRoute({
      method: 'get',
      path: '/status',
      operationId: 'getStatus',
      summary: 'Counts, index freshness, model state and version',
      tag: 'status',
      responses: { 200: { description: 'Status.', schema: statusSchema } },
      async handler() {
        const model = deps.modelStatus();
        const [store, missingRepositories] = await Promise.all([
          deps.store.stats(),
          deps.missingRepositories.get(),
        ]);
        return {
          status: 200,
          body: {
            version: deps.version,
            ...semanticSearchSummary({ ...deps, modelStatus: () => model }),
            model,
            store,
            missingRepositories,
            indexer: deps.indexer?.status() ?? null,
            embeddingQueueDepth: deps.embedder?.queueDepth?.() ?? 0,
            mcpSessions: deps.mcpSessions(),
          },
        };
      },
    }),
  ];
}
