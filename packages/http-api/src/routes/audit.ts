import { z } from 'zod';
import type { RouteDeps } from '../internal/route-deps.ts';
import { defineRoute, type RouteDefinition } from '../internal/route-table.ts';
import { auditEntrySchema, auditQuerySchema, errorBodySchema } from '../internal/schemas.ts';

export function auditRoutes(deps: RouteDeps): RouteDefinition[] {
  return [
    defineRoute({
      method: 'get',
      path: '/audit',
      operationId: 'listAudit',
      summary: 'The audit log of writes, newest first',
      description: 'Who (API key id, `local` or `anonymous`) changed what, and when.',
      tag: 'audit',
      query: auditQuerySchema,
      responses: {
        200: { description: 'Entries.', schema: z.array(auditEntrySchema) },
        400: { description: 'Invalid request.', schema: errorBodySchema },
      },
      async handler({ query }) {
        return { status: 200, body: await deps.store.listAudit(query) };
      },
    }),
  ];
}
