import { statSync } from 'node:fs';
import path from 'node:path';
import { NellieError, type CodeIndexer, type IndexJob, type ModelStatus } from '@nellie/core';
import type { CommandContext } from '../cli.ts';
import { openRuntime } from '../compose.ts';
import { exitCodes } from '../internal/exit-codes.ts';
import { printJson, writeStdout } from '../internal/output.ts';
import { createIndexProgressView } from '../internal/progress.ts';
import { registerHolder } from '../internal/process-registry.ts';

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

function seconds(ms: number): string {
  return `${(ms / 1000).toFixed(1)}s`;
}

/**
 * How long `nellie index --database` leaves its queued job to the servers (which poll the job
 * table every second) before it claims the job and runs it itself.
 */
export const serverGraceMs = 3000;
/** `--no-wait` never claims its job: the command returns long before this. */
const neverMs = 3_600_000;

/**
 * How the job runs: in this process (SQLite, or `--in-process`), or queued in the PostgreSQL
 * database for the servers (followed, or with `--no-wait` only queued).
 */
function indexPlan(context: CommandContext): { shared: boolean; follow: boolean } {
  const { options, config } = context;
  const follow = options.wait !== false;
  const inProcess = options.inProcess === true;
  if (config.settings.database === undefined) {
    if (!follow) {
      throw new NellieError(
        'INVALID_INPUT',
        '--no-wait queues the job in a PostgreSQL database (--database / NELLIE_DATABASE_URL) for the servers sharing it; with a data directory the job runs in this process, so it cannot be left to run.',
      );
    }
    return { shared: false, follow };
  }
  if (!follow && inProcess) {
    throw new NellieError(
      'INVALID_INPUT',
      '--no-wait leaves the job to the servers and --in-process runs it here: choose one.',
    );
  }
  return { shared: !inProcess, follow };
}

/**
 * `nellie index <dir>`: indexes a repository and waits for its vectors when a model is available.
 * With a PostgreSQL database the job is queued there, so a server sharing the database runs it;
 * this command follows it, and runs it itself when no server claimed it within `serverGraceMs`.
 */
export async function runIndex(context: CommandContext, directory: string): Promise<number> {
  const { config, logger, options } = context;
  const rootPath = path.resolve(directory);
  let isDirectory = false;
  try {
    isDirectory = statSync(rootPath).isDirectory();
  } catch {
    isDirectory = false;
  }
  if (!isDirectory) {
    throw new NellieError('INVALID_INPUT', `${rootPath} is not a readable directory.`);
  }
  const json = options.json === true;
  const waitEmbeddings = options.waitEmbeddings !== false;
  const { shared, follow } = indexPlan(context);
  const started = performance.now();

  // The user chose this directory, so it may be indexed even outside the configured roots.
  const runtime = await openRuntime(config, {
    logger,
    indexer: true,
    extraRoots: [rootPath],
    ...(shared ? { sharedJobs: true, claimOwnJobsAfterMs: follow ? serverGraceMs : neverMs } : {}),
    ...(follow ? {} : { embeddingPump: false }),
  });
  const holder = registerHolder(config.settings.dataDir, 'index');
  const indexer = runtime.indexer!;
  if (!follow) {
    try {
      return await queueOnly(indexer, rootPath, options.full === true, json);
    } finally {
      await runtime.close();
      holder.release();
    }
  }
  const view = createIndexProgressView(process.stderr);
  const controller = new AbortController();
  let interrupted = false;
  let activeJob: IndexJob | undefined;
  const onSignal = (): void => {
    if (interrupted) process.exit(130);
    interrupted = true;
    controller.abort();
    if (!activeJob) return;
    if (indexer.cancelStoredJob) {
      const id = activeJob.id;
      indexer.cancelStoredJob(id).catch((error: unknown) => {
        process.stderr.write(
          `Could not cancel index job ${id}: ${error instanceof Error ? error.message : String(error)}\n`,
        );
      });
    } else {
      indexer.cancelJob(activeJob.id);
    }
    if (shared) {
      process.stderr.write(
        `Cancelling index job ${activeJob.id}; a server running it stops at its next heartbeat (Ctrl-C again to leave at once).\n`,
      );
    }
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);

  try {
    let job = await indexer.startJob({
      rootPath,
      mode: options.full === true ? 'full' : 'incremental',
    });
    activeJob = job;
    const done = indexer.waitForJob(job.id);
    let finished = false;
    void done.then(() => (finished = true));
    while (!finished) {
      view.job(indexer.getJob(job.id) ?? job);
      await Promise.race([done, sleep(100)]);
    }
    job = await done;
    view.stop();
    const indexedMs = performance.now() - started;

    let model: ModelStatus = runtime.modelStatus();
    let embeddingsMs = 0;
    let embedded = 0;
    if (job.state === 'succeeded' && waitEmbeddings && runtime.embedder && !interrupted) {
      model = await Promise.race([
        runtime.modelSettled,
        new Promise<ModelStatus>((resolve) =>
          controller.signal.addEventListener('abort', () => resolve(runtime.modelStatus())),
        ),
      ]);
      if (model.state === 'ready' && !interrupted) {
        const embeddingStarted = performance.now();
        const initial = (await runtime.store.stats()).chunksPendingEmbedding;
        const waiting = indexer.waitForEmbeddings({ signal: controller.signal });
        let drained = false;
        void waiting.then(
          () => (drained = true),
          () => (drained = true),
        );
        while (!drained) {
          const pending = (await runtime.store.stats()).chunksPendingEmbedding;
          view.embeddings(Math.max(0, initial - pending), initial);
          await Promise.race([waiting.catch(() => {}), sleep(250)]);
        }
        view.stop();
        try {
          await waiting;
        } catch (error) {
          if (!interrupted) throw error;
        }
        embedded = initial;
        embeddingsMs = performance.now() - embeddingStarted;
      }
    }

    const stats = await runtime.store.stats();
    const totalMs = performance.now() - started;
    const semantic =
      model.state === 'ready'
        ? 'on'
        : model.state === 'disabled' || model.state === 'failed'
          ? 'off'
          : 'loading';
    const result = {
      job,
      durationMs: Math.round(totalMs),
      indexingMs: Math.round(indexedMs),
      embeddingMs: Math.round(embeddingsMs),
      embeddings: {
        semanticSearch: semantic,
        waited: waitEmbeddings && model.state === 'ready',
        chunksWithVectors: stats.chunksWithVectors,
        chunksPendingEmbedding: stats.chunksPendingEmbedding,
      },
      model,
      store: {
        repositories: stats.repositories,
        files: stats.files,
        chunks: stats.chunks,
      },
    };
    if (json) {
      await printJson(result);
    } else {
      const progress = job.progress;
      const lines = [
        `${job.state === 'succeeded' ? 'Indexed' : `Indexing ${job.state}:`} ${job.repository} (${job.rootPath}) in ${seconds(indexedMs)}`,
        `  files: ${progress.filesSeen} seen, ${progress.filesIndexed} indexed, ${progress.filesUnchanged} unchanged, ${progress.filesSkipped} skipped, ${progress.filesFailed} failed, ${progress.filesDeleted} deleted`,
        `  chunks written: ${progress.chunksWritten}`,
      ];
      if (progress.filesSkippedExcluded > 0) {
        const patterns = Object.entries(progress.excludedBy)
          .sort((a, b) => b[1] - a[1])
          .map(([pattern, count]) => `${pattern} ${count}`);
        lines.splice(
          2,
          0,
          `  excluded by default: ${progress.filesSkippedExcluded} ${progress.filesSkippedExcluded === 1 ? 'path' : 'paths'} (${patterns.join(', ')}); see defaultExcludes in the operator guide`,
        );
      }
      if (job.error) lines.push(`  error: ${job.error}`);
      if (shared && job.state === 'failed') {
        lines.push(
          `  The job was queued in the database for the servers: if they cannot read ${job.rootPath} (another machine, or outside their --allow-root), index it from here with --in-process.`,
        );
      }
      if (semantic === 'on') {
        lines.push(
          `  embeddings: ${stats.chunksWithVectors} chunks with vectors, ${stats.chunksPendingEmbedding} waiting${embeddingsMs > 0 ? ` (${embedded} embedded in ${seconds(embeddingsMs)})` : ''}`,
        );
      } else {
        lines.push(
          `  ${runtime.modelSummary()}`,
          '  keyword search works now; vectors fill in once a model is available.',
        );
      }
      await writeStdout(`${lines.join('\n')}\n`);
    }
    if (interrupted) return 130;
    return job.state === 'succeeded' ? exitCodes.ok : exitCodes.runtime;
  } finally {
    view.stop();
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
    await runtime.close();
    holder.release();
  }
}

/** `--no-wait`: queues the job in the database for the servers and prints it. */
async function queueOnly(
  indexer: CodeIndexer,
  rootPath: string,
  full: boolean,
  json: boolean,
): Promise<number> {
  const job = await indexer.startJob({ rootPath, mode: full ? 'full' : 'incremental' });
  if (json) {
    await printJson({ job });
  } else {
    await writeStdout(
      [
        `Queued index job ${job.id} for ${job.repository} (${job.rootPath}), ${job.state}: a server sharing the database runs it.`,
        `  Follow it with GET /api/v1/index/jobs/${job.id} (or MCP get_index_status); cancel it with DELETE on the same path.`,
      ].join('\n') + '\n',
    );
  }
  return exitCodes.ok;
}
