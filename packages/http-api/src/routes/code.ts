import { answerCodeSearch } from '@nellie/core';
import { codeSearchQuerySchema, codeSearchResponseSchema, requestedMode } from '@nellie/schemas';
import { signalOf } from '../internal/env.ts';
import type { RouteDeps } from '../internal/route-deps.ts';
import { defineRoute, type RouteDefinition } from '../internal/route-table.ts';
import { errorBodySchema } from '../internal/schemas.ts';

export function codeRoutes(deps: RouteDeps): RouteDefinition[] {
  return [
    defineRoute({
      method: 'post',
      path: '/search/code',
      operationId: 'searchCode',
      summary: 'Search indexed code',
      description:
        'Hybrid keyword and semantic search over indexed code; keyword-only when semantic search is off. ' +
        'A repository, language or path glob that matches nothing indexed is a 404 naming what exists.',
      tag: 'code',
      body: codeSearchQuerySchema,
      responses: {
        200: {
          description: 'Matching chunks or files, best first.',
          schema: codeSearchResponseSchema,
        },
        400: { description: 'Invalid request.', schema: errorBodySchema },
        404: {
          description: 'The repository, language or path glob matches nothing indexed.',
          schema: errorBodySchema,
        },
      },
      async handler({ body, c }) {
        const answer = await answerCodeSearch(deps, {
          ...body,
          mode: requestedMode(body.mode),
          signal: signalOf(c),
        });
        return { status: 200, body: answer };
      },
    }),
  ];
}
