import { existsSync } from 'node:fs';
import { rm } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { NellieError } from '@nellie/core';
import {
  distillStaticModel,
  isStaticModelDir,
  tuneStaticModel,
  type DistillProgress,
  type DistillResult,
  type TuneProgress,
  type TuneResult,
} from '@nellie/embeddings';
import cliProgress from 'cli-progress';
import type { CommandContext } from '../cli.ts';
import { exitCodes } from '../internal/exit-codes.ts';
import { printJson, writeStdout } from '../internal/output.ts';
import { mineTuningPairs } from '../internal/tuning-pairs.ts';
import { version } from '../version.ts';

/** Inside the output directory: the untuned table while a `--tune-on` run is under way. */
const tuneBaseDir = '.tune-base';
/** The largest `hardNegatives` `tuneStaticModel()` accepts. */
const maxHardNegatives = 64;
/** The most `seeds` `tuneStaticModel()` accepts. */
const maxSeeds = 16;

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

function decimalOption(value: unknown, flag: string): number | undefined {
  if (value === undefined) return undefined;
  const number = Number(value);
  if (typeof value !== 'string' || value.trim() === '' || !Number.isFinite(number) || number <= 0) {
    throw new NellieError(
      'INVALID_INPUT',
      `${flag} takes a positive number, got ${JSON.stringify(value)}.`,
    );
  }
  return number;
}

function directoryList(value: unknown): string[] | undefined {
  if (value === undefined) return undefined;
  const list = (Array.isArray(value) ? value : [value]).filter(
    (entry): entry is string => typeof entry === 'string' && entry !== '',
  );
  if (list.length === 0) {
    throw new NellieError('INVALID_INPUT', '--tune-on takes one or more directories.');
  }
  return list;
}

const extraPairChoices = ['tests', 'markdown'] as const;
type ExtraPairKind = (typeof extraPairChoices)[number];

/** `--extra-pairs tests,markdown` → the kinds asked for; an unknown kind is an error. */
function extraPairKinds(value: unknown): Set<ExtraPairKind> {
  if (value === undefined) return new Set();
  if (typeof value !== 'string') {
    throw new NellieError('INVALID_INPUT', '--extra-pairs takes a comma-separated list.');
  }
  const kinds = new Set<ExtraPairKind>();
  for (const entry of value.split(',')) {
    const kind = entry.trim();
    if (!(extraPairChoices as readonly string[]).includes(kind)) {
      throw new NellieError(
        'INVALID_INPUT',
        `--extra-pairs takes a comma-separated list of ${extraPairChoices.join(', ')}; got ${JSON.stringify(kind)}.`,
      );
    }
    kinds.add(kind as ExtraPairKind);
  }
  return kinds;
}

/**
 * `nellie model distill --from <teacher dir> --out <dir> [--tune-on <dir>…]`: distils a static
 * token table from a transformer model directory and, with `--tune-on`, tunes it on
 * (doc comment → code) pairs mined from those directories. `--from` may also name a static model,
 * which is then only tuned. Ctrl-C stops after the batch or step in hand; running the same
 * command again resumes where it stopped.
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
  const pretokenize = options.pretokenize;
  if (pretokenize !== undefined && pretokenize !== 'none' && pretokenize !== 'split-identifiers') {
    throw new NellieError(
      'INVALID_INPUT',
      `--pretokenize is split-identifiers or none, got ${JSON.stringify(pretokenize)}.`,
    );
  }
  const dimensions = integerOption(options.dimensions, '--dimensions');
  const batchSize = integerOption(options.batchSize, '--batch-size');
  const tokenLimit = integerOption(options.tokenLimit, '--token-limit');
  const tuneOn = directoryList(options.tuneOn);
  const epochs = integerOption(options.epochs, '--epochs');
  const seed = integerOption(options.seed, '--seed');
  const seeds = integerOption(options.seeds, '--seeds');
  if (seeds !== undefined && (seeds < 1 || seeds > maxSeeds)) {
    throw new NellieError(
      'INVALID_INPUT',
      `--seeds takes a whole number from 1 to ${maxSeeds}, got ${seeds}.`,
    );
  }
  const tuneBatchSize = integerOption(options.tuneBatchSize, '--tune-batch-size');
  const learningRate = decimalOption(options.learningRate, '--learning-rate');
  const temperature = decimalOption(options.temperature, '--temperature');
  const hardNegatives = integerOption(options.hardNegatives, '--hard-negatives');
  if (hardNegatives !== undefined && hardNegatives > maxHardNegatives) {
    // Checked before mining and distilling, which can take minutes.
    throw new NellieError(
      'INVALID_INPUT',
      `--hard-negatives takes a whole number from 0 to ${maxHardNegatives}, got ${hardNegatives}.`,
    );
  }
  const vocabularyWords = integerOption(options.vocabularyWords, '--vocabulary-words');
  const vocabularyMinTexts = integerOption(options.vocabularyMinTexts, '--vocabulary-min-texts');
  const extraPairs = extraPairKinds(options.extraPairs);
  if (
    !tuneOn &&
    ([
      epochs,
      seed,
      seeds,
      tuneBatchSize,
      learningRate,
      temperature,
      hardNegatives,
      vocabularyWords,
      vocabularyMinTexts,
    ].some((value) => value !== undefined) ||
      extraPairs.size > 0)
  ) {
    throw new NellieError(
      'INVALID_INPUT',
      '--epochs, --seed, --seeds, --tune-batch-size, --learning-rate, --temperature, --hard-negatives, --vocabulary-words, --vocabulary-min-texts and --extra-pairs apply to tuning: add --tune-on <dir>.',
    );
  }
  const fromStatic = isStaticModelDir(resolve(from));
  if (fromStatic && !tuneOn) {
    throw new NellieError(
      'INVALID_INPUT',
      `${from} is already a static model; give --tune-on <dir>… to tune it, or --from a transformer model directory to distil.`,
    );
  }
  if (tuneOn && !fromStatic && !existsSync(join(resolve(from), 'config.json'))) {
    // Checked before mining, which can take a while on large directories.
    throw new NellieError(
      'MODEL_NOT_FOUND',
      `The teacher model directory ${resolve(from)} does not exist or has no config.json. Point --from at a transformer model directory (config.json, tokenizer files, onnx/) or at a static model to tune.`,
    );
  }
  if (options.overwrite !== true && isStaticModelDir(resolve(out))) {
    throw new NellieError(
      'CONFLICT',
      `${out} already holds a static model; choose another --out or add --overwrite.`,
    );
  }

  const bar = createBar(logger);
  const controller = new AbortController();
  const interrupt = (): void => controller.abort();
  process.once('SIGINT', interrupt);
  process.once('SIGTERM', interrupt);
  try {
    // Mine first: a directory without documented code should fail before minutes of distilling.
    const mined = tuneOn
      ? await mineTuningPairs(tuneOn, {
          logger,
          testPairs: extraPairs.has('tests'),
          markdownPairs: extraPairs.has('markdown'),
          signal: controller.signal,
          onFile: (done, total) => bar.show('Mining', done, total, 'files'),
        })
      : undefined;
    bar.stop();
    if (mined) {
      logger.info(
        { files: mined.files, chunks: mined.chunks, pairs: mined.pairs.length, kinds: mined.kinds },
        'Mined training pairs',
      );
      if (mined.pairs.length < 2) {
        throw new NellieError(
          'INVALID_INPUT',
          `No training pairs found in ${mined.roots.join(', ')} (${mined.files} files, ${mined.chunks} chunks): ` +
            'tuning needs functions with doc comments (/** … */, ///, Python docstrings).',
        );
      }
    }

    let distilled: DistillResult | undefined;
    const baseDir = fromStatic ? resolve(from) : mined ? join(resolve(out), tuneBaseDir) : out;
    if (!fromStatic && !(mined && isStaticModelDir(baseDir))) {
      distilled = await distillStaticModel({
        teacherDir: from,
        outDir: baseDir,
        teacherDtype,
        ...(dimensions === undefined ? {} : { dimensions }),
        ...(batchSize === undefined ? {} : { batchSize }),
        ...(tokenLimit === undefined ? {} : { tokenLimit }),
        ...(pretokenize === undefined ? {} : { pretokenize }),
        overwrite: options.overwrite === true,
        producer: `nellie ${version}`,
        logger,
        signal: controller.signal,
        onProgress: (event: DistillProgress) => {
          if (event.phase === 'tokens') bar.show('Distilling', event.done, event.total, 'tokens');
          else if (event.done === 0) {
            bar.stop();
            logger.info(
              { phase: event.phase },
              event.phase === 'reduce'
                ? 'Reducing dimensions (PCA) and weighting'
                : 'Writing the model',
            );
          }
        },
      });
      bar.stop();
    }

    let tuned: TuneResult | undefined;
    if (mined) {
      tuned = await tuneStaticModel({
        modelDir: baseDir,
        outDir: out,
        pairs: mined.pairs,
        tunedOn: mined.roots,
        ...(epochs === undefined ? {} : { epochs }),
        ...(seed === undefined ? {} : { seed }),
        ...(seeds === undefined ? {} : { seeds }),
        ...(tuneBatchSize === undefined ? {} : { batchSize: tuneBatchSize }),
        ...(learningRate === undefined ? {} : { learningRate }),
        ...(temperature === undefined ? {} : { temperature }),
        ...(hardNegatives === undefined ? {} : { hardNegatives }),
        ...(vocabularyWords === undefined ? {} : { vocabularyWords }),
        ...(vocabularyMinTexts === undefined ? {} : { vocabularyMinTexts }),
        ...(pretokenize === undefined ? {} : { pretokenize }),
        overwrite: true,
        producer: `nellie ${version}`,
        logger,
        signal: controller.signal,
        onProgress: (event: TuneProgress) => {
          if (event.phase === 'train') {
            const run =
              event.runs === undefined ? '' : ` · seed ${event.seed} (${event.run}/${event.runs})`;
            bar.show(
              'Tuning',
              event.done,
              event.total,
              'steps',
              `· loss ${event.loss.toFixed(3)}${run}`,
            );
          } else if (event.phase === 'write' && event.done === 0) {
            bar.stop();
            logger.info({ phase: event.phase }, 'Writing the tuned model');
          }
        },
      });
      bar.stop();
      if (!fromStatic) await rm(baseDir, { recursive: true, force: true });
    }

    if (options.json === true) {
      await printJson(
        tuned
          ? {
              ...tuned,
              mined: { files: mined!.files, chunks: mined!.chunks, pairs: mined!.pairs.length },
              ...(distilled ? { distilled } : {}),
            }
          : distilled,
      );
    } else {
      const lines: string[] = [];
      if (distilled) {
        lines.push(
          `Distilled ${distilled.modelId}${tuned ? '' : ` into ${distilled.dir}`}${distilled.resumedTokens > 0 ? ` (resumed after ${distilled.resumedTokens} tokens)` : ''}:`,
          `  ${distilled.rows} tokens × ${distilled.dimensions} dimensions, ${(distilled.tableBytes / 1e6).toFixed(1)} MB table${distilled.explainedVariance === undefined ? '' : `, PCA keeps ${(distilled.explainedVariance * 100).toFixed(1)}% of the variance`}, ${distilled.seconds.toFixed(0)} s.`,
        );
      }
      if (tuned) {
        const loss = tuned.validationLoss
          ? `, held-out loss ${tuned.validationLoss.before.toFixed(3)} → ${tuned.validationLoss.after.toFixed(3)}`
          : '';
        lines.push(
          `Tuned ${tuned.baseModelId} into ${tuned.modelId} in ${tuned.dir}${tuned.resumedSteps > 0 ? ` (resumed after ${tuned.resumedSteps} steps)` : ''}:`,
          `  ${tuned.pairs} pairs from ${mined!.files} files, ${tuned.epochs} epochs${tuned.seeds.length > 1 ? `, mean of seeds ${tuned.seeds.join(', ')}` : ''}, ${tuned.pairsPerSecond} pairs/s${loss}, ${tuned.seconds.toFixed(0)} s.`,
        );
      }
      lines.push(
        `Use it with --model-dir ${tuned?.dir ?? distilled?.dir ?? out} (or NELLIE_MODEL_DIR); switching models needs \`nellie model reset-vectors\` first.`,
        '',
      );
      await writeStdout(lines.join('\n'));
    }
    return exitCodes.ok;
  } catch (error) {
    if (NellieError.is(error) && error.code === 'ABORTED') {
      throw new NellieError(
        'ABORTED',
        'Interrupted; finished work is saved. Run the same command again to resume.',
        { cause: error },
      );
    }
    throw error;
  } finally {
    bar.stop();
    process.off('SIGINT', interrupt);
    process.off('SIGTERM', interrupt);
  }
}

interface Bar {
  show(phase: string, done: number, total: number, unit: string, detail?: string): void;
  stop(): void;
}

/** A progress bar on a terminal's stderr; otherwise a log line at every tenth of a phase. */
function createBar(logger: CommandContext['logger']): Bar {
  if (!process.stderr.isTTY) {
    let logged = { phase: '', tenth: -1 };
    return {
      show(phase, done, total, unit, detail = '') {
        const tenth = Math.floor((done / Math.max(total, 1)) * 10);
        if (phase === logged.phase && tenth === logged.tenth) return;
        logged = { phase, tenth };
        logger.info(
          { done, total, unit, ...(detail ? { detail: detail.replace(/^· /, '') } : {}) },
          phase,
        );
      },
      stop: () => {},
    };
  }
  const bar = new cliProgress.SingleBar(
    {
      stream: process.stderr,
      format: '{phase} |{bar}| {value}/{total} {unit} {detail} · ETA {eta_formatted}',
      hideCursor: true,
      clearOnComplete: true,
      barsize: 30,
      etaBuffer: 20,
      fps: 5,
    },
    cliProgress.Presets.shades_classic,
  );
  let current: string | undefined;
  return {
    show(phase, done, total, unit, detail = '') {
      if (current !== phase) {
        if (current !== undefined) bar.stop();
        bar.start(total, done, { phase: phase.padEnd(10), unit, detail });
        current = phase;
      } else bar.update(done, { detail });
    },
    stop() {
      if (current !== undefined) bar.stop();
      current = undefined;
    },
  };
}
