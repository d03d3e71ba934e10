import { signalOf } from '../internal/env.ts';
import { embedQuery } from '../internal/query-embedding.ts';
import type { RouteDeps } from '../internal/route-deps.ts';
import { defineRoute, type RouteDefinition } from '../internal/route-table.ts';
import {
  codeSearchBodySchema,
  codeSearchResultSchema,
  errorBodySchema,
} from '../internal/schemas.ts';

export function codeRoutes(deps: RouteDeps): RouteDefinition[] {
  return [
    defineRoute({
      method: 'post',
      path: '/search/code',
      operationId: 'searchCode',
      summary: 'Search indexed code',
      description:
        'Hybrid keyword and semantic search over indexed code; keyword-only when semantic search is off.',
      tag: 'code',
      body: codeSearchBodySchema,
      responses: {
        200: { description: 'Matching chunks, best first.', schema: codeSearchResultSchema },
        400: { description: 'Invalid request.', schema: errorBodySchema },
      },
      async handler({ body, c }) {
        const signal = signalOf(c);
        const embedding = await embedQuery(deps, body.query, signal);
        const hits = await deps.store.searchCode({
          query: body.query,
          queryVector: embedding.vector,
          limit: body.limit,
          repository: body.repository,
          pathGlob: body.pathGlob,
          language: body.language,
          signal,
        });
        return {
          status: 200,
          body: {
            mode: embedding.mode,
            ...(embedding.notice ? { notice: embedding.notice } : {}),
            hits,
          },
        };
      },
    }),
  ];
}
