import { NellieError } from '@nellie/core';
import { idSchema, limitSchema } from '@nellie/schemas';
import { z } from 'zod';
import { formatJob } from '../internal/format.ts';
import {
  describeIndexer,
  describeRepositories,
  repositoryView,
} from '../internal/describe-index.ts';
import { indexingUnavailableMessage, requireIndexer } from '../internal/indexing.ts';
import {
  indexerStatusViewSchema,
  indexJobViewSchema,
  repositoryViewSchema,
} from '../internal/schemas.ts';
import { defineTool, readOnly } from '../internal/tool.ts';

const outputSchema = z.object({
  indexingAvailable: z.boolean().describe('False when this process runs no indexer.'),
  indexer: indexerStatusViewSchema.nullable(),
  jobs: z.array(indexJobViewSchema).describe('Most recent first.'),
  repositories: z.array(repositoryViewSchema),
});

export const getIndexStatusTool = defineTool({
  name: 'get_index_status',
  config: {
    title: 'Index jobs and progress',
    description: 'Index jobs with progress and backlog; job_id follows one job.',
    inputSchema: z.strictObject({
      job_id: idSchema.optional().describe('One job; omit to list recent jobs.'),
      limit: limitSchema(100, 10).describe('How many recent jobs to list, 1 to 100 (default 10).'),
    }),
    outputSchema,
    annotations: readOnly,
  },
  createHandler: (deps) => async (args) => {
    const repositories = await deps.store.listRepositories();
    const repositoryViews = repositories.map(repositoryView);

    if (args.job_id !== undefined) {
      const indexer = requireIndexer(deps);
      // Read from the job store when jobs are shared, so any server answers what is current.
      const job = indexer.fetchJob
        ? await indexer.fetchJob(args.job_id)
        : indexer.getJob(args.job_id);
      if (job === null) {
        throw new NellieError(
          'NOT_FOUND',
          `No index job with id "${args.job_id}". Call get_index_status without job_id to list recent jobs.`,
        );
      }
      const status = indexer.status();
      return {
        text: formatJob(job),
        data: {
          indexingAvailable: true,
          indexer: status,
          jobs: [job],
          repositories: repositoryViews,
        },
      };
    }

    const lines: string[] = [];
    const indexer = deps.indexer;
    const status = indexer?.status() ?? null;
    const jobs = indexer?.listJobs().slice(0, args.limit) ?? [];
    if (status === null) {
      lines.push(indexingUnavailableMessage);
    } else {
      lines.push(describeIndexer(status));
      if (jobs.length === 0) {
        lines.push('No index jobs have run in this process yet.');
      } else {
        lines.push('Jobs, most recent first:', ...jobs.map((job) => `- ${formatJob(job)}`));
      }
    }
    lines.push(describeRepositories(repositories));
    return {
      text: lines.join('\n'),
      data: {
        indexingAvailable: status !== null,
        indexer: status,
        jobs,
        repositories: repositoryViews,
      },
    };
  },
});
