import { z } from 'zod';
import { plural, sampleList } from '../internal/format.ts';
import {
  describeStartedJob,
  requireIndexer,
  resolveRepositoryRoot,
  startIndexJob,
  type StartedJob,
} from '../internal/indexing.ts';
import { indexJobViewSchema, repositoryArgumentSchema } from '../internal/schemas.ts';
import type { ToolCallContext, ToolDeps, ToolOutput } from '../internal/tool.ts';
import { defineTool } from '../internal/tool.ts';

/** Paths listed per category in structured content; counts are always exact. */
const maxListedPaths = 200;
/** Paths named per category in the text. */
const maxNamedPaths = 10;

const indexModes = ['incremental', 'full', 'diff'] as const;

const outputSchema = z.object({
  job: indexJobViewSchema
    .nullable()
    .describe('The job started or already running; null when a diff found nothing to do.'),
  alreadyRunning: z.boolean(),
  diff: z
    .object({
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
      truncated: z.boolean(),
    })
    .optional()
    .describe('With mode diff: what differs between disk and index.'),
});
type Output = z.input<typeof outputSchema>;

export const indexRepoTool = defineTool({
  name: 'index_repo',
  config: {
    title: 'Index a repository',
    description:
      'Index a directory, or update an indexed one after edits, pulls or branch switches. mode: incremental (default; changed files), full (re-read all), diff (list changes, then apply). Runs in the background; follow with get_index_status.',
    inputSchema: z.strictObject({
      path: repositoryArgumentSchema('Absolute directory path, or an indexed repository name.'),
      mode: z.enum(indexModes).default('incremental'),
    }),
    outputSchema,
    annotations: {
      readOnlyHint: false,
      destructiveHint: false,
      idempotentHint: true,
      openWorldHint: false,
    },
  },
  createHandler: (deps) => async (args, context) => {
    requireIndexer(deps);
    if (args.mode === 'diff') return diffAndApply(deps, context, args.path);
    const rootPath = await resolveRepositoryRoot(deps, args.path, { allowNew: true });
    const requested = args.mode === 'full' ? 'full' : undefined;
    const started = await startIndexJob(deps, context, rootPath, requested);
    return { text: describeStartedJob(started, requested), data: started };
  },
});

/** Compares disk and index, then starts an incremental job when anything differs. */
async function diffAndApply(
  deps: ToolDeps,
  context: ToolCallContext,
  path: string,
): Promise<ToolOutput<Output>> {
  const indexer = requireIndexer(deps);
  const rootPath = await resolveRepositoryRoot(deps, path, { allowNew: false });
  const diff = await indexer.diff(rootPath, { signal: context.signal });
  const differs = diff.added.length + diff.changed.length + diff.deleted.length > 0;
  const started: StartedJob | null = differs
    ? await startIndexJob(deps, context, diff.rootPath, 'incremental')
    : null;

  const lines: string[] = [];
  if (started !== null) {
    lines.push(
      `${diff.repository} (${diff.rootPath}) differs from its index: ${diff.added.length} added, ` +
        `${diff.changed.length} changed, ${diff.deleted.length} deleted, ` +
        `${diff.unchanged} unchanged.`,
    );
    if (diff.added.length > 0) lines.push(`Added: ${sampleList(diff.added, maxNamedPaths)}`);
    if (diff.changed.length > 0) lines.push(`Changed: ${sampleList(diff.changed, maxNamedPaths)}`);
    if (diff.deleted.length > 0) lines.push(`Deleted: ${sampleList(diff.deleted, maxNamedPaths)}`);
    lines.push(describeStartedJob(started, 'incremental'));
  } else {
    lines.push(
      `${diff.repository} (${diff.rootPath}) is up to date: ` +
        `${plural(diff.unchanged, 'file')} unchanged since indexing. No job was started.`,
    );
  }
  return {
    text: lines.join('\n'),
    data: {
      job: started?.job ?? null,
      alreadyRunning: started?.alreadyRunning ?? false,
      diff: {
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
        truncated: [diff.added, diff.changed, diff.deleted].some(
          (paths) => paths.length > maxListedPaths,
        ),
      },
    },
  };
}
