import {
  NellieError,
  isFullAccess,
  noopLogger,
  scopeIndexer,
  scopeStore,
  type Logger,
} from '@nellie/core';
import { Hono } from 'hono';
import { bodyLimit } from 'hono/body-limit';
import { cors } from 'hono/cors';
import { requestId } from 'hono/request-id';
import { matchedRoutes } from 'hono/route';
import { z } from 'zod';
import {
  httpAppOptionsSchema,
  type HttpAppOptions,
  type ResolvedHttpAppOptions,
} from './app-options.ts';
import { createErrorHandler, notFoundHandler } from './error-handler.ts';
import { authMiddleware } from './internal/auth.ts';
import { accessOf, actorOf, type AppContext, type HttpAppEnv } from './internal/env.ts';
import { HttpError } from './internal/http-error.ts';
import { McpSessionManager } from './internal/mcp-sessions.ts';
import { createOpenApiDocument } from './internal/openapi.ts';
import { hostGuard, originGuard } from './internal/request-guard.ts';
import { createTokenBucketLimiter, rateLimitMiddleware } from './internal/rate-limit.ts';
import type { RouteDeps } from './internal/route-deps.ts';
import { registerRoutes, type RouteDefinition } from './internal/route-table.ts';
import { routeScopes } from './internal/route-scopes.ts';
import { createMissingRepositoriesCache } from './internal/missing-repositories.ts';
import { createStatsCache } from './internal/stats-cache.ts';
import { createStoreWritability } from './internal/store-writability.ts';
import { createMetrics } from './metrics.ts';
import { agentRoutes } from './routes/agents.ts';
import { auditRoutes } from './routes/audit.ts';
import { checkpointRoutes } from './routes/checkpoints.ts';
import { codeRoutes } from './routes/code.ts';
import { hookRoutes } from './routes/hooks.ts';
import { indexJobRoutes } from './routes/index-jobs.ts';
import { lessonRoutes } from './routes/lessons.ts';
import { registerMcpRoutes } from './routes/mcp.ts';
import { registerHealth, registerProbes } from './routes/probes.ts';
import { repositoryRoutes } from './routes/repositories.ts';
import { statusRoutes } from './routes/status.ts';

/** The REST API's base path. */
export const apiBasePath = '/api/v1';

export interface HttpApp {
  /**
   * Serve it with any Hono adapter, e.g. `serve({ fetch: app.fetch })` from `@hono/node-server`,
   * or mount it in a larger app with `parent.route('/', app)`.
   */
  app: Hono;
  /** Closes every MCP session and unregisters the metrics. Leaves the store, indexer and embedder open. */
  close(): Promise<void>;
  [Symbol.asyncDispose](): Promise<void>;
}

const collaboratorNames = [
  'store',
  'indexer',
  'embedder',
  'modelStatus',
  'describeStore',
  'logger',
  'registry',
  'createMcpServer',
  'getClientAddress',
  'principals',
] as const;

function parseOptions(options: HttpAppOptions): ResolvedHttpAppOptions {
  const settings: Record<string, unknown> = { ...options };
  for (const name of collaboratorNames) delete settings[name];
  const result = httpAppOptionsSchema.safeParse(settings);
  if (!result.success) {
    throw new NellieError('INVALID_OPTIONS', z.prettifyError(result.error), {
      cause: result.error,
    });
  }
  const missing = (['store', 'modelStatus', 'registry', 'createMcpServer'] as const).filter(
    (name) => options[name] === undefined || options[name] === null,
  );
  if (missing.length > 0) {
    throw new NellieError('INVALID_OPTIONS', `createHttpApp needs ${missing.join(', ')}.`);
  }
  return { ...options, ...result.data };
}

/**
 * The route pattern that answers (or would have answered, had authentication or rate limiting
 * let the request through): the first matched route that is not middleware. Never the raw path,
 * so metrics labels stay bounded.
 */
function routeLabel(c: AppContext): string {
  return matchedRoutes(c).find((route) => route.method !== 'ALL')?.path ?? 'unmatched';
}

/** Routes that serve long-lived MCP streams; they are exempt from the request timeout. */
const mcpPaths = new Set(['/mcp', '/sse', '/messages']);
/** Polled by orchestrators and Prometheus; logged at debug level only. */
const probeRoutes = new Set(['/health', '/ready', '/metrics']);

/**
 * Nellie's HTTP API as a Hono app: REST under `/api/v1`, MCP over Streamable HTTP (`/mcp`) and
 * legacy SSE (`/sse`, `/messages`), `/health`, `/ready` and `/metrics`.
 */
export function createHttpApp(options: HttpAppOptions): HttpApp {
  const config = parseOptions(options);
  const logger: Logger = config.logger ?? noopLogger;
  const { store, indexer, embedder, registry } = config;
  const principals =
    config.principals === null ? undefined : (config.principals ?? store.principals);
  let serving = true;

  const stats = createStatsCache(store);
  const missingRepositories = createMissingRepositoriesCache(store);
  const writability = createStoreWritability({
    store,
    probeIntervalMs: config.storeProbeIntervalMs,
    logger,
  });
  const sessions = new McpSessionManager({
    createMcpServer: config.createMcpServer,
    idleTimeoutMs: config.mcpSessionIdleTimeoutMs,
    handshakeTimeoutMs: config.mcpHandshakeTimeoutMs,
    maxSessions: config.mcpMaxSessions,
    maxSessionsPerClient: config.mcpMaxSessionsPerClient,
    keepAliveMs: config.sseKeepAliveMs,
    maxBodyBytes: config.maxBodyBytes,
    logger,
  });
  const metrics = createMetrics({
    registry,
    stats,
    missingRepositories,
    indexer,
    embedder,
    mcpSessions: () => sessions.counts(),
    storeWritable: () => writability.writable,
    memoriesByState: () => store.countLessonsByStaleness(),
    ...(config.describeStore ? { describeStore: config.describeStore } : {}),
    collectDefaultMetrics: config.collectDefaultMetrics,
    logger,
  });

  const deps: RouteDeps = {
    store,
    indexer,
    embedder,
    modelStatus: config.modelStatus,
    logger,
    version: config.version,
    stats,
    missingRepositories,
    mcpSessions: () => sessions.counts(),
    async audit(c, action, target, details = null) {
      try {
        await store.recordAudit({ actor: actorOf(c), channel: 'http', action, target, details });
        writability.observeSuccess();
      } catch (error) {
        writability.observeFailure(error);
        // The write itself succeeded; failing the request now would invite a duplicate retry.
        logger.error(
          { err: error, requestId: c.get('requestId'), action, target },
          'recording an audit entry failed',
        );
      }
    },
  };

  const clientAddress = (c: AppContext): string | undefined =>
    config.getClientAddress
      ? config.getClientAddress(c.req.raw, c.env)
      : c.env?.incoming?.socket?.remoteAddress;
  /** Whom limits count against: the API key, or the client address without authentication. */
  const clientOf = (c: AppContext): string => {
    const keyId = c.get('keyId');
    return keyId !== undefined ? `key:${keyId}` : `address:${clientAddress(c) ?? 'unknown'}`;
  };

  const app = new Hono<HttpAppEnv>();
  const handleError = createErrorHandler(logger);
  app.onError((error, c) => {
    writability.observeFailure(error);
    return handleError(error, c);
  });
  app.notFound(notFoundHandler);

  app.use(requestId());
  app.use(async (c, next) => {
    const started = performance.now();
    await next();
    const seconds = (performance.now() - started) / 1000;
    const route = routeLabel(c);
    const status = c.res.status;
    metrics.observeRequest({ route, method: c.req.method, status }, seconds);
    const fields = {
      requestId: c.get('requestId'),
      method: c.req.method,
      route,
      path: c.req.path,
      status,
      durationMs: Math.round(seconds * 1000 * 10) / 10,
      actor: actorOf(c),
    };
    if (probeRoutes.has(route)) logger.debug(fields, 'request');
    else logger.info(fields, 'request');
  });
  app.use(hostGuard(config.allowedHosts));
  if (config.corsOrigins.length > 0) {
    app.use(
      cors({
        origin: config.corsOrigins.includes('*') ? '*' : config.corsOrigins,
        allowMethods: ['GET', 'POST', 'PATCH', 'DELETE', 'OPTIONS'],
        allowHeaders: [
          'Authorization',
          'X-API-Key',
          'Content-Type',
          'X-Request-Id',
          'Mcp-Session-Id',
          'Mcp-Protocol-Version',
          'Last-Event-ID',
        ],
        exposeHeaders: ['Mcp-Session-Id', 'Retry-After', 'X-Request-Id', 'WWW-Authenticate'],
        maxAge: 600,
      }),
    );
  }
  app.use(originGuard({ corsOrigins: config.corsOrigins, mcpPaths }));
  // Liveness is registered before authentication and rate limiting, which therefore never run
  // for it: orchestrators probe it without a key.
  registerHealth(app, deps);
  app.use(
    authMiddleware(
      config.apiKeys,
      config.authFailureLimit === false
        ? undefined
        : {
            limiter: createTokenBucketLimiter({
              requestsPerMinute: config.authFailureLimit.failuresPerMinute,
              burst:
                config.authFailureLimit.burst ??
                Math.max(1, Math.round(config.authFailureLimit.failuresPerMinute)),
            }),
            clientAddress,
            onBlocked: () => metrics.rateLimited(),
            onFailure: () => metrics.authFailed(),
          },
      principals,
    ),
  );
  if (config.rateLimit !== false) {
    const limiter = createTokenBucketLimiter({
      requestsPerMinute: config.rateLimit.requestsPerMinute,
      burst: config.rateLimit.burst ?? Math.max(1, Math.round(config.rateLimit.requestsPerMinute)),
    });
    app.use(
      rateLimitMiddleware({ limiter, clientKey: clientOf, onLimited: () => metrics.rateLimited() }),
    );
  }
  app.use(
    bodyLimit({
      maxSize: config.maxBodyBytes,
      onError: () => {
        throw new HttpError(
          413,
          'PAYLOAD_TOO_LARGE',
          `The request body is larger than the limit of ${config.maxBodyBytes} bytes.`,
        );
      },
    }),
  );
  app.use(async (c, next) => {
    // MCP streams live as long as their sessions; everything else gets the request timeout.
    if (mcpPaths.has(c.req.path)) {
      await next();
      return;
    }
    const controller = new AbortController();
    c.set('signal', AbortSignal.any([c.req.raw.signal, controller.signal]));
    let timer: ReturnType<typeof setTimeout> | undefined;
    const timedOut = new Promise<never>((_resolve, reject) => {
      timer = setTimeout(() => {
        const timeout = new HttpError(
          503,
          'TIMEOUT',
          `The request took longer than ${config.requestTimeoutMs} ms and was abandoned; try again or narrow it.`,
          { headers: { 'Retry-After': '1' } },
        );
        controller.abort(timeout);
        reject(timeout);
      }, config.requestTimeoutMs);
    });
    try {
      await Promise.race([next(), timedOut]);
    } finally {
      clearTimeout(timer);
    }
  });

  const buildRoutes = (routeDeps: RouteDeps): RouteDefinition[] => [
    ...codeRoutes(routeDeps),
    ...lessonRoutes(routeDeps),
    ...checkpointRoutes(routeDeps),
    ...agentRoutes(routeDeps),
    ...indexJobRoutes(routeDeps),
    ...repositoryRoutes(routeDeps),
    ...statusRoutes(routeDeps),
    ...auditRoutes(routeDeps),
    ...hookRoutes(routeDeps),
  ];
  const routes = buildRoutes(deps);
  registerRoutes(app, apiBasePath, routes, {
    scopes: routeScopes,
    // A caller with less than full access gets the same routes over views of the store and the
    // indexer that enforce its scope and repositories in every call the handler makes.
    async handlerFor(route, c) {
      const access = accessOf(c);
      if (isFullAccess(access)) return route.handler;
      const { repositories } = access;
      const scoped = buildRoutes({
        ...deps,
        missingRepositories:
          repositories === null
            ? deps.missingRepositories
            : {
                get: async () =>
                  (await deps.missingRepositories.get()).filter((missing) =>
                    repositories.includes(missing.name),
                  ),
              },
        store: scopeStore(store, access),
        indexer: indexer ? await scopeIndexer(indexer, store, access) : undefined,
      });
      return scoped.find((candidate) => candidate.operationId === route.operationId)!.handler;
    },
  });
  const openApi = createOpenApiDocument({
    version: config.version,
    base: apiBasePath,
    routes,
    authEnabled: config.apiKeys.length > 0 || principals !== undefined,
  });
  app.get(`${apiBasePath}/openapi.json`, (c) => {
    return c.json(openApi);
  });
  registerProbes(app, {
    ...deps,
    registry,
    serving: () => serving,
    writability,
    ...(config.describeStore ? { describeStore: config.describeStore } : {}),
  });
  registerMcpRoutes(app, sessions, {
    stateless: config.mcpStateless,
    clientOf,
    onRefused: (reason) => metrics.mcpSessionRefused(reason),
  });

  let closing: Promise<void> | undefined;
  const close = (): Promise<void> => {
    closing ??= (async () => {
      serving = false;
      writability.close();
      await sessions.close();
      metrics.remove();
    })();
    return closing;
  };
  // The context variables are internal; callers get a plain Hono app to serve or mount.
  return { app: app as unknown as Hono, close, [Symbol.asyncDispose]: close };
}
