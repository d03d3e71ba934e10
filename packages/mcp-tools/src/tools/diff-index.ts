import { z } from 'zod';
import { plural, sampleList } from '../internal/format.ts';
import {
  describeStartedJob,
  requireIndexer,
  resolveRepositoryRoot,
  startIndexJob,
} from '../internal/indexing.ts';
import { indexJobViewSchema, repositoryArgumentSchema } from '../internal/schemas.ts';
import { defineTool } from '../internal/tool.ts';

/** Paths listed per category in structured content; counts are always exact. */
const maxListedPaths = 200;
/** Paths named per category in the text. */
const maxNamedPaths = 10;

const outputSchema = z.object({
  repository: z.string(),
  rootPath: z.string(),
  added: z.array(z.string()),
  changed: z.array(z.string()),
  deleted: z.array(z.string()),
  counts: z.object({
    added: z.number(),
    changed: z.number(),
    deleted: z.number(),
    unchanged: z.number(),
  }),
  truncated: z.boolean().describe(`True when a path list was cut to ${maxListedPaths} entries.`),
  job: indexJobViewSchema
    .nullable()
    .describe(
      'The incremental job started (or already running) to apply the changes; null when up to date.',
    ),
  alreadyRunning: z.boolean(),
});

export const diffIndexTool = defineTool({
  name: 'diff_index',
  config: {
    title: 'Compare disk and index',
    description:
      'Report which files of an indexed repository were added, changed or deleted on disk since ' +
      'they were indexed, then, if anything differs, start an incremental job that applies the ' +
      'changes (returns at once; follow with get_index_status). Use it to check whether search ' +
      'results can be trusted after edits, or to see what a re-index would touch. When the ' +
      'repository is up to date nothing is started.',
    inputSchema: z.strictObject({
      path: repositoryArgumentSchema(
        'Absolute root path or name of an indexed repository (see get_status for the list).',
      ),
    }),
    outputSchema,
    annotations: {
      title: 'Compare disk and index',
      readOnlyHint: false,
      destructiveHint: false,
      idempotentHint: true,
      openWorldHint: false,
    },
  },
  createHandler: (deps) => async (args, context) => {
    const indexer = requireIndexer(deps);
    const rootPath = await resolveRepositoryRoot(deps, args.path, { allowNew: false });
    const diff = await indexer.diff(rootPath, { signal: context.signal });
    const differs = diff.added.length + diff.changed.length + diff.deleted.length > 0;
    const started = differs
      ? await startIndexJob(deps, context, diff.rootPath, 'incremental')
      : null;

    const lines: string[] = [];
    if (differs) {
      lines.push(
        `${diff.repository} (${diff.rootPath}) differs from its index: ${diff.added.length} added, ` +
          `${diff.changed.length} changed, ${diff.deleted.length} deleted, ` +
          `${diff.unchanged} unchanged.`,
      );
      if (diff.added.length > 0) lines.push(`Added: ${sampleList(diff.added, maxNamedPaths)}`);
      if (diff.changed.length > 0)
        lines.push(`Changed: ${sampleList(diff.changed, maxNamedPaths)}`);
      if (diff.deleted.length > 0)
        lines.push(`Deleted: ${sampleList(diff.deleted, maxNamedPaths)}`);
      lines.push(describeStartedJob(started!, 'incremental'));
    } else {
      lines.push(
        `${diff.repository} (${diff.rootPath}) is up to date: ` +
          `${plural(diff.unchanged, 'file')} unchanged since indexing. No job was started.`,
      );
    }

    const truncated = [diff.added, diff.changed, diff.deleted].some(
      (paths) => paths.length > maxListedPaths,
    );
    return {
      text: lines.join('\n'),
      data: {
        repository: diff.repository,
        rootPath: diff.rootPath,
        added: diff.added.slice(0, maxListedPaths),
        changed: diff.changed.slice(0, maxListedPaths),
        deleted: diff.deleted.slice(0, maxListedPaths),
        counts: {
          added: diff.added.length,
          changed: diff.changed.length,
          deleted: diff.deleted.length,
          unchanged: diff.unchanged,
        },
        truncated,
        job: started?.job ?? null,
        alreadyRunning: started?.alreadyRunning ?? false,
      },
    };
  },
});
