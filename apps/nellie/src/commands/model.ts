import { createInterface } from 'node:readline/promises';
import { NellieError } from '@nellie/core';
import {
  importModel,
  openEmbeddingModel,
  pullModel,
  resolveModel,
  verifyModel,
} from '@nellie/embeddings';
import { resetEmbeddings } from '@nellie/storage';
import cliProgress from 'cli-progress';
import { existsSync } from 'node:fs';
import type { CommandContext } from '../cli.ts';
import { databasePath, modelCacheDir, noModel } from '../config.ts';
import { exitCodes } from '../internal/exit-codes.ts';
import { printJson, writeStdout } from '../internal/output.ts';
import { listHolders } from '../internal/process-registry.ts';

const dtype = 'q8';

function requireModel(model: string): string {
  if (model === noModel) {
    throw new NellieError(
      'INVALID_OPTIONS',
      `The model is set to "${noModel}"; name one with --model or NELLIE_MODEL (e.g. Xenova/all-MiniLM-L6-v2).`,
    );
  }
  return model;
}

/** `nellie model pull [model]`: downloads into the model cache, verifying every file. */
export async function runModelPull(
  context: CommandContext,
  modelArgument?: string,
): Promise<number> {
  const { config, logger, options } = context;
  const { settings } = config;
  const model = requireModel(modelArgument ?? settings.model);
  if (settings.offline) {
    throw new NellieError(
      'INVALID_OPTIONS',
      `Offline mode is on (from ${config.origins.offline.source} ${config.origins.offline.name}); pulling needs access to huggingface.co. Use \`nellie model import <dir>\` with files fetched elsewhere.`,
    );
  }
  const bar = process.stderr.isTTY
    ? new cliProgress.SingleBar(
        {
          stream: process.stderr,
          format: '{file} |{bar}| {percentage}% {value}/{total} bytes',
          hideCursor: true,
        },
        cliProgress.Presets.shades_classic,
      )
    : undefined;
  let current = '';
  const result = await pullModel({
    model,
    dtype,
    cacheDir: modelCacheDir(settings),
    ...(typeof options.revision === 'string' ? { revision: options.revision } : {}),
    onProgress: (event) => {
      if (!bar) {
        if (event.state !== 'downloading')
          logger.info({ file: event.file, state: event.state }, 'model file');
        return;
      }
      if (event.file !== current) {
        if (current) bar.stop();
        current = event.file;
        bar.start(event.totalBytes ?? event.receivedBytes, event.receivedBytes, {
          file: event.file,
        });
      } else {
        bar.setTotal(event.totalBytes ?? event.receivedBytes);
        bar.update(event.receivedBytes, { file: event.file });
      }
    },
  }).finally(() => bar?.stop());
  if (options.json === true) await printJson(result);
  else {
    await writeStdout(
      [
        `Pulled ${result.model}@${result.revision} into ${result.dir}${result.verified ? ' (every file matched its known sha256)' : ' (no known checksums for this model; hashes recorded for `nellie model verify`)'}.`,
        ...result.files.map(
          (file) =>
            `  ${file.path}: ${file.bytes} bytes${file.downloaded ? '' : ' (already there)'}`,
        ),
        '',
      ].join('\n'),
    );
  }
  return exitCodes.ok;
}

/** `nellie model verify`: checksums and a test load of the configured model. */
export async function runModelVerify(context: CommandContext): Promise<number> {
  const { config, logger, options } = context;
  const { settings } = config;
  const model = requireModel(settings.model);
  const resolved = await resolveModel({
    model,
    dtype,
    ...(settings.modelDir === undefined ? {} : { modelDir: settings.modelDir }),
    cacheDir: modelCacheDir(settings),
    allowRemote: false,
  });
  const verification = await verifyModel(resolved.dir, { model, dtype });
  let load: { ok: boolean; dimensions?: number; message: string };
  // Loaded the way the server loads it, in one worker.
  const loaded = await openEmbeddingModel({
    model,
    dtype,
    modelDir: resolved.dir,
    threads: 1,
    queryWorker: false,
    logger,
  });
  try {
    const status = await loaded.ready;
    if (status.state !== 'ready' || !loaded.embedder) {
      throw new Error(status.message ?? `the model is ${status.state}`);
    }
    const [vector] = await loaded.embedder.embed(['function addNumbers(a, b) { return a + b; }']);
    const { dimensions } = loaded.embedder;
    load = {
      ok: vector?.length === dimensions,
      dimensions,
      message: `Loads and embeds: ${dimensions}-dimensional vectors.`,
    };
  } catch (error) {
    load = {
      ok: false,
      message: `Does not load: ${error instanceof Error ? error.message : String(error)}`,
    };
  } finally {
    await loaded.close();
  }
  const ok = verification.state !== 'failed' && load.ok;
  if (options.json === true) await printJson({ ok, source: resolved.source, verification, load });
  else {
    await writeStdout(
      [
        `${model} in ${resolved.dir} (${resolved.source}):`,
        `  checksums: ${verification.state} — ${verification.message}`,
        ...verification.files
          .filter((file) => file.status !== 'ok')
          .map((file) => `    ${file.path}: ${file.status}`),
        `  ${load.message}`,
        '',
      ].join('\n'),
    );
  }
  return ok ? exitCodes.ok : exitCodes.runtime;
}

/** `nellie model import <dir>`: copies a model directory into the cache after verifying it. */
export async function runModelImport(context: CommandContext, directory: string): Promise<number> {
  const { config, options } = context;
  const model = requireModel(config.settings.model);
  const result = await importModel(directory, modelCacheDir(config.settings), {
    model,
    dtype,
    verify: options.verify !== false,
  });
  if (options.json === true) await printJson(result);
  else {
    await writeStdout(
      `Imported ${result.model} into ${result.dir}${result.verified ? ' (verified against its known checksums)' : ' (not verified)'}.\n`,
    );
  }
  return exitCodes.ok;
}

/** `nellie model reset-vectors`: drops every stored vector so another model can be used. */
export async function runResetVectors(context: CommandContext): Promise<number> {
  const { config, logger, options } = context;
  const { settings } = config;
  const file = databasePath(settings);
  if (!existsSync(file)) {
    throw new NellieError('NOT_FOUND', `There is no database at ${file}; nothing to reset.`);
  }
  const holders = listHolders(settings.dataDir);
  if (holders.length > 0) {
    throw new NellieError(
      'CONFLICT',
      `${settings.dataDir} is in use by ${holders.map((holder) => `nellie ${holder.command} (pid ${holder.pid})`).join(', ')}; stop it first.`,
    );
  }
  if (options.yes !== true) {
    if (!process.stdin.isTTY) {
      throw new NellieError('INVALID_INPUT', 'Pass --yes to confirm deleting every stored vector.');
    }
    const prompt = createInterface({ input: process.stdin, output: process.stderr });
    const answer = await prompt.question(
      `Delete every stored vector in ${file}? They are recomputed with the configured model; keyword search keeps working. [y/N] `,
    );
    prompt.close();
    if (!/^y(es)?$/i.test(answer.trim())) {
      await writeStdout('Nothing was changed.\n');
      return exitCodes.ok;
    }
  }
  const { removedVectors } = await resetEmbeddings(file, { logger });
  await writeStdout(
    `Removed ${removedVectors} vectors from ${file}. They are recomputed by the next \`nellie serve\` or \`nellie index\` with the configured model.\n`,
  );
  return exitCodes.ok;
}

export { runModelDistill } from './model-distill.ts';
