import { existsSync } from 'node:fs';
import { NellieError, isSupersededModel, type ModelStatus } from '@nellie/core';
import type { CommandContext } from '../cli.ts';
import { planEmbeddingModel, type EmbeddingModelKind } from '@nellie/embeddings';
import { openStore } from '../open-store.ts';
import { isPostgresStore } from '../runtime.ts';
import { databasePath, embeddingModelOptions } from '../config.ts';
import { probeModel } from '../internal/model-probe.ts';
import { exitCodes } from '../internal/exit-codes.ts';
import { printJson, writeStdout } from '../internal/output.ts';
import { listHolders } from '../internal/process-registry.ts';
import { version } from '../version.ts';

/**
 * `nellie status`: what is indexed and embedded (read from the database, whatever model is
 * configured), the model and the version. Unless a running server reports its model's state, the
 * model is loaded once to check it is usable.
 */
export async function runStatus(context: CommandContext): Promise<number> {
  const { config, logger, options } = context;
  const { settings } = config;
  const plan = await planEmbeddingModel(embeddingModelOptions(config, { logger }));
  const textPreparation = plan.state === 'found' ? (plan.textPreparation ?? null) : null;
  const model: ModelStatus & { available: boolean; kind?: EmbeddingModelKind } =
    plan.state === 'found'
      ? {
          state: 'disabled',
          available: false,
          modelId: plan.modelId,
          kind: plan.kind,
          ...(plan.dimensions === undefined ? {} : { dimensions: plan.dimensions }),
          source: plan.dir,
          message:
            plan.source === 'endpoint'
              ? `Served by the embeddings endpoint ${plan.dir}.`
              : plan.source === 'remote'
                ? `Not downloaded yet; \`nellie model pull\` fetches it into ${plan.dir}.`
                : `Found in ${plan.dir}; it is loaded by \`nellie serve\`, \`nellie index\` and \`nellie search\`.`,
        }
      : { ...plan.status, available: false };
  // A data directory without a database yet (a model imported, nothing indexed) reads as empty
  // without creating one; a data directory that does not exist is a mistyped --data-dir.
  const postgres = settings.database !== undefined;
  const emptyDataDir =
    !postgres && existsSync(settings.dataDir) && !existsSync(databasePath(settings));
  const where = emptyDataDir ? { path: ':memory:' } : { readonly: true, existing: true };
  let storeMismatch = false;
  let store;
  try {
    store = await openStore(settings, {
      logger,
      ...where,
      embedding:
        plan.state === 'found' && plan.dimensions !== undefined
          ? {
              modelId: plan.modelId,
              dimensions: plan.dimensions,
              ...(plan.family === undefined ? {} : { family: plan.family }),
            }
          : null,
    }).catch(async (error: unknown) => {
      if (!NellieError.is(error) || error.code !== 'DIMENSION_MISMATCH') throw error;
      // Still report the counts; the mismatch is what the user needs to see.
      storeMismatch = true;
      model.message = error.message;
      return openStore(settings, { logger, ...where, embedding: null });
    });
  } catch (error) {
    if (
      !postgres &&
      NellieError.is(error) &&
      (error.code === 'STORE_UNAVAILABLE' || error.code === 'NOT_FOUND')
    ) {
      throw new NellieError(
        error.code,
        `${error.message}\nNothing is indexed in ${settings.dataDir} yet? Run \`nellie index <dir>\` or \`nellie serve\` first.`,
        { cause: error },
      );
    }
    throw error;
  }
  try {
    const stats = await store.stats();
    const vectorIndex = await store.vectorIndexStatus();
    const missingRepositories = (await store.listRepositorySummaries())
      .filter((repository) => repository.state === 'missing')
      .map((repository) => ({ name: repository.name, rootPath: repository.rootPath }));
    const servers = await Promise.all(
      listHolders(settings.dataDir)
        .filter((holder) => holder.command === 'serve')
        .map(async (holder) => ({
          ...holder,
          model: await liveModelState(holder.url, settings.apiKeys[0]?.key),
        })),
    );
    // Available means the files are here and load: a running server's word, or a probe load.
    const live = servers.find((server) => server.model)?.model;
    if (live !== undefined) {
      model.available = live === 'ready';
    } else if (plan.state === 'found' && plan.source !== 'remote' && !storeMismatch) {
      const probe = await probeModel(embeddingModelOptions(config, { logger }));
      model.available = probe.ok;
      if (probe.dimensions) model.dimensions = probe.dimensions;
      model.message = probe.ok
        ? `Found in ${plan.dir}. ${probe.message}`
        : `Found in ${plan.dir}, but it cannot be used. ${probe.message}`;
    }
    const result = {
      version,
      dataDir: settings.dataDir,
      database: isPostgresStore(store)
        ? `postgres://${store.location} (schema ${store.schema})`
        : emptyDataDir
          ? null
          : databasePath(settings),
      /** Where the data lives: `sqlite` (one file) or `postgres` (shared by several servers). */
      engine: isPostgresStore(store) ? 'postgres' : 'sqlite',
      /**
       * How vector queries are served: SQLite `exact` or `ann`; PostgreSQL `pgvector` or
       * `memory` (with `backlog`, the change-feed lag); null without vectors.
       */
      vectorIndex,
      repositories: stats.repositories,
      /** Repositories whose root directory is gone; `nellie repos remove <name>` drops them. */
      missingRepositories,
      files: stats.files,
      chunks: stats.chunks,
      chunksWithVectors: stats.chunksWithVectors,
      chunksPendingEmbedding: stats.chunksPendingEmbedding,
      lessons: stats.lessons,
      checkpoints: stats.checkpoints,
      databaseBytes: stats.databaseBytes,
      schemaVersion: stats.schemaVersion,
      embeddingModel: stats.embeddingModel,
      model: {
        configured: model.modelId,
        /**
         * What computes the vectors: `transformer`, `static` (a token table), `composite` (several
         * models' vectors joined, see `parts`) or `endpoint`.
         */
        kind: model.kind ?? null,
        /** `composite`: each model, its kind, directory and share of the cosine. */
        parts:
          plan.state === 'found' && plan.parts
            ? plan.parts.map((part) => ({
                modelId: part.modelId,
                kind: part.kind,
                weight: part.weight,
                dir: part.dir,
              }))
            : null,
        /** Transformer models: how text is rewritten before the tokenizer (`split-identifiers`). */
        textPreparation,
        /** One model embeds all of these, and every query. */
        embeds: ['code', 'lessons', 'checkpoints'],
        /**
         * A running server's live state (loading, ready, failed, disabled); otherwise `available`
         * (files found, loaded by the commands that need it) or `disabled`.
         */
        state: live ?? (model.available ? 'available' : 'disabled'),
        available: model.available,
        ...(model.dimensions ? { dimensions: model.dimensions } : {}),
        ...(model.source ? { source: model.source } : {}),
        message: model.message ?? null,
      },
      semanticSearch: model.available ? 'available' : 'off',
      servers: servers.map((server) => ({
        pid: server.pid,
        url: server.url ?? null,
        startedAt: server.startedAt,
        model: server.model,
      })),
    };
    if (options.json === true) {
      await printJson(result);
      return exitCodes.ok;
    }
    const lines = [
      `Nellie ${version} — ${result.database ?? `${settings.dataDir} (no database yet)`}`,
      `  repositories: ${stats.repositories}`,
      ...missingRepositories.map(
        (repository) =>
          `    MISSING: ${repository.name} (${repository.rootPath}) — root directory is gone; \`nellie repos remove ${repository.name}\` drops it`,
      ),
      `  files: ${stats.files}`,
      `  chunks: ${stats.chunks} (${stats.chunksWithVectors} with vectors, ${stats.chunksPendingEmbedding} waiting for embeddings)`,
      `  lessons: ${stats.lessons}`,
      `  checkpoints: ${stats.checkpoints}`,
      `  database: ${(stats.databaseBytes / 1024 / 1024).toFixed(1)} MiB, schema ${stats.schemaVersion}`,
      `  vector search: ${vectorIndex ? `${vectorIndex.mode} (${vectorIndex.indexed} vectors${vectorIndex.backlog > 0 ? `, ${vectorIndex.backlog} still to apply` : ''})` : 'off'}`,
      `  vectors stored for: ${stats.embeddingModel ? `${stats.embeddingModel.modelId} (${stats.embeddingModel.dimensions} dimensions)` : 'no model'}`,
      `  model: ${result.model.configured}${model.kind ? ` (${kindLabels[model.kind]})` : ''} — ${model.available ? 'available; embeds code, lessons, checkpoints and queries' : 'semantic search off'}`,
    ];
    for (const part of result.model.parts ?? []) {
      lines.push(
        `    part: ${part.modelId} (${kindLabels[part.kind]}, weight ${part.weight}) from ${part.dir}`,
      );
    }
    if (textPreparation === 'split-identifiers') {
      lines.push(
        '    text preparation: split-identifiers (camelCase and snake_case names read as words)',
      );
    }
    if (
      stats.embeddingModel &&
      plan.state === 'found' &&
      stats.embeddingModel.modelId !== plan.modelId &&
      isSupersededModel(stats.embeddingModel, {
        modelId: plan.modelId,
        dimensions: plan.dimensions ?? 0,
        ...(plan.family === undefined ? {} : { family: plan.family }),
      })
    ) {
      lines.push(
        `    the stored vectors are of an earlier preparation of this model; the next \`nellie serve\` or \`nellie index\` embeds everything again in the background`,
      );
    }
    if (model.message) lines.push(...model.message.split('\n').map((line) => `    ${line}`));
    for (const server of servers) {
      lines.push(
        `  server running: pid ${server.pid}${server.url ? ` at ${server.url}` : ''}${server.model ? `, model ${server.model}` : ''}`,
      );
    }
    await writeStdout(`${lines.join('\n')}\n`);
    return exitCodes.ok;
  } finally {
    await store.close();
  }
}

const kindLabels: Record<EmbeddingModelKind, string> = {
  transformer: 'transformer',
  static: 'static token table',
  composite: 'composite of several models',
  endpoint: 'embeddings endpoint',
};

/** The model state a running server reports on /ready, or null when it cannot be asked. */
async function liveModelState(
  url: string | undefined,
  key: string | undefined,
): Promise<string | null> {
  if (!url) return null;
  try {
    const response = await fetch(`${url}/ready`, {
      headers: key ? { authorization: `Bearer ${key}` } : {},
      signal: AbortSignal.timeout(1000),
    });
    const body = (await response.json()) as { model?: { state?: unknown } };
    return typeof body.model?.state === 'string' ? body.model.state : null;
  } catch {
    return null;
  }
}
