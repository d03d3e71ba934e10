import { statSync } from 'node:fs';
import path from 'node:path';
import { NellieError, type IndexJob, type ModelStatus } from '@nellie/core';
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

/** `nellie index <dir>`: indexes a repository and waits for its vectors when a model is available. */
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
  const started = performance.now();

  // The user chose this directory, so it may be indexed even outside the configured roots.
  const runtime = await openRuntime(config, { logger, indexer: true, extraRoots: [rootPath] });
  const holder = registerHolder(config.settings.dataDir, 'index');
  const indexer = runtime.indexer!;
  const view = createIndexProgressView(process.stderr);
  const controller = new AbortController();
  let interrupted = false;
  let activeJob: IndexJob | undefined;
  const onSignal = (): void => {
    if (interrupted) process.exit(130);
    interrupted = true;
    controller.abort();
    if (activeJob) indexer.cancelJob(activeJob.id);
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
