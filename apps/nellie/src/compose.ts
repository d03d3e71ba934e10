import { existsSync, mkdirSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import type { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import {
  NellieError,
  type CodeIndexer,
  type Embedder,
  type Logger,
  type ModelStatus,
} from '@nellie/core';
import { createLocalEmbedder, resolveModel, type ResolvedModel } from '@nellie/embeddings';
import { createIndexer } from '@nellie/indexer';
import { createSqliteStore, type SqliteStore } from '@nellie/storage';
import {
  allowedHostsFor,
  allowRootHint,
  databasePath,
  indexingRoots,
  modelCacheDir,
  noModel,
  type ResolvedConfig,
  type Settings,
} from './config.ts';
import { createBackgroundEmbedder } from './internal/background-embedder.ts';
import { version } from './version.ts';

/**
 * The composition root: the only place that creates Nellie's parts (store, embedder, indexer,
 * MCP servers, HTTP app and listener) and wires them together. The MCP and HTTP modules are
 * imported only by the commands that serve them, so one-shot commands start quickly.
 */

async function loadMcpModules() {
  const [{ McpServer }, { registerNellieTools }] = await Promise.all([
    import('@modelcontextprotocol/sdk/server/mcp.js'),
    import('@nellie/mcp-tools'),
  ]);
  return { McpServer, registerNellieTools };
}

async function loadHttpModules() {
  const [{ createHttpApp }, { createAdaptorServer }, { Registry }] = await Promise.all([
    import('@nellie/http-api'),
    import('@hono/node-server'),
    import('prom-client'),
  ]);
  return { createHttpApp, createAdaptorServer, Registry };
}

/** The model weights the app loads. */
const dtype = 'q8';

/** Vector widths of models whose files may not be on disk yet (they are downloaded on start). */
const knownDimensions: Record<string, number> = {
  'Xenova/all-MiniLM-L6-v2': 384,
  'sentence-transformers/all-MiniLM-L6-v2': 384,
};

const howToEnable =
  'Keyword search still works. To turn semantic search on, run `nellie model pull` (needs access to huggingface.co), ' +
  '`nellie model import <dir>` on an offline machine, or point --model-dir / NELLIE_MODEL_DIR at a model directory, then restart.';

/** What the app will do about the embedding model. */
export type ModelPlan =
  | { kind: 'disabled'; status: ModelStatus }
  | {
      kind: 'load';
      modelId: string;
      dimensions: number;
      resolved: ResolvedModel;
    };

/** The embedder's model id for the configured model (the id vectors are stored under). */
export function modelIdFor(model: string): string {
  return `${model}@${dtype}`;
}

async function readDimensions(dir: string): Promise<number | undefined> {
  try {
    const config = JSON.parse(await readFile(path.join(dir, 'config.json'), 'utf8')) as Record<
      string,
      unknown
    >;
    for (const key of ['hidden_size', 'd_model', 'dim', 'n_embd']) {
      const value = config[key];
      if (typeof value === 'number' && Number.isInteger(value) && value > 0) return value;
    }
  } catch {
    // Unreadable config: the loader reports it properly.
  }
  return undefined;
}

function modelOptions(settings: Settings) {
  return {
    model: settings.model,
    dtype,
    ...(settings.modelDir === undefined ? {} : { modelDir: settings.modelDir }),
    cacheDir: modelCacheDir(settings),
    allowRemote: !settings.offline,
  } as const;
}

/**
 * Finds the model files without loading them, so the store can be opened with the model's id
 * and width at once while the model loads in the background.
 */
export async function planModel(config: ResolvedConfig): Promise<ModelPlan> {
  const { settings } = config;
  const modelId = settings.model === noModel ? noModel : modelIdFor(settings.model);
  if (settings.model === noModel) {
    return {
      kind: 'disabled',
      status: {
        state: 'disabled',
        modelId,
        message: `Semantic search is off because the model is set to "${noModel}". ${howToEnable.replace(', then restart', ', set --model / NELLIE_MODEL to a model id, then restart')}`,
      },
    };
  }
  let resolved: ResolvedModel;
  try {
    resolved = await resolveModel(modelOptions(settings));
  } catch (error) {
    if (NellieError.is(error) && error.code === 'MODEL_NOT_FOUND') {
      return {
        kind: 'disabled',
        status: {
          state: 'disabled',
          modelId,
          message: `Semantic search is off: ${error.message}\nKeyword search still works; restart Nellie once the model is in place.`,
        },
      };
    }
    if (NellieError.is(error) && error.code === 'INVALID_OPTIONS') {
      const origin = config.origins.model;
      throw new NellieError(
        'INVALID_OPTIONS',
        `Invalid model "${settings.model}"${origin.source === 'default' ? '' : ` from ${origin.source} ${origin.name}`}: ${error.message}`,
        { cause: error },
      );
    }
    throw error;
  }
  if (resolved.static) {
    // A distilled static model names its own vectors' id and width.
    return { kind: 'load', ...resolved.static, resolved };
  }
  const dimensions =
    resolved.source === 'remote'
      ? knownDimensions[settings.model]
      : await readDimensions(resolved.dir);
  if (dimensions === undefined) {
    // Without the width the store cannot be opened for vectors; load (and download) first.
    return { kind: 'load', modelId, dimensions: 0, resolved };
  }
  return { kind: 'load', modelId, dimensions, resolved };
}

/** One line on semantic search, for command output. */
export function summarizeModel(status: ModelStatus, model: string): string {
  switch (status.state) {
    case 'ready':
      return `semantic search is on (${status.modelId}, ${status.dimensions ?? '?'} dimensions)`;
    case 'loading':
      return `the embedding model ${status.modelId} is still loading`;
    case 'failed':
      return `semantic search is off: the model failed to load (${(status.message ?? '').split('\n')[0]})`;
    case 'disabled':
      return model === noModel
        ? `semantic search is off (the model is set to "${noModel}")`
        : `semantic search is off: model ${model} was not found (\`nellie status\` shows where Nellie looked and how to enable it)`;
  }
}

/**
 * Opens the data directory's database, creating the directory when needed — unless `existing`
 * is set: commands that only read (search, status, maintenance, backup) refuse a data directory
 * without a database, since a mistyped `--data-dir` must not look like an empty index.
 */
export async function openStore(
  settings: Settings,
  options: {
    logger: Logger;
    embedding?: { modelId: string; dimensions: number } | null;
    readonly?: boolean;
    existing?: boolean;
    /** Another database file than the data directory's (e.g. a backup being verified). */
    path?: string;
  },
): Promise<SqliteStore> {
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
  try {
    return await createSqliteStore({
      path: options.path ?? databasePath(settings),
      embedding: options.embedding ?? null,
      readonly: options.readonly ?? false,
      logger: options.logger,
    });
  } catch (error) {
    if (NellieError.is(error) && error.code === 'DIMENSION_MISMATCH') {
      throw new NellieError(
        'DIMENSION_MISMATCH',
        `${error.message}\nWith the CLI: set --model / NELLIE_MODEL back to the model the database holds, or run \`nellie model reset-vectors --data-dir ${settings.dataDir}\` (with the server stopped) to re-embed everything with the new model.`,
        { cause: error },
      );
    }
    throw error;
  }
}

export interface NellieRuntime {
  readonly settings: Settings;
  readonly store: SqliteStore;
  /** Absent when the runtime was opened without indexing. */
  readonly indexer: CodeIndexer | undefined;
  /** Absent when semantic search is off; may still be loading (see `modelStatus`). */
  readonly embedder: Embedder | undefined;
  modelStatus(): ModelStatus;
  /** One line on semantic search for command output, e.g. `semantic search is on (…)`. */
  modelSummary(): string;
  /** Resolves once the model is ready, has failed, or is disabled. */
  readonly modelSettled: Promise<ModelStatus>;
  /** Starts loading the model when the runtime was opened with `deferModelLoad`. */
  startModel(): void;
  /** A new MCP server with Nellie's tools, for one session or one stdio connection. */
  createMcpServer(actor?: string): McpServer;
  /** Stops indexing, the embedder and the store, in that order. */
  close(): Promise<void>;
}

export interface RuntimeOptions {
  logger: Logger;
  /** Create an indexer (index jobs, watchers). */
  indexer: boolean;
  /**
   * Let this process fill in missing vectors. Off for `nellie mcp` beside a running server, which
   * already does it; the model is still loaded for queries.
   */
  embeddingPump?: boolean;
  /** Audit actor for MCP calls without auth info. */
  actor?: string;
  /** Load the MCP modules so `createMcpServer` works (serve and mcp). */
  mcp?: boolean;
  /** Log the model's state (servers do; one-shot commands print it themselves). */
  announceModel?: boolean;
  /** Wait for `startModel()` before loading the model (servers call it once they listen). */
  deferModelLoad?: boolean;
  /** Directories the user named on the command line, which may be indexed too. */
  extraRoots?: readonly string[];
  /** Refuse a data directory without a database (commands that only read). */
  existingStore?: boolean;
}

/**
 * Opens the store and, in the background, the embedding model; creates the indexer. Returns at
 * once: the model becomes ready (or fails) later, as `modelStatus()` reports.
 */
export async function openRuntime(
  config: ResolvedConfig,
  options: RuntimeOptions,
): Promise<NellieRuntime> {
  const { settings } = config;
  const { logger } = options;
  let plan: ModelPlan = await planModel(config);

  let status: ModelStatus =
    plan.kind === 'disabled' ? plan.status : { state: 'loading', modelId: plan.modelId };
  const abort = new AbortController();
  let loading: Promise<Embedder> | undefined;
  let startModel: () => void = () => {};

  const startLoading = (expectedDimensions: number | undefined): Promise<Embedder> => {
    if (plan.kind !== 'load') throw new Error('unreachable');
    const resolved = plan.resolved;
    const promise = createLocalEmbedder({
      model: settings.model,
      dtype,
      ...(settings.modelDir === undefined ? {} : { modelDir: settings.modelDir }),
      cacheDir: modelCacheDir(settings),
      allowRemote: !settings.offline,
      threads: settings.embeddingThreads,
      ...(expectedDimensions === undefined ? {} : { dimensions: expectedDimensions }),
      logger,
      signal: abort.signal,
      onStatusChange: (next) => {
        status = next;
      },
    });
    logger.info(
      { model: settings.model, source: resolved.source, dir: resolved.dir },
      resolved.source === 'remote'
        ? 'Downloading and loading the embedding model in the background'
        : 'Loading the embedding model in the background',
    );
    return promise;
  };

  if (plan.kind === 'load' && plan.dimensions === 0) {
    // A model whose width is unknown until its files are here: load it before opening the store.
    logger.info({ model: settings.model }, 'Fetching the embedding model before opening the store');
    try {
      const embedder = await startLoading(undefined);
      plan = { ...plan, dimensions: embedder.dimensions, modelId: embedder.modelId };
      loading = Promise.resolve(embedder);
    } catch (error) {
      status = {
        state: 'failed',
        modelId: plan.modelId,
        message: `${NellieError.is(error) ? error.message : String(error)} ${howToEnable}`,
      };
      plan = { kind: 'disabled', status };
    }
  }

  const embedding =
    plan.kind === 'load' ? { modelId: plan.modelId, dimensions: plan.dimensions } : null;
  const store = await openStore(settings, {
    logger,
    embedding,
    ...(options.existingStore ? { existing: true } : {}),
  });

  let embedder: Embedder | undefined;
  let modelSettled: Promise<ModelStatus>;
  if (plan.kind === 'load') {
    const identity = { modelId: plan.modelId, dimensions: plan.dimensions };
    if (!loading) {
      const dimensions = plan.dimensions;
      // Servers start loading once they listen, so loading the model (worker threads, ONNX
      // sessions) does not compete with start-up for the CPU.
      const gate = new Promise<void>((resolve) => (startModel = resolve));
      loading = gate.then(() => startLoading(dimensions));
      if (!options.deferModelLoad) startModel();
    }
    const checked = loading.then(async (loaded) => {
      if (loaded.modelId !== identity.modelId || loaded.dimensions !== identity.dimensions) {
        await loaded.close();
        throw new NellieError(
          'DIMENSION_MISMATCH',
          `The loaded model is ${loaded.modelId} (${loaded.dimensions} dimensions) but the store was opened for ${identity.modelId} (${identity.dimensions}).`,
        );
      }
      return loaded;
    });
    embedder = createBackgroundEmbedder({ ...identity, maxTokens: 256 }, checked);
    modelSettled = checked.then(
      () => status,
      (error: unknown) => {
        if (abort.signal.aborted) return status;
        const reason = NellieError.is(error) ? error.message : String(error);
        status = {
          state: 'failed',
          modelId: identity.modelId,
          message: `${reason}\n${howToEnable}`,
        };
        // Servers log it; one-shot commands print a summary instead.
        const fields = {
          modelId: identity.modelId,
          code: NellieError.is(error) ? error.code : undefined,
        };
        const message = `Semantic search is off: the embedding model failed to load. ${reason}`;
        if (options.announceModel) logger.error(fields, message);
        else logger.debug(fields, message);
        return status;
      },
    );
  } else {
    status = plan.status;
    if (options.announceModel) {
      logger.warn({ modelId: status.modelId }, status.message ?? 'Semantic search is off');
    }
    modelSettled = Promise.resolve(status);
  }

  const pump = options.embeddingPump ?? true;
  let indexer: CodeIndexer | undefined;
  let mcpModules: Awaited<ReturnType<typeof loadMcpModules>> | undefined;
  try {
    if (options.indexer) {
      indexer = createIndexer({
        store,
        ...(embedder && pump ? { embedder } : {}),
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
      });
    }
    mcpModules = options.mcp ? await loadMcpModules() : undefined;
  } catch (error) {
    abort.abort();
    await indexer?.close();
    await embedder?.close();
    await store.close();
    if (NellieError.is(error) && error.code === 'INVALID_OPTIONS' && !indexer) {
      throw new NellieError(
        'INVALID_OPTIONS',
        `${error.message} Indexing roots come from --allow-root (NELLIE_ALLOW_ROOTS), --watch (NELLIE_WATCH_DIRS), the repositories of the config file and the directory given to \`nellie index\`.`,
        { cause: error },
      );
    }
    throw error;
  }
  const createMcpServer = (actor?: string): McpServer => {
    if (!mcpModules) throw new Error('openRuntime was called without `mcp: true`.');
    const { McpServer, registerNellieTools } = mcpModules;
    const server = new McpServer(
      { name: 'nellie', title: 'Nellie', version },
      {
        instructions:
          'Nellie is a code memory: search indexed repositories (search_code), keep lessons learned (add_lesson, search_lessons) and save or resume work with checkpoints (add_checkpoint, get_recent_checkpoints). get_status reports what is indexed and whether semantic search is on.',
      },
    );
    registerNellieTools(server, {
      store,
      ...(indexer ? { indexer } : {}),
      ...(embedder ? { embedder } : {}),
      modelStatus: () => status,
      version,
      logger,
      actor: actor ?? options.actor ?? 'local',
    });
    return server;
  };

  let closing: Promise<void> | undefined;
  const close = (): Promise<void> => {
    closing ??= (async () => {
      abort.abort();
      // A model that never started loading starts now and stops at once on the aborted signal.
      startModel();
      const failures: unknown[] = [];
      const step = async (name: string, work: () => Promise<void>): Promise<void> => {
        try {
          await work();
        } catch (error) {
          failures.push(error);
          logger.error({ err: error, step: name }, `Closing the ${name} failed`);
        }
      };
      if (indexer) await step('indexer', () => indexer.close());
      if (embedder) await step('embedder', () => embedder.close());
      await step('store', () => store.close());
      if (failures.length > 0) throw failures[0] as Error;
    })();
    return closing;
  };

  return {
    settings,
    store,
    indexer,
    embedder,
    modelStatus: () => status,
    modelSummary: () => summarizeModel(status, settings.model),
    modelSettled,
    startModel: () => startModel(),
    createMcpServer,
    close,
  };
}

/**
 * Reconciles what the store knows with the disk after a restart: every registered repository
 * gets an incremental job (which also resumes an interrupted one), then the configured
 * directories are watched. A registered repository that may never be indexed (a system
 * directory, the data directory, indexed by an older release) is removed from the index, so
 * its files cannot be searched.
 */
export async function startBackgroundIndexing(
  runtime: NellieRuntime,
  logger: Logger,
): Promise<void> {
  const { indexer, store, settings } = runtime;
  if (!indexer) return;
  const watched = new Set(settings.watch);
  for (const repository of await store.listRepositories()) {
    if (watched.has(repository.rootPath)) continue;
    try {
      const job = await indexer.startJob({ rootPath: repository.rootPath, mode: 'incremental' });
      logger.info(
        { repository: repository.name, rootPath: repository.rootPath, jobId: job.id },
        'Checking a registered repository for changes made while Nellie was stopped',
      );
    } catch (error) {
      if (NellieError.is(error) && error.code === 'PATH_NOT_ALLOWED') {
        await store.deleteRepository(repository.id);
        logger.warn(
          { repository: repository.name, rootPath: repository.rootPath, reason: error.message },
          'Removed a repository that may not be indexed from the index',
        );
        continue;
      }
      logger.warn(
        { repository: repository.name, rootPath: repository.rootPath, err: error },
        'A registered repository could not be checked; its index is kept as it is',
      );
    }
  }
  for (const directory of settings.watch) {
    try {
      await indexer.watch(directory);
      logger.info({ rootPath: directory }, 'Watching repository');
    } catch (error) {
      logger.error({ rootPath: directory, err: error }, 'Could not watch repository');
    }
  }
}

export interface HttpServerHandle {
  url: string;
  host: string;
  port: number;
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
  const registry = new Registry();
  const http = createHttpApp({
    store: runtime.store,
    ...(runtime.indexer ? { indexer: runtime.indexer } : {}),
    ...(runtime.embedder ? { embedder: runtime.embedder } : {}),
    modelStatus: () => runtime.modelStatus(),
    version,
    logger,
    registry,
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
    mcpSessionIdleTimeoutMs: settings.mcpSessionIdleMinutes * 60_000,
    mcpHandshakeTimeoutMs: settings.mcpHandshakeTimeoutMs,
    mcpMaxSessions: settings.mcpMaxSessions,
    mcpMaxSessionsPerClient: settings.mcpMaxSessionsPerClient,
  });
  const server = createAdaptorServer({ fetch: http.app.fetch, hostname: settings.host });
  if (!('closeIdleConnections' in server)) throw new Error('unexpected server type');

  const address = await new Promise<AddressInfo>((resolve, reject) => {
    const onError = (error: NodeJS.ErrnoException): void => {
      const where = `${settings.host}:${settings.port}`;
      if (error.code === 'EADDRINUSE') {
        reject(
          new NellieError(
            'CONFLICT',
            `Port ${settings.port} on ${settings.host} is already in use (is another Nellie running?). Choose another port with --port or NELLIE_PORT.`,
            { cause: error },
          ),
        );
      } else if (error.code === 'EACCES') {
        reject(
          new NellieError(
            'STORE_UNAVAILABLE',
            `Not allowed to listen on ${where}; ports below 1024 need privileges. Choose another port with --port or NELLIE_PORT.`,
            { cause: error },
          ),
        );
      } else if (error.code === 'EADDRNOTAVAIL' || error.code === 'ENOTFOUND') {
        reject(
          new NellieError(
            'INVALID_OPTIONS',
            `Cannot listen on ${settings.host}: no such address on this machine. Check --host or NELLIE_HOST.`,
            { cause: error },
          ),
        );
      } else {
        reject(error);
      }
    };
    server.once('error', onError);
    server.listen(settings.port, settings.host, () => {
      server.off('error', onError);
      resolve(server.address() as AddressInfo);
    });
  });
  server.on('error', (error) => logger.error({ err: error }, 'HTTP server error'));

  const host = address.family === 'IPv6' ? `[${address.address}]` : address.address;
  let closing: Promise<void> | undefined;
  return {
    url: `http://${host}:${address.port}`,
    host: address.address,
    port: address.port,
    close(graceMs: number) {
      closing ??= (async () => {
        const closed = new Promise<void>((resolve) => server.close(() => resolve()));
        server.closeIdleConnections();
        // Ends MCP sessions and their event streams, which would otherwise keep connections open.
        await http.close();
        let timer: NodeJS.Timeout | undefined;
        const grace = new Promise<void>((resolve) => {
          timer = setTimeout(resolve, graceMs);
          timer.unref();
        });
        await Promise.race([closed, grace]);
        clearTimeout(timer);
        server.closeAllConnections();
        await closed;
      })();
      return closing;
    },
  };
}
