import { describeCheckpointChanges, limits } from '@nellie/core';
import {
  checkpointCodeFields,
  limitSchema,
  repositoryFilterSchema,
  resolveDeprecatedFields,
  withUnlistedDeprecatedFields,
} from '@nellie/schemas';
import { z } from 'zod';
import { checkpointHeadline, checkpointStatePreview } from '../internal/describe-memory.ts';
import { indent } from '../internal/format.ts';
import { agentSchema, checkpointViewSchema } from '../internal/schemas.ts';
import { defineTool, readOnly } from '../internal/tool.ts';

export const getRecentCheckpointsTool = defineTool({
  name: 'get_recent_checkpoints',
  config: {
    title: 'Recent checkpoints',
    description: 'Latest checkpoints, newest first, to resume work; pass your agent name.',
    inputSchema: withUnlistedDeprecatedFields({
      agent: agentSchema.optional().describe('Only this agent’s checkpoints.'),
      repository: repositoryFilterSchema.optional(),
      limit: limitSchema(limits.pageSize, 5),
    }),
    outputSchema: z.object({
      checkpoints: z.array(checkpointViewSchema.extend(checkpointCodeFields)),
    }),
    annotations: readOnly,
  },
  createHandler: (deps) => async (args) => {
    const repository = resolveDeprecatedFields(args).repository;
    const checkpoints = await deps.store.getRecentCheckpoints({
      limit: args.limit,
      ...(args.agent === undefined ? {} : { agent: args.agent }),
      ...(repository === undefined ? {} : { repository }),
    });
    const whose = args.agent === undefined ? '' : ` of agent "${args.agent}"`;
    const lines =
      checkpoints.length === 0
        ? [`No checkpoints${whose} yet. Save one with add_checkpoint.`]
        : [`${checkpoints.length} most recent checkpoints${whose}, newest first:`];
    checkpoints.forEach((checkpoint, index) => {
      lines.push(`${index + 1}. ${checkpointHeadline(checkpoint)}`);
      const state = checkpointStatePreview(checkpoint);
      if (state !== null) lines.push(indent([state]));
      const changes =
        checkpoint.changesSince === undefined
          ? null
          : describeCheckpointChanges(checkpoint.changesSince);
      if (changes !== null) lines.push(indent([changes]));
    });
    return { text: lines.join('\n'), data: { checkpoints } };
  },
});
