import type { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import type { CodeIndexer, Logger } from '@nellie/core';
import { openEmbeddingModel } from '@nellie/embeddings';
import { createEmbeddingPump, createIndexer, type EmbeddingPump } from '@nellie/indexer';
import {
  allowedHostsFor,
  allowRootHint,
  explainIndexingRoots,
  explainModelSetting,
  embeddingModelOptions,
  indexingRoots,
  type ResolvedConfig,
} from './config.ts';
import { openStore } from './open-store.ts';
import { closeInOrder } from './internal/close-in-order.ts';
import { loadHttpModules, loadMcpModules, type McpModules } from './internal/lazy-modules.ts';
import { closeGracefully, listen, type Listener } from './internal/listen.ts';
import { announceModel, summarizeModel } from './internal/model-summary.ts';
import { describeStore } from './internal/store-description.ts';
import { isPostgresStore, type NellieRuntime, type RuntimeOptions } from './runtime.ts';
import { version } from './version.ts';

/**
 * The composition root: the only place that creates Nellie's parts (embedding model, store,
 * indexer, MCP servers, HTTP app and listener) and wires them together.
 */

const mcpInstructions =
  'Nellie is a code memory: search indexed repositories (search_code), keep lessons learned (add_lesson, search_lessons) and save or resume work with checkpoints (add_checkpoint, get_recent_checkpoints). get_status reports what is indexed and whether semantic search is on.';

/**
 * Opens the embedding model (loading in the background), the store and the indexer. Returns at
 * once: the model becomes ready (or fails) later, as `modelStatus()` reports.
 */
export async function openRuntime(
  config: ResolvedConfig,
  options: RuntimeOptions,
): Promise<NellieRuntime> {
  const { settings } = config;
  const { logger } = options;
  const model = await openEmbeddingModel(
    embeddingModelOptions(config, { logger, deferLoad: options.deferModelLoad ?? false }),
  ).catch((error: unknown) => {
    throw explainModelSetting(config, error);
  });
  // Servers log why semantic search is off; one-shot commands print a summary instead.
  const modelSettled = model.ready.then((status) => {
    if (options.announceModel) announceModel(logger, status);
    return status;
  });
  const { embedder } = model;
  const store = await openStore(settings, {
    logger,
    embedding: model.identity,
    ...(options.existingStore ? { existing: true } : {}),
  }).catch(async (error: unknown) => {
    await model.close();
    throw error;
  });
  let indexer: CodeIndexer | undefined;
  let embeddingPump: EmbeddingPump | undefined;
  let mcpModules: McpModules | undefined;
  const closeAll = (): Promise<void> =>
    closeInOrder(
      [
        ['indexer', indexer],
        ['embedding pump', embeddingPump],
        ['embedder', model],
        ['store', store],
      ],
      logger,
    );
  try {
    if (options.indexer) {
      // Fills in vectors for code, lessons and checkpoints alike.
      if (embedder && (options.embeddingPump ?? true)) {
        embeddingPump = createEmbeddingPump({ store, embedder, logger });
      }
      indexer = createIndexer({
        store,
        ...(embeddingPump ? { embeddingPump } : {}),
        logger,
        maxFileBytes: settings.maxFileBytes,
        include: settings.include,
        exclude: settings.exclude,
        defaultExcludes: settings.defaultExcludes,
        repositories: settings.repositories,
        allowedRoots: indexingRoots(settings, options.extraRoots),
        // The database, the model cache and the config file (API keys) are never read.
        protectedPaths: [settings.dataDir, ...(config.configFile ? [config.configFile] : [])],
        allowedRootsHint: allowRootHint,
        excludeSecretFiles: !settings.indexSecrets,
        // On a shared database, jobs are queued there and run by the server that claims them.
        ...(options.sharedJobs && isPostgresStore(store)
          ? {
              jobStore: store.jobs,
              jobLeaseMs: settings.jobLeaseSeconds * 1000,
              ...(options.claimOwnJobsAfterMs === undefined
                ? {}
                : { jobClaimOwnAfterMs: options.claimOwnJobsAfterMs }),
            }
          : {}),
      });
    }
    mcpModules = options.mcp ? await loadMcpModules() : undefined;
  } catch (error) {
    await closeAll();
    throw indexer ? error : explainIndexingRoots(error);
  }
  const createMcpServer = (actor?: string): McpServer => {
    if (!mcpModules) throw new Error('openRuntime was called without `mcp: true`.');
    const server = new mcpModules.McpServer(
      { name: 'nellie', title: 'Nellie', version },
      { instructions: mcpInstructions },
    );
    mcpModules.registerNellieTools(server, {
      store,
      ...(indexer ? { indexer } : {}),
      ...(embedder ? { embedder } : {}),
      modelStatus: () => model.status(),
      version,
      logger,
      actor: actor ?? options.actor ?? 'local',
    });
    return server;
  };

  let closing: Promise<void> | undefined;
  const close = (): Promise<void> => (closing ??= closeAll());

  return {
    settings,
    store,
    indexer,
    embedder,
    modelStatus: () => model.status(),
    modelSummary: () => summarizeModel(model.status(), settings.model),
    modelSettled,
    startModel: () => model.start(),
    createMcpServer,
    close,
  };
}

export interface HttpServerHandle extends Listener {
  /** Stops accepting, ends MCP streams, and waits for in-flight requests (up to `graceMs`). */
  close(graceMs: number): Promise<void>;
}

/** Serves the HTTP API (REST, MCP, probes, metrics) with Node's HTTP server. */
export async function startHttpServer(
  runtime: NellieRuntime,
  logger: Logger,
): Promise<HttpServerHandle> {
  const { settings } = runtime;
  const { createHttpApp, createAdaptorServer, Registry } = await loadHttpModules();
  const http = createHttpApp({
    store: runtime.store,
    ...(runtime.indexer ? { indexer: runtime.indexer } : {}),
    ...(runtime.embedder ? { embedder: runtime.embedder } : {}),
    modelStatus: () => runtime.modelStatus(),
    describeStore: () => describeStore(runtime.store),
    version,
    logger,
    registry: new Registry(),
    createMcpServer: (context) => runtime.createMcpServer(context.actor),
    apiKeys: settings.apiKeys,
    rateLimit:
      settings.rateLimit === 0
        ? false
        : { requestsPerMinute: settings.rateLimit, burst: settings.rateLimitBurst },
    maxBodyBytes: settings.maxBodyBytes,
    requestTimeoutMs: settings.requestTimeoutMs,
    corsOrigins: settings.corsOrigins,
    allowedHosts: allowedHostsFor(settings),
    authFailureLimit:
      settings.authFailureLimit === 0
        ? false
        : { failuresPerMinute: settings.authFailureLimit, burst: settings.authFailureLimit },
    // Several servers share a PostgreSQL database behind a load balancer: any of them must be
    // able to answer any MCP request, so none keeps sessions.
    mcpStateless: isPostgresStore(runtime.store),
    mcpSessionIdleTimeoutMs: settings.mcpSessionIdleMinutes * 60_000,
    mcpHandshakeTimeoutMs: settings.mcpHandshakeTimeoutMs,
    mcpMaxSessions: settings.mcpMaxSessions,
    mcpMaxSessionsPerClient: settings.mcpMaxSessionsPerClient,
  });
  const server = createAdaptorServer({ fetch: http.app.fetch, hostname: settings.host });
  if (!('closeIdleConnections' in server)) throw new Error('unexpected server type');
  const listener = await listen(server, settings.host, settings.port);
  server.on('error', (error) => logger.error({ err: error }, 'HTTP server error'));
  let closing: Promise<void> | undefined;
  return {
    ...listener,
    close(graceMs: number) {
      closing ??= closeGracefully(server, graceMs, () => http.close());
      return closing;
    },
  };
}
