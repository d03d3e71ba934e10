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

export const indexRepoTool = defineTool({
  name: 'index_repo',
  config: {
    title: 'Index a repository',
    description:
      'Add a directory to the code index (or refresh it if already indexed) so search_code can ' +
      'find its code. Pass the absolute path of the repository root; .gitignore is respected. ' +
      'Starts a background job and returns at once with the job id and its progress; follow it ' +
      'with get_index_status. Use trigger_reindex or full_reindex for repositories already indexed. ' +
      'Only directories inside the roots the server allows can be indexed (PATH_NOT_ALLOWED ' +
      'otherwise); files named like secrets (.env, private keys) are never read.',
    inputSchema: z.strictObject({
      path: repositoryArgumentSchema(
        'Absolute path of the directory to index, e.g. /home/me/project (a known repository name also works).',
      ),
    }),
    outputSchema: startedJobOutputSchema,
    annotations: {
      title: 'Index a repository',
      readOnlyHint: false,
      destructiveHint: false,
      idempotentHint: true,
      openWorldHint: false,
    },
  },
  createHandler: (deps) => async (args, context) => {
    requireIndexer(deps);
    const rootPath = await resolveRepositoryRoot(deps, args.path, { allowNew: true });
    const started = await startIndexJob(deps, context, rootPath, undefined);
    return { text: describeStartedJob(started), data: started };
  },
});
