/**
 * One tuning run of `tuneStaticModel()`: from the starting table, with one seed, to the trained
 * table and its held-out loss, checkpointed so an interrupted run resumes where it stopped.
 */
import { createHash } from 'node:crypto';
import { NellieError, throwIfAborted, type Logger } from '@nellie/core';
import { codeFrequencyWeighted } from './code-frequency-weights.ts';
import {
  batchLoss,
  epochOrder,
  trainStep,
  type ContrastiveTable,
  type TokenizedPair,
} from './contrastive.ts';
import { keywordMissWeights, keywordNeighbours, withNeighbours } from './hard-negatives.ts';
import { openTuneCheckpoint } from './tune-checkpoint.ts';
import { holdOut } from './tune-pairs.ts';

/** Progress of the training steps, counted over every run of a tuning. */
export interface TrainProgress {
  phase: 'train';
  /** Steps done over all epochs, and their total. */
  done: number;
  total: number;
  epoch: number;
  /** Mean loss of the steps of this epoch so far. */
  loss: number;
  resumedFrom: number;
  /** With several seeds: the run's seed, and which of how many runs it is. */
  seed?: number;
  run?: number;
  runs?: number;
}

/** The training settings a run reads (the parsed options of `tuneStaticModel()`). */
export interface TuneRunSettings {
  epochs: number;
  batchSize: number;
  learningRate: number;
  temperature: number;
  anchorWeight: number;
  hardNegatives: number;
  keywordMissWeight: number;
  codeFrequencyWeights: boolean;
  validationFraction: number;
  checkpointSeconds: number;
}

export interface TuneRunInput {
  settings: TuneRunSettings;
  seed: number;
  pairs: readonly TokenizedPair[];
  /** Pairs given before tokenising, for the message when too few are usable. */
  pairsGiven: number;
  /** The table before tuning, rows × dimensions. */
  table: Float32Array;
  rows: number;
  dimensions: number;
  /** The distilled table's Zipf SIF coefficient (`codeFrequencyWeights`). */
  sifCoefficient: number;
  /** Query weights to train from; undefined with `trainQueryWeights` starts them at 1. */
  queryWeights: Float32Array | undefined;
  trainQueryWeights: boolean;
  /** What else identifies the run's checkpoint besides the seed and the settings. */
  fingerprint: Record<string, unknown>;
  checkpointDir: string;
  /** Keep a checkpoint after the last step too, so a finished run is not repeated on resuming. */
  keepFinished: boolean;
  /** Progress counts the steps of every run: this one's position, and the earlier runs' steps. */
  progress: { run: number; runs: number; stepsBefore: number };
  logger: Logger;
  signal: AbortSignal | undefined;
  onProgress: ((event: TrainProgress) => void) | undefined;
}

export interface TuneRunResult {
  model: ContrastiveTable;
  training: number;
  validation: number;
  batchSize: number;
  totalSteps: number;
  resumedSteps: number;
  trainingSeconds: number;
  validationLoss: { before: number; after: number } | undefined;
}

export async function tuneRun(input: TuneRunInput): Promise<TuneRunResult> {
  const { settings, seed, rows, dimensions, logger } = input;
  const heldOut = holdOut(input.pairs, settings.validationFraction, seed);
  const { validation } = heldOut;
  const missWeights = keywordMissWeights(heldOut.training, settings.keywordMissWeight);
  const training =
    settings.keywordMissWeight > 0
      ? heldOut.training.map((pair, index) => ({ ...pair, weight: missWeights[index]! }))
      : heldOut.training;
  if (training.length < 2) {
    throw new NellieError(
      'INVALID_INPUT',
      `Only ${training.length} of the ${input.pairsGiven} pairs have known tokens on both sides; tuning needs at least 2.`,
    );
  }
  // The table training starts from (and the anchor and "before" loss refer to).
  const startTable = settings.codeFrequencyWeights
    ? codeFrequencyWeighted(
        input.table,
        rows,
        dimensions,
        training.map((pair) => pair.code),
        input.sifCoefficient,
      ).table
    : input.table;
  const batchSize = Math.min(settings.batchSize, training.length);
  const stepsPerEpoch = Math.ceil(training.length / batchSize);
  const totalSteps = stepsPerEpoch * settings.epochs;
  const stepSettings = {
    temperature: settings.temperature,
    learningRate: settings.learningRate,
    anchorWeight: settings.anchorWeight,
  };
  const fingerprint = createHash('sha256')
    .update(JSON.stringify({ ...input.fingerprint, seed, batchSize, ...stepSettings }))
    .digest('hex');

  const model: ContrastiveTable = {
    rows,
    dimensions,
    table: Float32Array.from(startTable),
    accumulator: new Float32Array(rows * dimensions),
    ...(input.trainQueryWeights
      ? {
          queryWeights: {
            weights: input.queryWeights
              ? Float32Array.from(input.queryWeights)
              : new Float32Array(rows).fill(1),
            accumulator: new Float32Array(rows),
          },
        }
      : {}),
  };
  const validationLossOf = (): number | undefined => {
    if (validation.length < 2) return undefined;
    let total = 0;
    let batches = 0;
    for (let start = 0; start + 1 < validation.length; start += batchSize) {
      total += batchLoss(model, validation.slice(start, start + batchSize), settings.temperature);
      batches += 1;
    }
    return total / batches;
  };

  const startQueryWeights = model.queryWeights && {
    weights: Float32Array.from(model.queryWeights.weights),
    accumulator: new Float32Array(rows),
  };
  const checkpoint = await openTuneCheckpoint(input.checkpointDir, fingerprint, model);
  const resumedSteps = checkpoint.state.stepsDone;
  if (resumedSteps > 0) logger.info({ seed, resumedSteps, totalSteps }, 'Resuming the tuning');
  // The loss before training is measured on the starting table, not a resumed one.
  const validationBefore = (() => {
    const current = { table: model.table, queryWeights: model.queryWeights };
    model.table = startTable;
    model.queryWeights = startQueryWeights;
    try {
      return validationLossOf();
    } finally {
      model.table = current.table;
      model.queryWeights = current.queryWeights;
    }
  })();
  const anchor = settings.anchorWeight > 0 ? startTable : undefined;

  const neighbours = keywordNeighbours(training, settings.hardNegatives);
  const { run, runs, stepsBefore } = input.progress;
  let stepsDone = resumedSteps;
  let epochLossSum = checkpoint.state.epochLossSum;
  let lastSaved = performance.now();
  const trainingStarted = performance.now();
  while (stepsDone < totalSteps) {
    const epoch = Math.floor(stepsDone / stepsPerEpoch);
    const order = withNeighbours(
      epochOrder(training.length, seed, epoch),
      neighbours,
      settings.hardNegatives + 1,
    );
    for (let step = stepsDone % stepsPerEpoch; step < stepsPerEpoch; step += 1) {
      if (input.signal?.aborted) {
        await checkpoint.save({ fingerprint, stepsDone, epochLossSum });
        throwIfAborted(input.signal);
      }
      const batch = Array.from(
        order.subarray(step * batchSize, (step + 1) * batchSize),
        (i) => training[i]!,
      );
      if (batch.length >= 2) epochLossSum += trainStep(model, batch, { ...stepSettings, anchor });
      stepsDone += 1;
      input.onProgress?.({
        phase: 'train',
        done: stepsBefore + stepsDone,
        total: totalSteps * runs,
        epoch: epoch + 1,
        loss: epochLossSum / (step + 1),
        resumedFrom: stepsBefore + resumedSteps,
        ...(runs > 1 ? { seed, run: run + 1, runs } : {}),
      });
      if (
        settings.checkpointSeconds > 0 &&
        performance.now() - lastSaved >= settings.checkpointSeconds * 1000 &&
        stepsDone < totalSteps
      ) {
        await checkpoint.save({ fingerprint, stepsDone, epochLossSum });
        lastSaved = performance.now();
      }
    }
    logger.info(
      { seed, epoch: epoch + 1, meanLoss: epochLossSum / stepsPerEpoch },
      'Tuning epoch finished',
    );
    epochLossSum = 0;
  }
  if (input.keepFinished && resumedSteps < totalSteps) {
    await checkpoint.save({ fingerprint, stepsDone, epochLossSum });
  }
  const trainingSeconds = (performance.now() - trainingStarted) / 1000;
  const validationAfter = validationLossOf();
  return {
    model,
    training: training.length,
    validation: validation.length,
    batchSize,
    totalSteps,
    resumedSteps,
    trainingSeconds,
    validationLoss:
      validationBefore === undefined || validationAfter === undefined
        ? undefined
        : { before: validationBefore, after: validationAfter },
  };
}
