import { idSchema } from '@nellie/schemas';
import { z } from 'zod';
import { checkpointFull } from '../internal/describe-memory.ts';
import { checkpointNotFound } from '../internal/not-found.ts';
import { checkpointViewSchema } from '../internal/schemas.ts';
import { defineTool, readOnly } from '../internal/tool.ts';

export const getCheckpointTool = defineTool({
  name: 'get_checkpoint',
  config: {
    title: 'Read a checkpoint',
    description: 'Read one checkpoint with its full JSON state, to restore your working state.',
    inputSchema: z.strictObject({ id: idSchema }),
    outputSchema: z.object({ checkpoint: checkpointViewSchema }),
    annotations: readOnly,
  },
  createHandler: (deps) => async (args) => {
    const checkpoint = await deps.store.getCheckpoint(args.id);
    if (checkpoint === null) throw checkpointNotFound(args.id);
    return { text: checkpointFull(checkpoint), data: { checkpoint } };
  },
});
