import { listRepositoryEntries, type RepositoryEntry } from '@nellie/core';
import { repositoryListSchema } from '@nellie/schemas';
import { z } from 'zod';
import { plural } from '../internal/format.ts';
import { repositoryEntryView } from '../internal/schemas.ts';
import { defineTool, readOnly } from '../internal/tool.ts';

function describeEntry(entry: RepositoryEntry): string {
  const indexed =
    entry.lastIndexedAt === null ? 'never indexed' : `last indexed ${entry.lastIndexedAt}`;
  const watched = entry.watched === true ? ', watched' : '';
  const missing = entry.state === 'missing' ? ' — MISSING: root directory is gone' : '';
  return (
    `- ${entry.name} (${entry.rootPath}): ${plural(entry.files, 'file')}, ` +
    `${plural(entry.chunks, 'chunk')} (${entry.chunksWithVectors} with vectors), ${indexed}${watched}${missing}`
  );
}

export const listRepositoriesTool = defineTool({
  name: 'list_repositories',
  config: {
    title: 'List repositories',
    description: 'Indexed repositories with counts, last index time and state.',
    inputSchema: z.strictObject({}),
    outputSchema: repositoryListSchema,
    annotations: readOnly,
  },
  createHandler: (deps) => async () => {
    const entries = await listRepositoryEntries(deps.store, deps.indexer);
    const text =
      entries.length === 0
        ? 'No repository is indexed yet; add one with index_repo.'
        : [`Repositories (${entries.length}):`, ...entries.map(describeEntry)].join('\n');
    return { text, data: { repositories: entries.map(repositoryEntryView) } };
  },
});
