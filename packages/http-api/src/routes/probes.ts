import {
  NellieError,
  requireAllRepositories,
  requireScope,
  scopeIncludes,
  type Access,
  type ModelStatus,
} from '@nellie/core';
import type { Hono } from 'hono';
import type { Registry } from 'prom-client';
import type { StoreDescription } from '../app-options.ts';
import { accessOf, type HttpAppEnv } from '../internal/env.ts';
import type { MissingRepository } from '../internal/missing-repositories.ts';
import type { RouteDeps } from '../internal/route-deps.ts';
import { describeWriteFailure, type StoreWritability } from '../internal/store-writability.ts';
import { semanticSearchSummary } from './status.ts';

export interface ProbeDeps extends RouteDeps {
  registry: Registry;
  /** False once the app is closing. */
  serving: () => boolean;
  writability: StoreWritability;
  describeStore?: () => Promise<StoreDescription>;
}

function errorCode(error: unknown): string {
  return NellieError.is(error) ? error.code : 'INTERNAL';
}

/**
 * What `/ready` says about repositories whose root is gone: admin callers get their names (over
 * the repositories they see), everyone else only how many of the repositories they see are gone.
 */
function missingRepositoriesFor(
  access: Access,
  missing: readonly MissingRepository[],
): { missingRepositoryCount: number; missingRepositories?: MissingRepository[] } {
  const { repositories } = access;
  const seen =
    repositories === null ? missing : missing.filter(({ name }) => repositories.includes(name));
  return scopeIncludes(access.scope, 'admin')
    ? { missingRepositoryCount: seen.length, missingRepositories: [...seen] }
    : { missingRepositoryCount: seen.length };
}

/** `/health`: liveness; the process runs and the database answers a trivial read. */
export function registerHealth(app: Hono<HttpAppEnv>, deps: RouteDeps): void {
  app.get('/health', async (c) => {
    try {
      // A trivial read: proves the database answers without scanning anything large.
      await deps.store.listRepositories();
      return c.json({ status: 'healthy', version: deps.version, database: 'ok' }, 200);
    } catch (error) {
      deps.logger.error({ err: error, requestId: c.get('requestId') }, 'health check failed');
      return c.json(
        {
          status: 'unhealthy',
          version: deps.version,
          database: 'error',
          error: { code: errorCode(error), message: 'The database does not answer.' },
        },
        503,
      );
    }
  });
}

/** `/ready` (readiness) and `/metrics` (Prometheus). */
export function registerProbes(app: Hono<HttpAppEnv>, deps: ProbeDeps): void {
  app.get('/ready', async (c) => {
    let model: ModelStatus;
    try {
      model = deps.modelStatus();
    } catch (error) {
      deps.logger.warn({ err: error }, 'reading the model status failed');
      model = { state: 'failed', modelId: 'unknown', message: 'The model status is unavailable.' };
    }
    const semantic = semanticSearchSummary({ ...deps, modelStatus: () => model });
    const notReady = (database: Record<string, unknown>, message: string, code: string) =>
      c.json(
        {
          status: 'not_ready',
          version: deps.version,
          database,
          model,
          semanticSearch: semantic.semanticSearch,
          message,
          error: { code, message },
        },
        503,
      );
    if (!deps.serving()) {
      return notReady({ status: 'ok' }, 'The server is shutting down.', 'UNAVAILABLE');
    }
    try {
      const stats = await deps.stats.get();
      if (stats.schemaVersion < 1) {
        return notReady(
          { status: 'error', schemaVersion: stats.schemaVersion },
          'The database schema is not migrated yet.',
          'STORE_UNAVAILABLE',
        );
      }
      const writeFailure = deps.writability.reason;
      if (writeFailure !== null) {
        return notReady(
          {
            status: 'error',
            schemaVersion: stats.schemaVersion,
            writable: false,
            reason: writeFailure,
          },
          `The database refuses writes (${writeFailure}: ${describeWriteFailure(writeFailure)}); readiness returns once a write succeeds.`,
          'STORE_UNAVAILABLE',
        );
      }
      // A repository whose root is gone is reported, but does not make the server unready.
      const missing = missingRepositoriesFor(accessOf(c), await deps.missingRepositories.get());
      const description = deps.describeStore ? await deps.describeStore() : {};
      return c.json(
        {
          status: 'ready',
          version: deps.version,
          database: { status: 'ok', schemaVersion: stats.schemaVersion, ...description },
          model,
          ...semantic,
          ...missing,
        },
        200,
      );
    } catch (error) {
      deps.logger.error({ err: error, requestId: c.get('requestId') }, 'readiness check failed');
      return notReady(
        { status: 'error', message: 'The database does not answer.' },
        'The database is not usable.',
        errorCode(error),
      );
    }
  });

  app.get('/metrics', async (c) => {
    // The metrics count every repository's code and memories, so they need a key over all of
    // them (or no authentication).
    const access = accessOf(c);
    requireScope(access, 'admin', 'Reading the metrics');
    requireAllRepositories(access, 'Reading the metrics');
    const text = await deps.registry.metrics();
    return c.body(text, 200, { 'Content-Type': deps.registry.contentType });
  });
}
