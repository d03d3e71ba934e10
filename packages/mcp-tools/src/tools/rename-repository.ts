import { renameRepository } from '@nellie/core';
import { renamedRepositorySchema, repositoryNameSchema } from '@nellie/schemas';
import { z } from 'zod';
import { audit } from '../internal/audit.ts';
import { repositoryArgSchema } from '../internal/schemas.ts';
import { defineTool } from '../internal/tool.ts';

export const renameRepositoryTool = defineTool({
  name: 'rename_repository',
  config: {
    title: 'Rename a repository',
    description: 'Give a repository a new unique name.',
    inputSchema: z.strictObject({
      repository: repositoryArgSchema,
      name: repositoryNameSchema.describe('The new name.'),
    }),
    outputSchema: renamedRepositorySchema,
    annotations: {
      readOnlyHint: false,
      destructiveHint: false,
      idempotentHint: true,
      openWorldHint: false,
    },
  },
  createHandler: (deps) => async (args, context) => {
    const before = await deps.store.getRepository(args.repository);
    const renamed = await renameRepository(deps.store, args.repository, args.name);
    const previousName = before?.name ?? args.repository;
    await audit(deps, context, {
      action: 'repository.rename',
      target: renamed.name,
      details: { previousName, rootPath: renamed.rootPath },
    });
    return {
      text: `Renamed repository ${previousName} to ${renamed.name} (${renamed.rootPath}).`,
      data: { name: renamed.name, rootPath: renamed.rootPath, previousName },
    };
  },
});
