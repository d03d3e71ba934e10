import { existsSync, mkdirSync } from 'node:fs';
import type { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import { NellieError, type CodeIndexer, type Logger } from '@nellie/core';
import { openEmbeddingModel, type EmbeddingIdentity } from '@nellie/embeddings';
import { createEmbeddingPump, createIndexer, type EmbeddingPump } from '@nellie/indexer';
import { createSqliteStore } from '@nellie/storage';
import {
  allowedHostsFor,
  allowRootHint,
  explainIndexingRoots,
  explainModelSetting,
  databasePath,
  embeddingModelOptions,
  indexingRoots,
  type ResolvedConfig,
  type Settings,
} from './config.ts';
import { closeInOrder } from './internal/close-in-order.ts';
import { loadHttpModules, loadMcpModules, type McpModules } from './internal/lazy-modules.ts';
import { closeGracefully, listen, type Listener } from './internal/listen.ts';
import { announceModel, summarizeModel } from './internal/model-summary.ts';
import { describeStore } from './internal/store-description.ts';
import {
  isPostgresStore,
  type AppStore,
  type NellieRuntime,
  type RuntimeOptions,
} from './runtime.ts';
import { version } from './version.ts';

/**
 * The composition root: the only place that creates Nellie's parts (embedding model, store,
 * indexer, MCP servers, HTTP app and listener) and wires them together.
 */

const mcpInstructions =
  'Nellie is a code memory: search indexed repositories (search_code), keep lessons learned (add_lesson, search_lessons) and save or resume work with checkpoints (add_checkpoint, get_recent_checkpoints). get_status reports what is indexed and whether semantic search is on.';

/**
 * Opens the store: the PostgreSQL database when `database` is set, else the data directory's
 * SQLite file, creating the directory when needed — unless `existing` is set: commands that only
 * read (search, status, maintenance, backup) refuse a data directory without a database, since a
 * mistyped `--data-dir` must not look like an empty index.
 */
export async function openStore(
  settings: Settings,
  options: {
    logger: Logger;
    embedding?: EmbeddingIdentity | null;
    readonly?: boolean;
    existing?: boolean;
    /** Another database file than the data directory's (e.g. a backup being verified). */
    path?: string;
  },
): Promise<AppStore> {
  if (settings.database !== undefined && options.path === undefined) {
    return openPostgresStore(settings, options);
  }
  if (options.existing && options.path === undefined && !existsSync(databasePath(settings))) {
    throw new NellieError(
      'INVALID_OPTIONS',
      `No Nellie database in ${settings.dataDir}: check --data-dir (NELLIE_DATA_DIR), or index a repository first with \`nellie index <dir> --data-dir ${settings.dataDir}\`.`,
    );
  }
  if (!options.readonly) {
    try {
      mkdirSync(settings.dataDir, { recursive: true });
    } catch (error) {
      throw new NellieError(
        'STORE_UNAVAILABLE',
        `Cannot create the data directory ${settings.dataDir}: ${(error as Error).message}. Choose another with --data-dir or NELLIE_DATA_DIR.`,
        { cause: error },
      );
    }
  }
  return createSqliteStore({
    path: options.path ?? databasePath(settings),
    embedding: options.embedding ?? null,
    readonly: options.readonly ?? false,
    logger: options.logger,
  }).catch((error: unknown) => {
    throw explainDimensionMismatch(error, settings);
  });
}

/** The PostgreSQL store of `--database` (loaded only then: one-shot SQLite commands never load pg). */
async function openPostgresStore(
  settings: Settings,
  options: { logger: Logger; embedding?: EmbeddingIdentity | null },
): Promise<AppStore> {
  const { createPostgresStore } = await import('@nellie/postgres');
  return createPostgresStore({
    connectionString: settings.database!,
    schema: settings.databaseSchema,
    maxConnections: settings.databaseMaxConnections,
    vectorIndex: settings.databaseVectorIndex,
    embedding: options.embedding ?? null,
    logger: options.logger,
  }).catch((error: unknown) => {
    throw explainDimensionMismatch(error, settings);
  });
}

/**
 * Refuses a command that works on the SQLite file (backup, restore, resetting vectors) when the
 * store is PostgreSQL, saying what to use instead.
 */
export function refuseWithDatabase(settings: Settings, command: string, instead: string): void {
  if (settings.database === undefined) return;
  throw new NellieError(
    'INVALID_INPUT',
    `\`nellie ${command}\` works on the SQLite file of a data directory, but this Nellie keeps its data in PostgreSQL (--database / NELLIE_DATABASE_URL): ${instead} See docs/deployment/postgres.md.`,
  );
}

function explainDimensionMismatch(error: unknown, settings: Settings): unknown {
  if (!NellieError.is(error) || error.code !== 'DIMENSION_MISMATCH') return error;
  const reset =
    settings.database === undefined
      ? `run \`nellie model reset-vectors --data-dir ${settings.dataDir}\` (with the server stopped) to re-embed everything with the new model`
      : 'index afresh with the new model into another schema (--database-schema); resetting the vectors of a PostgreSQL store is not supported yet';
  return new NellieError(
    'DIMENSION_MISMATCH',
    `${error.message}\nWith the CLI: set --model / NELLIE_MODEL back to the model the database holds, or ${reset}.`,
    { cause: error },
  );
}

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
          ? { jobStore: store.jobs, jobLeaseMs: settings.jobLeaseSeconds * 1000 }
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
