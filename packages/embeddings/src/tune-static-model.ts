import { createHash } from 'node:crypto';
import { join, resolve } from 'node:path';
import { NellieError, noopLogger } from '@nellie/core';
import { z } from 'zod';
import {
  createOutputDir,
  loadStaticModelTokenizer,
  loadStaticTokenizer,
  readStaticQueryWeights,
  readStaticTable,
  readStaticVocabulary,
  refuseOccupiedOutput,
  writeStaticModel,
} from './internal/static-model-files.ts';
import {
  isStaticModelDir,
  readStaticModelConfig,
  staticConfigFile,
  staticModelId,
  type StaticModelConfig,
} from './internal/static-model-format.ts';
import { skipMask, splitIdentifiers } from './internal/static-pooling.ts';
import { tuneCheckpointDir } from './internal/tune-checkpoint.ts';
import { tokenizePairs } from './internal/tune-pairs.ts';
import { tuneRun, type TuneRunResult } from './internal/tune-run.ts';
import { chooseExtensionWords, extendTable } from './internal/vocabulary-extension.ts';
import {
  tuneStaticModelOptionsSchema,
  type TuneStaticModelOptions,
} from './tune-static-model-options.ts';

export interface TuneResult {
  dir: string;
  modelId: string;
  baseModelId: string;
  /** The seeds tuned with; several: the written table is the mean of their tables. */
  seeds: number[];
  /** Pairs trained on, and pairs held out for the validation loss. */
  pairs: number;
  validationPairs: number;
  /** Pairs dropped because a side had no known token. */
  droppedPairs: number;
  epochs: number;
  steps: number;
  /** Steps taken from a checkpoint of an earlier, interrupted run. */
  resumedSteps: number;
  validationLoss?: { before: number; after: number };
  /** Training pairs processed per second (steps of this run only). */
  pairsPerSecond: number;
  seconds: number;
}

/**
 * Tunes a static token table on (description → code) pairs: contrastive training with in-batch
 * negatives (symmetric InfoNCE with a temperature) of the token rows, starting from the
 * distilled table, with sparse per-element Adagrad. The result is a new static model directory
 * whose config records the provenance (base table, what the pairs came from, their number,
 * epochs, seed, hyper-parameters) and whose model id differs from the base's. Deterministic for
 * a seed; an interrupted run resumes from its last checkpoint. With `seeds` above 1 it tunes that
 * many times from the same base (seeds `seed`, `seed + 1`, …) and writes the element-wise mean of
 * the tables: they start from the same rows, so the mean keeps less of any one seed's noise.
 */
export async function tuneStaticModel(options: TuneStaticModelOptions): Promise<TuneResult> {
  const parsed = tuneStaticModelOptionsSchema.safeParse(options);
  if (!parsed.success) {
    throw new NellieError('INVALID_OPTIONS', z.prettifyError(parsed.error), {
      cause: parsed.error,
    });
  }
  const config = parsed.data;
  const logger = options.logger ?? noopLogger;
  const started = performance.now();
  const baseDir = resolve(config.modelDir);
  const outDir = resolve(config.outDir);
  if (!Array.isArray(options.pairs)) {
    throw new NellieError('INVALID_OPTIONS', 'pairs must be an array of { query, code } pairs.');
  }
  if (options.pairs.length < 2) {
    throw new NellieError(
      'INVALID_INPUT',
      `Tuning needs at least 2 (description → code) pairs, but ${options.pairs.length} were found. ` +
        'Tune on code whose functions carry doc comments (/** … */, ///, Python docstrings).',
    );
  }
  if (!isStaticModelDir(baseDir)) {
    throw new NellieError(
      'MODEL_NOT_FOUND',
      `${baseDir} holds no static model (${staticConfigFile}); distill one first with \`nellie model distill\`.`,
    );
  }
  if (baseDir === outDir) {
    throw new NellieError(
      'INVALID_OPTIONS',
      'The output directory must differ from the static model being tuned.',
    );
  }
  refuseOccupiedOutput(outDir, config.overwrite);

  const base = await readStaticModelConfig(baseDir);
  if (config.codeFrequencyWeights && base.weighting.method !== 'zipf-sif') {
    throw new NellieError(
      'INVALID_OPTIONS',
      'codeFrequencyWeights re-weights a table distilled with Zipf SIF weights, but this one has none.',
    );
  }
  if (config.vocabularyWords > 0 && base.vocabulary) {
    throw new NellieError(
      'INVALID_OPTIONS',
      `${baseDir} already extends its vocabulary with ${base.vocabulary.words} words; tune it without vocabularyWords, or start from a table without an extension.`,
    );
  }
  if (config.codeFrequencyWeights && (config.vocabularyWords > 0 || base.vocabulary)) {
    throw new NellieError(
      'INVALID_OPTIONS',
      'codeFrequencyWeights re-weights the rows of the tokenizer vocabulary; it does not combine with a vocabulary extension.',
    );
  }
  const pretokenize = config.pretokenize ?? base.pretokenize ?? 'none';
  const baseTokenize = await loadStaticModelTokenizer(baseDir, base, pretokenize);
  const extension =
    config.vocabularyWords > 0
      ? await chooseExtensionWords(options.pairs.flatMap(pairTexts), {
          count: config.vocabularyWords,
          minDocuments: config.vocabularyMinTexts,
          prepare: pretokenize === 'split-identifiers' ? splitIdentifiers : (text) => text,
          tokenize: baseTokenize,
          skip: skipMask(base.rows, base.skipTokenIds),
        })
      : [];
  const vocabularyWords = [
    ...(await readStaticVocabulary(baseDir, base)),
    ...extension.map(({ word }) => word),
  ];
  const storedTable = await readStaticTable(baseDir, base);
  const distilledTable =
    extension.length > 0 ? extendTable(storedTable, base.dimensions, extension) : storedTable;
  const storedQueryWeights = await readStaticQueryWeights(baseDir, base);
  const baseQueryWeights =
    storedQueryWeights && extension.length > 0
      ? Float32Array.from({ length: base.rows + extension.length }, (_, row) =>
          row < base.rows ? storedQueryWeights[row]! : 1,
        )
      : storedQueryWeights;
  // A base with query weights was trained with them: they are trained on, not dropped.
  const trainQueryWeights = config.queryWeights || baseQueryWeights !== undefined;
  const rows = base.rows + extension.length;
  const { dimensions } = base;
  const tokenized = await tokenizePairs(options.pairs, {
    tokenize:
      extension.length > 0
        ? await loadStaticTokenizer(baseDir, pretokenize, {
            words: vocabularyWords,
            firstRow: rows - vocabularyWords.length,
          })
        : baseTokenize,
    skip: skipMask(rows, base.skipTokenIds),
    maxQueryTokens: config.maxQueryTokens,
    maxCodeTokens: config.maxCodeTokens,
    onProgress: (done) =>
      options.onProgress?.({ phase: 'tokenize', done, total: options.pairs.length }),
  });
  if (extension.length > 0) {
    logger.info(
      { words: extension.length, mostFrequent: extension.slice(0, 20).map(({ word }) => word) },
      'Extended the vocabulary with whole words',
    );
  }
  const droppedPairs = tokenized.dropped;
  const seeds = Array.from({ length: config.seeds }, (_, run) => config.seed + run);
  if (seeds.at(-1)! > 2 ** 31 - 1) {
    throw new NellieError(
      'INVALID_OPTIONS',
      `seed ${config.seed} with ${config.seeds} seeds runs past the largest seed (2^31 − 1).`,
    );
  }
  const fingerprintBase = {
    base: base.table.sha256,
    pairs: tokenized.sha256,
    epochs: config.epochs,
    validationFraction: config.validationFraction,
    maxQueryTokens: config.maxQueryTokens,
    maxCodeTokens: config.maxCodeTokens,
    pretokenize,
    ...(extension.length > 0
      ? { vocabulary: createHash('sha256').update(vocabularyWords.join('\n')).digest('hex') }
      : {}),
    ...(config.hardNegatives > 0 ? { hardNegatives: config.hardNegatives } : {}),
    ...(config.codeFrequencyWeights ? { codeFrequencyWeights: true } : {}),
    ...(config.keywordMissWeight > 0 ? { keywordMissWeight: config.keywordMissWeight } : {}),
    ...(trainQueryWeights ? { queryWeights: baseQueryWeights ? 'base' : 'ones' } : {}),
  };
  await createOutputDir(outDir);

  const runs: Omit<TuneRunResult, 'model'>[] = [];
  // With several seeds the written table is the element-wise mean of the runs' tables.
  let table: Float32Array | undefined;
  let queryWeights: Float32Array | undefined;
  for (const [run, seed] of seeds.entries()) {
    const stepsBefore = runs.reduce((sum, done) => sum + done.totalSteps, 0);
    // Only the summary is kept: a run's table and accumulator are freed once added to the mean.
    const { model, ...summary } = await tuneRun({
      settings: config,
      seed,
      pairs: tokenized.pairs,
      pairsGiven: options.pairs.length,
      table: distilledTable,
      rows,
      dimensions,
      sifCoefficient: base.weighting.coefficient ?? 1e-4,
      queryWeights: baseQueryWeights,
      trainQueryWeights,
      fingerprint: fingerprintBase,
      // Several runs keep a checkpoint each, so a finished run is not repeated on resuming.
      checkpointDir:
        seeds.length > 1
          ? join(outDir, tuneCheckpointDir, `seed-${seed}`)
          : join(outDir, tuneCheckpointDir),
      keepFinished: seeds.length > 1,
      progress: { run, runs: seeds.length, stepsBefore },
      logger,
      signal: options.signal,
      onProgress: options.onProgress,
    });
    runs.push(summary);
    if (seeds.length === 1) {
      table = model.table;
      queryWeights = model.queryWeights?.weights;
    } else {
      table = addScaled(table, model.table, 1 / seeds.length);
      if (model.queryWeights) {
        queryWeights = addScaled(queryWeights, model.queryWeights.weights, 1 / seeds.length);
      }
    }
  }
  const first = runs[0]!;
  const totalSteps = runs.reduce((sum, run) => sum + run.totalSteps, 0);
  const resumedSteps = runs.reduce((sum, run) => sum + run.resumedSteps, 0);
  const trainingSeconds = runs.reduce((sum, run) => sum + run.trainingSeconds, 0);
  const losses = runs.map((run) => run.validationLoss);
  // Each run's loss is measured on its own held-out pairs; with several seeds the mean of those
  // is recorded, as every pair was trained on by some run of the mean table.
  const validationLoss = losses.every((loss) => loss !== undefined)
    ? {
        before: round(mean(losses.map((loss) => loss.before))),
        after: round(mean(losses.map((loss) => loss.after))),
      }
    : undefined;
  const { training, validation, batchSize } = first;

  options.onProgress?.({ phase: 'write', done: 0, total: 1 });
  const seconds = (performance.now() - started) / 1000;
  const baseModelId = staticModelId(base);
  const { table: _baseTable, ...baseConfig } = base;
  const tunedConfig = await writeStaticModel({
    outDir,
    table: table!,
    ...(queryWeights ? { queryWeights } : {}),
    ...(vocabularyWords.length > 0 ? { vocabularyWords } : {}),
    tokenizerDir: baseDir,
    checkpointDir: tuneCheckpointDir,
    config: {
      ...baseConfig,
      rows,
      pretokenize,
      createdAt: new Date().toISOString(),
      producer: config.producer,
      tuning: {
        method: 'contrastive-infonce',
        base: { modelId: baseModelId, sha256: base.table.sha256 },
        tunedOn: config.tunedOn,
        pairs: training,
        validationPairs: validation,
        epochs: config.epochs,
        batchSize,
        learningRate: config.learningRate,
        temperature: config.temperature,
        anchorWeight: config.anchorWeight,
        ...(config.hardNegatives > 0 ? { hardNegatives: config.hardNegatives } : {}),
        ...(config.codeFrequencyWeights ? { codeFrequencyWeights: true } : {}),
        ...(config.keywordMissWeight > 0 ? { keywordMissWeight: config.keywordMissWeight } : {}),
        ...(trainQueryWeights ? { queryWeights: true } : {}),
        ...(extension.length > 0 ? { vocabularyWords: extension.length } : {}),
        seed: config.seed,
        ...(seeds.length > 1 ? { seeds } : {}),
        maxQueryTokens: config.maxQueryTokens,
        maxCodeTokens: config.maxCodeTokens,
        ...(validationLoss ? { validationLoss } : {}),
        seconds: round(seconds, 1),
      },
    } satisfies Omit<StaticModelConfig, 'table' | 'queryWeights' | 'vocabulary'>,
  });
  options.onProgress?.({ phase: 'write', done: 1, total: 1 });

  const modelId = staticModelId(tunedConfig);
  const stepsRun = totalSteps - resumedSteps;
  const pairsPerSecond =
    trainingSeconds > 0 ? Math.round((stepsRun * batchSize) / trainingSeconds) : 0;
  logger.info({ modelId, baseModelId, pairs: training, seeds, seconds }, 'Static model tuned');
  return {
    dir: outDir,
    modelId,
    baseModelId,
    seeds,
    pairs: training,
    validationPairs: validation,
    droppedPairs,
    epochs: config.epochs,
    steps: totalSteps,
    resumedSteps,
    ...(validationLoss ? { validationLoss } : {}),
    pairsPerSecond,
    seconds,
  };
}

/** A pair's texts; a malformed pair has none here and is refused when tokenised. */
function pairTexts(pair: unknown): string[] {
  if (typeof pair !== 'object' || pair === null) return [];
  const { query, code } = pair as Partial<Record<'query' | 'code', unknown>>;
  return [query, code].filter((text): text is string => typeof text === 'string');
}

/** `sum` (a new zero array when absent) plus `scale` × `values`, element-wise, in place. */
function addScaled(
  sum: Float32Array | undefined,
  values: Float32Array,
  scale: number,
): Float32Array {
  const target = sum ?? new Float32Array(values.length);
  for (let i = 0; i < values.length; i += 1) target[i]! += values[i]! * scale;
  return target;
}

function mean(values: readonly number[]): number {
  return values.reduce((sum, value) => sum + value, 0) / values.length;
}

function round(value: number, digits = 4): number {
  const scale = 10 ** digits;
  return Math.round(value * scale) / scale;
}
