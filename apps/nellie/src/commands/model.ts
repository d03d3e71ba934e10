import { createInterface } from 'node:readline/promises';
import { NellieError } from '@nellie/core';
import {
  importModel,
  pullModel,
  resolveModel,
  verifyModel,
  type FileVerification,
} from '@nellie/embeddings';
import { resetEmbeddings } from '@nellie/storage';
import cliProgress from 'cli-progress';
import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { CommandContext } from '../cli.ts';
import { refuseWithDatabase } from '../open-store.ts';
import { databasePath, modelCacheDir, noModel } from '../config.ts';
import { exitCodes } from '../internal/exit-codes.ts';
import { probeModel } from '../internal/model-probe.ts';
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

/**
 * `nellie model verify`: what is there and whether it works. The model's files must be present
 * (with their sizes and sha256); they are compared with the published checksums, or those recorded
 * when the model was pulled or imported; then the model is loaded and embeds a probe text, whose
 * width must match the model's configuration. A directory named with `--model-dir` is trusted:
 * files that differ from the published ones (a local export, a fine-tuned model) are reported,
 * not refused.
 */
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
  const trusted = resolved.source === 'model-dir';
  const verification = await verifyModel(resolved.dir, { model, dtype, trusted });
  const probe = await probeModel({
    model,
    dtype,
    ...(settings.modelDir === undefined ? {} : { modelDir: settings.modelDir }),
    cacheDir: modelCacheDir(settings),
    logger,
  });
  const configured = await readHiddenSize(resolved.dir);
  const widthOk = !probe.ok || configured === undefined || probe.dimensions === configured;
  const load = {
    ok: probe.ok && widthOk,
    ...(probe.dimensions === undefined ? {} : { dimensions: probe.dimensions }),
    ...(configured === undefined ? {} : { configuredDimensions: configured }),
    message: widthOk
      ? probe.message
      : `${probe.message} But config.json says hidden_size ${configured}.`,
  };
  const ok = verification.state !== 'failed' && load.ok;
  if (options.json === true) {
    await printJson({ ok, source: resolved.source, trusted, verification, load });
  } else {
    await writeStdout(
      [
        `${model} in ${resolved.dir} (${trusted ? 'the directory you named, trusted' : resolved.source}):`,
        `  files (${verification.files.length}):`,
        ...verification.files.map((file) => `    ${describeFile(file)}`),
        `  checksums: ${verification.state} — ${verification.message}`,
        `  ${load.message}`,
        `  ${ok ? 'OK' : 'NOT USABLE'}`,
        '',
      ].join('\n'),
    );
  }
  return ok ? exitCodes.ok : exitCodes.runtime;
}

function describeFile(file: FileVerification): string {
  const size = file.actualBytes === undefined ? '' : ` ${file.actualBytes} bytes`;
  const hash = file.actualSha256 === undefined ? '' : ` sha256 ${file.actualSha256.slice(0, 16)}…`;
  switch (file.status) {
    case 'ok':
      return `${file.path}:${size}${hash} — matches the known checksum`;
    case 'unverified':
      return `${file.path}:${size}${hash} — present, no checksum known`;
    case 'differs':
      return `${file.path}:${size}${hash} — present; not the published file (${file.expectedBytes} bytes, sha256 ${file.expectedSha256?.slice(0, 16)}…)`;
    case 'missing':
      return `${file.path}: MISSING`;
    case 'size-mismatch':
      return `${file.path}:${size} — WRONG SIZE, expected ${file.expectedBytes}`;
    case 'sha256-mismatch':
      return `${file.path}:${size}${hash} — WRONG CONTENT, expected sha256 ${file.expectedSha256}`;
  }
}

/** The width config.json declares, when it does. */
async function readHiddenSize(dir: string): Promise<number | undefined> {
  try {
    const parsed = JSON.parse(await readFile(join(dir, 'config.json'), 'utf8')) as {
      hidden_size?: unknown;
    };
    return typeof parsed.hidden_size === 'number' ? parsed.hidden_size : undefined;
  } catch {
    return undefined;
  }
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
  refuseWithDatabase(
    settings,
    'model reset-vectors',
    'resetting the vectors of a PostgreSQL store is not supported yet: keep the model the database holds, or index afresh with the new model into another schema (--database-schema).',
  );
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
export { runModelCompose } from './model-compose.ts';
