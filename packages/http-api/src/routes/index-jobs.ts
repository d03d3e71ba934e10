import { NellieError, type CodeIndexer } from '@nellie/core';
import { z } from 'zod';
import { HttpError } from '../internal/http-error.ts';
import type { RouteDeps } from '../internal/route-deps.ts';
import { defineRoute, type RouteDefinition } from '../internal/route-table.ts';
import {
  errorBodySchema,
  indexJobCreateSchema,
  indexJobIdParams,
  indexJobSchema,
} from '../internal/schemas.ts';

const unavailable = {
  description: 'This server runs without an indexer.',
  schema: errorBodySchema,
};
const notFound = { description: 'No job with this id.', schema: errorBodySchema };

export function indexJobRoutes(deps: RouteDeps): RouteDefinition[] {
  const requireIndexer = (): CodeIndexer => {
    if (!deps.indexer) {
      throw new HttpError(
        503,
        'UNAVAILABLE',
        'Indexing is not available: this server was started without an indexer. Index with the CLI (`nellie index <dir>`) or run `nellie serve`.',
      );
    }
    return deps.indexer;
  };
  return [
    defineRoute({
      method: 'post',
      path: '/index/jobs',
      operationId: 'startIndexJob',
      summary: 'Start indexing a repository in the background',
      description:
        'Returns at once with the job; while a job for the same repository is queued or running, that job is returned instead.',
      tag: 'index',
      body: indexJobCreateSchema,
      responses: {
        202: { description: 'The job.', schema: indexJobSchema },
        400: { description: 'Invalid request or unreadable directory.', schema: errorBodySchema },
        403: {
          description:
            'The directory may not be indexed (PATH_NOT_ALLOWED): outside the allowed roots (`--allow-root`, `NELLIE_ALLOW_ROOTS`), a system directory or the data directory.',
          schema: errorBodySchema,
        },
        503: unavailable,
      },
      async handler({ body, c }) {
        const indexer = requireIndexer();
        const job = await indexer.startJob({ rootPath: body.path, mode: body.mode });
        await deps.audit(c, 'index.start', job.rootPath, { jobId: job.id, mode: job.mode });
        return { status: 202, body: job };
      },
    }),
    defineRoute({
      method: 'get',
      path: '/index/jobs',
      operationId: 'listIndexJobs',
      summary: 'Index jobs, most recent first',
      tag: 'index',
      responses: {
        200: { description: 'Jobs.', schema: z.array(indexJobSchema) },
        503: unavailable,
      },
      handler() {
        return { status: 200, body: requireIndexer().listJobs() };
      },
    }),
    defineRoute({
      method: 'get',
      path: '/index/jobs/:id',
      operationId: 'getIndexJob',
      summary: 'An index job and its progress',
      tag: 'index',
      params: indexJobIdParams,
      responses: {
        200: { description: 'The job.', schema: indexJobSchema },
        404: notFound,
        503: unavailable,
      },
      async handler({ params }) {
        // Read from the job store when jobs are shared, so any server answers what is current.
        const indexer = requireIndexer();
        const job = indexer.fetchJob
          ? await indexer.fetchJob(params.id)
          : indexer.getJob(params.id);
        if (!job) throw new NellieError('NOT_FOUND', `No index job with id ${params.id}.`);
        return { status: 200, body: job };
      },
    }),
    defineRoute({
      method: 'delete',
      path: '/index/jobs/:id',
      operationId: 'cancelIndexJob',
      summary: 'Cancel an index job',
      description: 'A finished job is returned unchanged.',
      tag: 'index',
      params: indexJobIdParams,
      responses: {
        200: { description: 'The job after cancellation.', schema: indexJobSchema },
        404: notFound,
        503: unavailable,
      },
      async handler({ params, c }) {
        // Cancelled where jobs are kept when they are shared, so a job another server queued or
        // runs a moment ago is found and cancelled at once.
        const indexer = requireIndexer();
        const job = indexer.cancelStoredJob
          ? await indexer.cancelStoredJob(params.id)
          : indexer.cancelJob(params.id);
        await deps.audit(c, 'index.cancel', job.rootPath, { jobId: job.id, state: job.state });
        return { status: 200, body: job };
      },
    }),
  ];
}
