import { answerCodeSearch } from '@nellie/core';
import { signalOf } from '../internal/env.ts';
import type { RouteDeps } from '../internal/route-deps.ts';
import { defineRoute, type RouteDefinition } from '../internal/route-table.ts';
import {
  codeSearchBodySchema,
  codeSearchResultSchema,
  errorBodySchema,
  requestedMode,
} from '../internal/schemas.ts';

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
      body: codeSearchBodySchema,
      responses: {
        200: {
          description: 'Matching chunks or files, best first.',
          schema: codeSearchResultSchema,
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
