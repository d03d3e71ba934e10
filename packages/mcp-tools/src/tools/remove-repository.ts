import { removeRepository } from '@nellie/core';
import { repositoryEntrySchema } from '@nellie/schemas';
import { z } from 'zod';
import { audit } from '../internal/audit.ts';
import { plural } from '../internal/format.ts';
import { repositoryArgSchema, repositoryEntryView } from '../internal/schemas.ts';
import { defineTool } from '../internal/tool.ts';

export const removeRepositoryTool = defineTool({
  name: 'remove_repository',
  config: {
    title: 'Remove a repository',
    description:
      'Remove a repository from the index (files on disk are untouched); index_repo adds it back.',
    inputSchema: z.strictObject({ repository: repositoryArgSchema }),
    outputSchema: z.object({ removed: repositoryEntrySchema }),
    annotations: {
      readOnlyHint: false,
      destructiveHint: true,
      idempotentHint: false,
      openWorldHint: false,
    },
  },
  createHandler: (deps) => async (args, context) => {
    const removed = await removeRepository(deps.store, deps.indexer, args.repository, {
      signal: context.signal,
    });
    await audit(deps, context, {
      action: 'repository.remove',
      target: removed.name,
      details: { rootPath: removed.rootPath, files: removed.files, chunks: removed.chunks },
    });
    return {
      text:
        `Removed repository ${removed.name} (${removed.rootPath}): ` +
        `${plural(removed.files, 'file')}, ${plural(removed.chunks, 'chunk')}.`,
      data: { removed: repositoryEntryView(removed) },
    };
  },
});
