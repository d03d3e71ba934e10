import {
  listRepositoryEntries,
  NellieError,
  removeRepository,
  renameRepository,
} from '@nellie/core';
import {
  fileExcerptSchema,
  renamedRepositorySchema,
  repositoryEntrySchema,
  repositoryListSchema,
} from '@nellie/schemas';
import { signalOf } from '../internal/env.ts';
import type { RouteDeps } from '../internal/route-deps.ts';
import { defineRoute, type RouteDefinition } from '../internal/route-table.ts';
import {
  errorBodySchema,
  fileReadQuerySchema,
  repositoryNameParams,
  repositoryRenameSchema,
} from '../internal/schemas.ts';

const invalid = { description: 'Invalid request.', schema: errorBodySchema };
const notFound = {
  description: 'No such repository (the message lists the indexed ones), or file not indexed.',
  schema: errorBodySchema,
};

export function repositoryRoutes(deps: RouteDeps): RouteDefinition[] {
  const { store } = deps;
  return [
    defineRoute({
      method: 'get',
      path: '/repositories',
      operationId: 'listRepositories',
      summary: 'Indexed repositories with counts, watch and root state',
      tag: 'repositories',
      responses: { 200: { description: 'Repositories by name.', schema: repositoryListSchema } },
      async handler() {
        const entries = await listRepositoryEntries(store, deps.indexer);
        return {
          status: 200,
          body: { repositories: entries.map(({ id: _id, ...entry }) => entry) },
        };
      },
    }),
    defineRoute({
      method: 'delete',
      path: '/repositories/:name',
      operationId: 'removeRepository',
      summary: 'Remove a repository from the index (files on disk are untouched)',
      description:
        'Stops watching it, cancels its index jobs, then deletes its files, chunks, full-text ' +
        'entries and the vectors nothing else uses.',
      tag: 'repositories',
      params: repositoryNameParams,
      responses: {
        200: { description: 'What was removed.', schema: repositoryEntrySchema },
        404: notFound,
      },
      async handler({ params, c }) {
        const { id: _id, ...removed } = await removeRepository(store, deps.indexer, params.name, {
          signal: signalOf(c),
        });
        await deps.audit(c, 'repository.remove', removed.name, {
          rootPath: removed.rootPath,
          files: removed.files,
          chunks: removed.chunks,
        });
        return { status: 200, body: removed };
      },
    }),
    defineRoute({
      method: 'patch',
      path: '/repositories/:name',
      operationId: 'renameRepository',
      summary: 'Rename a repository',
      tag: 'repositories',
      params: repositoryNameParams,
      body: repositoryRenameSchema,
      responses: {
        200: { description: 'The new name.', schema: renamedRepositorySchema },
        400: invalid,
        404: notFound,
        409: { description: 'The name is taken.', schema: errorBodySchema },
      },
      async handler({ params, body, c }) {
        const renamed = await renameRepository(store, params.name, body.name);
        const previousName = params.name;
        await deps.audit(c, 'repository.rename', renamed.name, {
          previousName,
          rootPath: renamed.rootPath,
        });
        return {
          status: 200,
          body: { name: renamed.name, rootPath: renamed.rootPath, previousName },
        };
      },
    }),
    defineRoute({
      method: 'get',
      path: '/repositories/:name/files',
      operationId: 'readRepositoryFile',
      summary: 'Read lines of an indexed file',
      description:
        'Only files that are indexed, only inside the repository root: `..`, absolute paths, ' +
        'NUL bytes and symlinks leading out are refused.',
      tag: 'repositories',
      params: repositoryNameParams,
      query: fileReadQuerySchema,
      responses: {
        200: { description: 'The lines and the total line count.', schema: fileExcerptSchema },
        400: invalid,
        404: notFound,
      },
      async handler({ params, query }) {
        if (!store.readIndexedFile) {
          throw new NellieError('INVALID_OPTIONS', 'This server’s store cannot read files.');
        }
        const excerpt = await store.readIndexedFile({
          repository: params.name,
          path: query.path,
          ...(query.start === undefined ? {} : { startLine: query.start }),
          ...(query.end === undefined ? {} : { endLine: query.end }),
        });
        return { status: 200, body: excerpt };
      },
    }),
  ];
}
