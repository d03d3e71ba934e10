import { existsSync, statSync } from 'node:fs';
import { NellieError } from '@nellie/core';
import type { CommandContext } from '../cli.ts';
import { openRuntime, startHttpServer } from '../compose.ts';
import { checkServeSafety, databasePath, type ResolvedConfig } from '../config.ts';
import { isPostgresStore } from '../runtime.ts';
import { registerHolder } from '../internal/process-registry.ts';
import { reconcileRepositories } from '../internal/reconcile-repositories.ts';
import { holdWatchLeases } from '../internal/watch-leases.ts';
import { handleShutdown } from '../internal/shutdown.ts';
import { version } from '../version.ts';

function checkWatchDirectories(config: ResolvedConfig): void {
  const origin = config.origins.watch;
  for (const directory of config.settings.watch) {
    let isDirectory = false;
    try {
      isDirectory = statSync(directory).isDirectory();
    } catch {
      isDirectory = false;
    }
    if (!isDirectory) {
      throw new NellieError(
        'INVALID_OPTIONS',
        `Cannot watch ${directory} (from ${origin.source} ${origin.name}): it is not a readable directory.`,
      );
    }
  }
}

/** `nellie serve`: the HTTP server, until SIGTERM/SIGINT. */
export async function runServe(context: CommandContext): Promise<number> {
  const { config, logger } = context;
  const { settings } = config;
  // Without a database there are no stored keys: refuse before creating anything.
  if (!existsSync(databasePath(settings))) checkServeSafety(config);
  checkWatchDirectories(config);

  const started = performance.now();
  const runtime = await openRuntime(config, {
    logger,
    indexer: true,
    sharedJobs: true,
    mcp: true,
    announceModel: true,
    deferModelLoad: true,
    actor: 'anonymous',
  });
  // Keys stored in the database (`nellie keys create`) turn authentication on as configured ones do.
  let storedKeys: boolean;
  try {
    storedKeys = (await runtime.store.principals?.hasApiKeys()) ?? false;
    checkServeSafety(config, { storedKeys });
  } catch (error) {
    await runtime.close();
    throw error;
  }
  const holder = registerHolder(settings.dataDir, 'serve');
  let http: Awaited<ReturnType<typeof startHttpServer>>;
  try {
    http = await startHttpServer(runtime, logger);
  } catch (error) {
    holder.release();
    await runtime.close();
    throw error;
  }
  holder.update({ url: http.url });
  runtime.startModel();
  const model = runtime.modelStatus();
  logger.info(
    {
      url: http.url,
      host: http.host,
      port: http.port,
      version,
      dataDir: settings.dataDir,
      database: isPostgresStore(runtime.store)
        ? `postgres://${runtime.store.location} (schema ${runtime.store.schema})`
        : databasePath(settings),
      auth:
        settings.apiKeys.length > 0 || storedKeys
          ? `${settings.apiKeys.length} configured API key(s)${storedKeys ? ' and stored keys' : ''}`
          : 'off',
      model: model.state,
      startupMs: Math.round(performance.now() - started),
    },
    'Nellie is listening',
  );
  if (settings.apiKeys.length === 0 && !storedKeys) {
    logger.info({}, 'Authentication is off (no API keys configured or stored)');
  }
  void runtime.modelSettled.then((status) => {
    if (status.state === 'ready') {
      logger.info({ modelId: status.modelId }, 'Semantic search is on');
    }
  });
  // On a shared database, each watched repository is watched by the one server holding its lease.
  const { store, indexer } = runtime;
  const watchLeases =
    isPostgresStore(store) && indexer && settings.watch.length > 0
      ? holdWatchLeases({
          store,
          indexer,
          roots: settings.watch,
          ttlMs: settings.watchLeaseSeconds * 1000,
          logger,
        })
      : undefined;
  reconcileRepositories(runtime, logger, { watchDirectories: watchLeases === undefined }).catch(
    (error: unknown) => logger.error({ err: error }, 'Reconciling repositories failed'),
  );

  return new Promise<number>((resolve) => {
    const shutdown = handleShutdown({
      logger,
      timeoutMs: settings.shutdownTimeoutMs,
      exit: (code) => {
        shutdown.dispose();
        holder.release();
        resolve(code);
      },
      onShutdown: async () => {
        // Leave part of the budget for the indexer and the database.
        await http.close(Math.floor(settings.shutdownTimeoutMs / 2));
        logger.info({}, 'HTTP server closed; stopping indexing');
        await watchLeases?.stop();
        await runtime.close();
      },
    });
  });
}
