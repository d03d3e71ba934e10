import { NellieError, answerCheckpointSearch } from '@nellie/core';
import {
  checkpointSearchQuerySchema,
  requestedMode,
  resolveDeprecatedFields,
} from '@nellie/schemas';
import { z } from 'zod';
import { signalOf } from '../internal/env.ts';
import type { RouteDeps } from '../internal/route-deps.ts';
import { defineRoute, type RouteDefinition } from '../internal/route-table.ts';
import {
  checkpointCreateSchema,
  checkpointIdParams,
  checkpointRecentQuerySchema,
  checkpointSchema,
  checkpointSearchResultSchema,
  errorBodySchema,
} from '../internal/schemas.ts';

const invalid = { description: 'Invalid request.', schema: errorBodySchema };

export function checkpointRoutes(deps: RouteDeps): RouteDefinition[] {
  const { store } = deps;
  return [
    defineRoute({
      method: 'post',
      path: '/checkpoints',
      operationId: 'createCheckpoint',
      summary: "Save an agent's checkpoint",
      description:
        "Also updates the agent's status: in_progress, or idle when status is done. anchors tie it to code, whose staleness reads show (FORBIDDEN for a scoped key naming another repository).",
      tag: 'checkpoints',
      body: checkpointCreateSchema,
      responses: {
        201: { description: 'The stored checkpoint.', schema: checkpointSchema },
        400: invalid,
      },
      async handler({ body, c }) {
        const checkpoint = await store.addCheckpoint(resolveDeprecatedFields(body));
        await deps.audit(c, 'checkpoint.create', checkpoint.id, {
          agent: checkpoint.agent,
          status: checkpoint.status,
          repository: checkpoint.repository,
          ...(checkpoint.anchors ? { anchors: checkpoint.anchors.length } : {}),
        });
        return { status: 201, body: checkpoint };
      },
    }),
    // Registered before `/checkpoints/:id` so `recent` is not taken for an id.
    defineRoute({
      method: 'get',
      path: '/checkpoints/recent',
      operationId: 'recentCheckpoints',
      summary: 'Recent checkpoints, newest first',
      tag: 'checkpoints',
      query: checkpointRecentQuerySchema,
      responses: {
        200: { description: 'Checkpoints.', schema: z.array(checkpointSchema) },
        400: invalid,
      },
      async handler({ query }) {
        return {
          status: 200,
          body: await store.getRecentCheckpoints(resolveDeprecatedFields(query)),
        };
      },
    }),
    defineRoute({
      method: 'get',
      path: '/checkpoints/:id',
      operationId: 'getCheckpoint',
      summary: 'Get a checkpoint',
      tag: 'checkpoints',
      params: checkpointIdParams,
      responses: {
        200: { description: 'The checkpoint.', schema: checkpointSchema },
        404: { description: 'No checkpoint with this id.', schema: errorBodySchema },
      },
      async handler({ params }) {
        const checkpoint = await store.getCheckpoint(params.id);
        if (!checkpoint) {
          throw new NellieError('NOT_FOUND', `No checkpoint with id ${params.id}.`);
        }
        return { status: 200, body: checkpoint };
      },
    }),
    defineRoute({
      method: 'post',
      path: '/checkpoints/:id/confirm',
      operationId: 'confirmCheckpoint',
      summary: 'Confirm a checkpoint still holds',
      description:
        'Re-anchors the checkpoint to its code as it is now (state current); anchors whose code is gone are dropped. A checkpoint without anchors is returned as it is.',
      tag: 'checkpoints',
      params: checkpointIdParams,
      responses: {
        200: { description: 'The confirmed checkpoint.', schema: checkpointSchema },
        404: { description: 'No checkpoint with this id.', schema: errorBodySchema },
      },
      async handler({ params, c }) {
        const checkpoint = await store.confirmCheckpoint(params.id);
        await deps.audit(c, 'checkpoint.confirm', checkpoint.id, {
          anchors: checkpoint.anchors?.length ?? 0,
        });
        return { status: 200, body: checkpoint };
      },
    }),
    defineRoute({
      method: 'post',
      path: '/checkpoints/search',
      operationId: 'searchCheckpoints',
      summary: 'Search checkpoints',
      tag: 'checkpoints',
      body: checkpointSearchQuerySchema,
      responses: {
        200: {
          description: 'Matching checkpoints, best first.',
          schema: checkpointSearchResultSchema,
        },
        400: invalid,
      },
      async handler({ body, c }) {
        const { mode, ...filters } = resolveDeprecatedFields(body);
        const answer = await answerCheckpointSearch(deps, {
          ...filters,
          mode: requestedMode(mode),
          signal: signalOf(c),
        });
        return { status: 200, body: answer };
      },
    }),
  ];
}
