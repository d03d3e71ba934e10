import { NellieError } from '@nellie/core';
import { distillStaticModel, type DistillProgress } from '@nellie/embeddings';
import cliProgress from 'cli-progress';
import type { CommandContext } from '../cli.ts';
import { exitCodes } from '../internal/exit-codes.ts';
import { printJson, writeStdout } from '../internal/output.ts';
import { version } from '../version.ts';

function integerOption(value: unknown, flag: string): number | undefined {
  if (value === undefined) return undefined;
  const number = Number(value);
  if (typeof value !== 'string' || !/^\d+$/.test(value) || !Number.isSafeInteger(number)) {
    throw new NellieError(
      'INVALID_INPUT',
      `${flag} takes a whole number, got ${JSON.stringify(value)}.`,
    );
  }
  return number;
}

/**
 * `nellie model distill --from <teacher dir> --out <dir>`: distils a static token table from a
 * transformer model directory. Ctrl-C stops after the batch in hand; running the same command
 * again resumes where it stopped.
 */
export async function runModelDistill(context: CommandContext): Promise<number> {
  const { logger, options } = context;
  const from = options.from;
  const out = options.out;
  if (typeof from !== 'string' || typeof out !== 'string') {
    throw new NellieError(
      'INVALID_INPUT',
      'Name the teacher with --from <dir> and the output with --out <dir>.',
    );
  }
  const teacherDtype = options.teacherDtype ?? 'fp32';
  if (teacherDtype !== 'fp32' && teacherDtype !== 'q8') {
    throw new NellieError(
      'INVALID_INPUT',
      `--teacher-dtype is fp32 or q8, got ${JSON.stringify(teacherDtype)}.`,
    );
  }
  const dimensions = integerOption(options.dimensions, '--dimensions');
  const batchSize = integerOption(options.batchSize, '--batch-size');
  const tokenLimit = integerOption(options.tokenLimit, '--token-limit');

  const bar = process.stderr.isTTY
    ? new cliProgress.SingleBar(
        {
          stream: process.stderr,
          format: '{phase} |{bar}| {value}/{total} {unit} · ETA {eta_formatted}',
          hideCursor: true,
          clearOnComplete: true,
          barsize: 30,
          etaBuffer: 20,
          fps: 5,
        },
        cliProgress.Presets.shades_classic,
      )
    : undefined;
  let started = false;
  let lastLogged = 0;
  const onProgress = (event: DistillProgress): void => {
    if (event.phase !== 'tokens') {
      if (event.done === 0)
        logger.info(
          { phase: event.phase },
          event.phase === 'reduce'
            ? 'Reducing dimensions (PCA) and weighting'
            : 'Writing the model',
        );
      return;
    }
    if (!bar) {
      if (event.done - lastLogged >= 4096 || event.done === event.total) {
        lastLogged = event.done;
        logger.info(
          { done: event.done, total: event.total, resumedFrom: event.resumedFrom },
          'Distilling tokens',
        );
      }
      return;
    }
    if (!started) {
      bar.start(event.total, event.done, { phase: 'Distilling', unit: 'tokens' });
      started = true;
    } else bar.update(event.done);
    if (event.done === event.total) bar.stop();
  };

  const controller = new AbortController();
  const interrupt = (): void => controller.abort();
  process.once('SIGINT', interrupt);
  process.once('SIGTERM', interrupt);
  try {
    const result = await distillStaticModel({
      teacherDir: from,
      outDir: out,
      teacherDtype,
      ...(dimensions === undefined ? {} : { dimensions }),
      ...(batchSize === undefined ? {} : { batchSize }),
      ...(tokenLimit === undefined ? {} : { tokenLimit }),
      overwrite: options.overwrite === true,
      producer: `nellie ${version}`,
      logger,
      signal: controller.signal,
      onProgress,
    });
    if (options.json === true) await printJson(result);
    else {
      await writeStdout(
        [
          `Distilled ${result.modelId} into ${result.dir}${result.resumedTokens > 0 ? ` (resumed after ${result.resumedTokens} tokens)` : ''}:`,
          `  ${result.rows} tokens × ${result.dimensions} dimensions, ${(result.tableBytes / 1e6).toFixed(1)} MB table${result.explainedVariance === undefined ? '' : `, PCA keeps ${(result.explainedVariance * 100).toFixed(1)}% of the variance`}, ${result.seconds.toFixed(0)} s.`,
          `Use it with --model-dir ${result.dir} (or NELLIE_MODEL_DIR); switching models needs \`nellie model reset-vectors\` first.`,
          '',
        ].join('\n'),
      );
    }
    return exitCodes.ok;
  } catch (error) {
    if (NellieError.is(error) && error.code === 'ABORTED') {
      throw new NellieError(
        'ABORTED',
        'Distillation interrupted; finished token batches are saved. Run the same command again to resume.',
        { cause: error },
      );
    }
    throw error;
  } finally {
    bar?.stop();
    process.off('SIGINT', interrupt);
    process.off('SIGTERM', interrupt);
  }
}
