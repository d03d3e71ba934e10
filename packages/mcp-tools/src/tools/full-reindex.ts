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

export const fullReindexTool = defineTool({
  name: 'full_reindex',
  config: {
    title: 'Rebuild a repository index',
    description:
      'Re-read and re-chunk every file of an indexed repository, ignoring what is already ' +
      'indexed. Slow on large repositories; use it only when the index seems wrong or after ' +
      'changing index settings. Normally trigger_reindex (incremental) is enough. Returns at once ' +
      'with the job id and progress; follow with get_index_status.',
    inputSchema: z.strictObject({
      path: repositoryArgumentSchema(
        'Absolute root path or name of an indexed repository (see get_status for the list).',
      ),
    }),
    outputSchema: startedJobOutputSchema,
    annotations: {
      title: 'Rebuild a repository index',
      readOnlyHint: false,
      destructiveHint: false,
      idempotentHint: true,
      openWorldHint: false,
    },
  },
  createHandler: (deps) => async (args, context) => {
    requireIndexer(deps);
    const rootPath = await resolveRepositoryRoot(deps, args.path, { allowNew: false });
    const started = await startIndexJob(deps, context, rootPath, 'full');
    return { text: describeStartedJob(started, 'full'), data: started };
  },
});
