import { z } from 'zod';
import {
  describeStartedJob,
  requireIndexer,
  resolveRepositoryRoot,
  startIndexJob,
  startedJobOutputSchema,
} from '../internal/indexing.ts';
import { repositoryArgumentSchema } from '../internal/schemas.ts';
import { defineTool } from '../internal/tool.ts';

export const triggerReindexTool = defineTool({
  name: 'trigger_reindex',
  config: {
    title: 'Re-index changed files',
    description:
      'Bring an already indexed repository up to date after files changed: an incremental job ' +
      're-reads only files whose size, time or content changed and drops deleted ones. Cheap; use ' +
      'it after editing, pulling or switching branches. Returns at once with the job id and ' +
      'progress (follow with get_index_status). To see what changed first, use diff_index; to ' +
      'rebuild everything, full_reindex; for a new directory, index_repo.',
    inputSchema: z.strictObject({
      path: repositoryArgumentSchema(
        'Absolute root path or name of an indexed repository (see get_status for the list).',
      ),
    }),
    outputSchema: startedJobOutputSchema,
    annotations: {
      title: 'Re-index changed files',
      readOnlyHint: false,
      destructiveHint: false,
      idempotentHint: true,
      openWorldHint: false,
    },
  },
  createHandler: (deps) => async (args, context) => {
    requireIndexer(deps);
    const rootPath = await resolveRepositoryRoot(deps, args.path, { allowNew: false });
    const started = await startIndexJob(deps, context, rootPath, 'incremental');
    return { text: describeStartedJob(started, 'incremental'), data: started };
  },
});
