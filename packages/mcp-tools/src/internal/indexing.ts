import { isAbsolute, resolve } from 'node:path';
import { NellieError, type CodeIndexer, type IndexJob, type IndexJobMode } from '@nellie/core';
import { z } from 'zod';
import { audit } from './audit.ts';
import { formatProgress } from './format.ts';
import { indexJobViewSchema } from './schemas.ts';
import type { ToolCallContext, ToolDeps } from './tool.ts';

export const indexingUnavailableMessage =
  'Indexing is not available in this process: it was started without an indexer, so it can search ' +
  'and store lessons and checkpoints but cannot index. Index from a running Nellie server ' +
  '(`nellie serve`) or with `nellie index <dir>`; get_status still reports what is indexed.';

export function requireIndexer(deps: ToolDeps): CodeIndexer {
  if (deps.indexer === undefined) throw new NellieError('INDEX_FAILED', indexingUnavailableMessage);
  return deps.indexer;
}

/**
 * Turns a repository argument (absolute path or repository name) into a root path. Unknown names
 * are NOT_FOUND; unknown absolute paths are accepted only when `allowNew` is set.
 */
export async function resolveRepositoryRoot(
  deps: ToolDeps,
  value: string,
  options: { allowNew: boolean },
): Promise<string> {
  const absolute = isAbsolute(value);
  const key = absolute ? resolve(value) : value;
  const repository = await deps.store.getRepository(key);
  if (repository !== null) return repository.rootPath;
  if (absolute && options.allowNew) return key;

  const known = await deps.store.listRepositories();
  const list =
    known.length === 0
      ? 'No repository is indexed yet.'
      : `Indexed repositories: ${known
          .slice(0, 20)
          .map((item) => `${item.name} (${item.rootPath})`)
          .join(', ')}${known.length > 20 ? `, … ${known.length - 20} more` : ''}.`;
  const message = absolute
    ? `${key} is not an indexed repository; index it first with index_repo. ${list}`
    : `No indexed repository is named "${value}". ${list} To index a new directory, pass its absolute path to index_repo.`;
  throw new NellieError('NOT_FOUND', message);
}

export const startedJobOutputSchema = z.object({
  job: indexJobViewSchema,
  alreadyRunning: z
    .boolean()
    .describe(
      'True when a job for this repository was already queued or running and is returned instead of a new one.',
    ),
});

export interface StartedJob {
  job: IndexJob;
  alreadyRunning: boolean;
}

/** Queues a background job (or finds the one already active for the root) and audits it. */
export async function startIndexJob(
  deps: ToolDeps,
  context: ToolCallContext,
  rootPath: string,
  mode: IndexJobMode | undefined,
): Promise<StartedJob> {
  const indexer = requireIndexer(deps);
  const active = new Set(
    indexer
      .listJobs()
      .filter((job) => job.state === 'queued' || job.state === 'running')
      .map((job) => job.id),
  );
  const job = await indexer.startJob(mode === undefined ? { rootPath } : { rootPath, mode });
  const alreadyRunning = active.has(job.id);
  await audit(deps, context, {
    action: 'index.start',
    target: job.rootPath,
    details: { jobId: job.id, mode: job.mode, requestedMode: mode ?? null, alreadyRunning },
  });
  return { job, alreadyRunning };
}

/** How a started (or already active) job is reported to the model. */
export function describeStartedJob(started: StartedJob, requestedMode?: IndexJobMode): string {
  const { job } = started;
  const follow = `Follow it with get_index_status {"job_id": "${job.id}"}.`;
  if (!started.alreadyRunning) {
    return (
      `Started ${job.mode} index job ${job.id} for ${job.repository} (${job.rootPath}); it is ` +
      `${job.state} and runs in the background. ${follow}`
    );
  }
  const modeNote =
    requestedMode !== undefined && requestedMode !== job.mode
      ? ` It is ${job.mode === 'incremental' ? 'an' : 'a'} ${job.mode} job, not ${requestedMode}: call again once it has finished.`
      : '';
  return (
    `${job.mode === 'incremental' ? 'An' : 'A'} ${job.mode} index job for ${job.repository} (${job.rootPath}) is already ${job.state}, so ` +
    `no new job was started: ${job.id}, ${formatProgress(job.progress)}.${modeNote} ${follow}`
  );
}
