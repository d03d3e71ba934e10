import { renameRepository } from '@nellie/core';
import { z } from 'zod';
import { audit } from '../internal/audit.ts';
import { repositoryArgSchema } from '../internal/repository-schemas.ts';
import { defineTool } from '../internal/tool.ts';

export const renameRepositoryTool = defineTool({
  name: 'rename_repository',
  config: {
    title: 'Rename a repository',
    description: 'Give a repository a new unique name.',
    inputSchema: z.strictObject({
      repository: repositoryArgSchema,
      name: z.string().trim().min(1).max(200).describe('The new name.'),
    }),
    outputSchema: z.object({ name: z.string(), rootPath: z.string(), previousName: z.string() }),
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
