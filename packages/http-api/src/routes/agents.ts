import { z } from 'zod';
import type { RouteDeps } from '../internal/route-deps.ts';
import { defineRoute, type RouteDefinition } from '../internal/route-table.ts';
import { agentParams, agentStatusSchema } from '../internal/schemas.ts';

export function agentRoutes(deps: RouteDeps): RouteDefinition[] {
  return [
    defineRoute({
      method: 'get',
      path: '/agents',
      operationId: 'listAgents',
      summary: 'Every agent that saved a checkpoint, with its status',
      tag: 'agents',
      responses: { 200: { description: 'Agents.', schema: z.array(agentStatusSchema) } },
      async handler() {
        return { status: 200, body: await deps.store.listAgents() };
      },
    }),
    defineRoute({
      method: 'get',
      path: '/agents/:agent/status',
      operationId: 'getAgentStatus',
      summary: "An agent's status",
      description:
        'in_progress while the agent has open work, idle once it reports done; idle with nulls for an unknown agent.',
      tag: 'agents',
      params: agentParams,
      responses: { 200: { description: 'The status.', schema: agentStatusSchema } },
      async handler({ params }) {
        return { status: 200, body: await deps.store.getAgentStatus(params.agent) };
      },
    }),
  ];
}
