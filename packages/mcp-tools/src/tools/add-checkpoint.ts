import { NellieError, limits } from '@nellie/core';
import {
  anchorReferencesSchema,
  jsonObjectSchema,
  parseAnchorReferences,
  resolveDeprecatedFields,
  storedTextSchema,
  withUnlistedDeprecatedFields,
} from '@nellie/schemas';
import { z } from 'zod';
import { audit } from '../internal/audit.ts';
import { describeAgentStatus } from '../internal/describe-memory.ts';
import {
  agentSchema,
  agentStatusViewSchema,
  checkpointStatusSchema,
  checkpointViewSchema,
} from '../internal/schemas.ts';
import { defineTool } from '../internal/tool.ts';

/** Largest state object accepted, as JSON. */
const maxStateBytes = limits.checkpointStateBytes;

export const addCheckpointTool = defineTool({
  name: 'add_checkpoint',
  config: {
    title: 'Save a checkpoint',
    description:
      'Save your place in a task to resume after a context reset; anchors as in add_lesson.',
    inputSchema: withUnlistedDeprecatedFields({
      agent: agentSchema,
      working_on: storedTextSchema('working_on', limits.checkpointWorkingOnLength).describe(
        'The task, in a sentence.',
      ),
      state: jsonObjectSchema
        .optional()
        .describe(`JSON to restore (max ${maxStateBytes / 1024} KiB).`),
      repository: storedTextSchema('repository', limits.repositoryLength)
        .optional()
        .describe('Repository, if any.'),
      session_id: storedTextSchema('session_id', limits.sessionIdLength)
        .optional()
        .describe('Your session id.'),
      status: checkpointStatusSchema.default('in_progress').describe('done: finished, agent idle.'),
      anchors: anchorReferencesSchema.optional(),
    }),
    outputSchema: z.object({
      checkpoint: checkpointViewSchema,
      agentStatus: agentStatusViewSchema,
    }),
    annotations: {
      readOnlyHint: false,
      destructiveHint: false,
      idempotentHint: false,
      openWorldHint: false,
    },
  },
  createHandler: (deps) => async (args, context) => {
    const state = args.state ?? {};
    const stateBytes = Buffer.byteLength(JSON.stringify(state), 'utf8');
    if (stateBytes > maxStateBytes) {
      throw new NellieError(
        'INVALID_INPUT',
        `state is ${Math.ceil(stateBytes / 1024)} KiB as JSON; the limit is ${maxStateBytes / 1024} KiB. ` +
          'Keep only what you need to resume (file paths and notes, not file contents).',
      );
    }
    const checkpoint = await deps.store.addCheckpoint({
      agent: args.agent,
      workingOn: args.working_on,
      state,
      repository: resolveDeprecatedFields(args).repository ?? null,
      sessionId: args.session_id ?? null,
      status: args.status,
      ...(args.anchors === undefined ? {} : { anchors: parseAnchorReferences(args.anchors) }),
    });
    await audit(deps, context, {
      action: 'checkpoint.create',
      target: checkpoint.id,
      details: {
        agent: checkpoint.agent,
        status: checkpoint.status,
        repository: checkpoint.repository,
        ...(checkpoint.anchors ? { anchors: checkpoint.anchors.length } : {}),
      },
    });
    const agentStatus = await deps.store.getAgentStatus(checkpoint.agent);
    return {
      text: `Saved checkpoint ${checkpoint.id} (${checkpoint.status}). ${describeAgentStatus(agentStatus)}`,
      data: { checkpoint, agentStatus },
    };
  },
});
