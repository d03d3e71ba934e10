import { NellieError } from '@nellie/core';
import { idSchema } from '@nellie/schemas';
import { z } from 'zod';
import { audit } from '../internal/audit.ts';
import { checkpointFull } from '../internal/describe-memory.ts';
import { checkpointNotFound } from '../internal/not-found.ts';
import { checkpointViewSchema } from '../internal/schemas.ts';
import { defineTool } from '../internal/tool.ts';

export const confirmCheckpointTool = defineTool({
  name: 'confirm_checkpoint',
  config: {
    title: 'Confirm a checkpoint',
    description:
      'After checking that a checkpoint still holds: its anchors take the code as it is now; those whose code is gone are dropped.',
    inputSchema: z.strictObject({ id: idSchema }),
    outputSchema: z.object({ checkpoint: checkpointViewSchema }),
    annotations: {
      readOnlyHint: false,
      destructiveHint: true,
      idempotentHint: true,
      openWorldHint: false,
    },
  },
  createHandler: (deps) => async (args, context) => {
    let checkpoint;
    try {
      checkpoint = await deps.store.confirmCheckpoint(args.id);
    } catch (error) {
      if (NellieError.is(error) && error.code === 'NOT_FOUND') throw checkpointNotFound(args.id);
      throw error;
    }
    await audit(deps, context, {
      action: 'checkpoint.confirm',
      target: checkpoint.id,
      details: { anchors: checkpoint.anchors?.length ?? 0 },
    });
    return { text: `Confirmed.\n${checkpointFull(checkpoint)}`, data: { checkpoint } };
  },
});
