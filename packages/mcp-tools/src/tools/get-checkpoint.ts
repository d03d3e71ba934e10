import { z } from 'zod';
import { checkpointFull } from '../internal/describe-memory.ts';
import { checkpointNotFound } from '../internal/not-found.ts';
import { checkpointViewSchema, idSchema } from '../internal/schemas.ts';
import { defineTool, readOnly } from '../internal/tool.ts';

export const getCheckpointTool = defineTool({
  name: 'get_checkpoint',
  config: {
    title: 'Read a checkpoint',
    description:
      'Read one checkpoint in full, including its saved JSON state, by the id that ' +
      'get_recent_checkpoints, search_checkpoints or get_agent_status returned. Use it to restore ' +
      'your working state when resuming.',
    inputSchema: z.strictObject({ id: idSchema.describe('The checkpoint id.') }),
    outputSchema: z.object({ checkpoint: checkpointViewSchema }),
    annotations: { ...readOnly, title: 'Read a checkpoint' },
  },
  createHandler: (deps) => async (args) => {
    const checkpoint = await deps.store.getCheckpoint(args.id);
    if (checkpoint === null) throw checkpointNotFound(args.id);
    return { text: checkpointFull(checkpoint), data: { checkpoint } };
  },
});
