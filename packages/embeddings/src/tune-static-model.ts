import { createHash } from 'node:crypto';
import { chmod, copyFile, mkdir, readFile, rename, rm, stat, writeFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { NellieError, noopLogger, throwIfAborted } from '@nellie/core';
import { z } from 'zod';
import {
  batchLoss,
  epochOrder,
  trainStep,
  type ContrastiveTable,
  type TokenizedPair,
} from './internal/contrastive.ts';
import { hashFile } from './internal/file-hash.ts';
import {
  isStaticModelDir,
  optionalTokenizerFiles,
  readStaticModelConfig,
  staticConfigFile,
  staticModelId,
  staticTableFile,
  staticTokenizerFiles,
  type StaticModelConfig,
} from './internal/static-model-format.ts';
import { createFastWordPiece } from './internal/word-piece.ts';
import type { CodePair } from './mine-code-pairs.ts';
import {
  tuneStaticModelOptionsSchema,
  type TuneStaticModelOptions,
} from './tune-static-model-options.ts';

export interface TuneResult {
  dir: string;
  modelId: string;
  baseModelId: string;
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

const checkpointDir = '.tune-checkpoint';
/** Characters kept per token before tokenising, as the static embedder does. */
const charsPerToken = 32;

interface CheckpointState {
  fingerprint: string;
  stepsDone: number;
  /** Sum of the losses of the current epoch's steps so far. */
  epochLossSum: number;
}

/**
 * Tunes a static token table on (description → code) pairs: contrastive training with in-batch
 * negatives (symmetric InfoNCE with a temperature) of the token rows, starting from the
 * distilled table, with sparse per-element Adagrad. The result is a new static model directory
 * whose config records the provenance (base table, what the pairs came from, their number,
 * epochs, seed, hyper-parameters) and whose model id differs from the base's. Deterministic for
 * a seed; an interrupted run resumes from its last checkpoint.
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
  if (isStaticModelDir(outDir) && !config.overwrite) {
    throw new NellieError(
      'CONFLICT',
      `${outDir} already holds a static model (${staticConfigFile}); choose another output directory or overwrite it.`,
    );
  }

  const base = await readStaticModelConfig(baseDir);
  const baseTable = await readTable(baseDir, base);
  const { rows, dimensions } = base;
  const tokenize = await loadTokenizer(baseDir);
  const skip = new Uint8Array(rows);
  for (const id of base.skipTokenIds) if (id < rows) skip[id] = 1;
  const toIds = (text: string, maxTokens: number): Int32Array => {
    const ids = tokenize(text.slice(0, maxTokens * charsPerToken));
    const kept: number[] = [];
    // Cut before skipping, as the embedder does.
    for (const id of ids.slice(0, maxTokens)) if (id < rows && skip[id] !== 1) kept.push(id);
    return Int32Array.from(kept);
  };

  const tokenized: TokenizedPair[] = [];
  const pairsHash = createHash('sha256');
  options.pairs.forEach((pair: CodePair, index) => {
    if (index % 1000 === 0) {
      options.onProgress?.({ phase: 'tokenize', done: index, total: options.pairs.length });
    }
    if (typeof pair?.query !== 'string' || typeof pair.code !== 'string') {
      throw new NellieError(
        'INVALID_INPUT',
        `Pair ${index} is not a { query: string, code: string } pair.`,
      );
    }
    pairsHash.update(`${pair.query}\u0000${pair.code}\u0001`);
    const query = toIds(pair.query, config.maxQueryTokens);
    const code = toIds(pair.code, config.maxCodeTokens);
    if (query.length > 0 && code.length > 0) tokenized.push({ query, code });
  });
  options.onProgress?.({
    phase: 'tokenize',
    done: options.pairs.length,
    total: options.pairs.length,
  });
  const droppedPairs = options.pairs.length - tokenized.length;

  // A seeded, stable hold-out: the same pairs and seed always hold out the same pairs.
  const shuffled = epochOrder(tokenized.length, config.seed, -1);
  const validationCount = Math.min(
    Math.floor(tokenized.length * config.validationFraction),
    tokenized.length - 2,
  );
  const validation = Array.from(shuffled.subarray(0, validationCount), (i) => tokenized[i]!);
  const training = Array.from(shuffled.subarray(validationCount), (i) => tokenized[i]!);
  if (training.length < 2) {
    throw new NellieError(
      'INVALID_INPUT',
      `Only ${training.length} of the ${options.pairs.length} pairs have known tokens on both sides; tuning needs at least 2.`,
    );
  }
  const batchSize = Math.min(config.batchSize, training.length);
  const stepsPerEpoch = Math.ceil(training.length / batchSize);
  const totalSteps = stepsPerEpoch * config.epochs;
  const settings = {
    temperature: config.temperature,
    learningRate: config.learningRate,
    anchorWeight: config.anchorWeight,
  };
  const fingerprint = createHash('sha256')
    .update(
      JSON.stringify({
        base: base.table.sha256,
        pairs: pairsHash.digest('hex'),
        seed: config.seed,
        epochs: config.epochs,
        batchSize,
        validationFraction: config.validationFraction,
        maxQueryTokens: config.maxQueryTokens,
        maxCodeTokens: config.maxCodeTokens,
        ...settings,
      }),
    )
    .digest('hex');

  const model: ContrastiveTable = {
    rows,
    dimensions,
    table: Float32Array.from(baseTable),
    accumulator: new Float32Array(rows * dimensions),
  };
  const validationLossOf = (): number | undefined => {
    if (validation.length < 2) return undefined;
    let total = 0;
    let batches = 0;
    for (let start = 0; start + 1 < validation.length; start += batchSize) {
      total += batchLoss(model, validation.slice(start, start + batchSize), config.temperature);
      batches += 1;
    }
    return total / batches;
  };

  await mkdir(outDir, { recursive: true }).catch((error: unknown) => {
    throw new NellieError('INVALID_OPTIONS', `Cannot create ${outDir}: ${String(error)}`, {
      cause: error,
    });
  });
  const checkpoint = await openCheckpoint(join(outDir, checkpointDir), fingerprint, model);
  const resumedSteps = checkpoint.state.stepsDone;
  if (resumedSteps > 0) logger.info({ resumedSteps, totalSteps }, 'Resuming the tuning');
  // The loss before training is measured on the starting table, not a resumed one.
  const validationBefore = (() => {
    const current = model.table;
    model.table = baseTable;
    try {
      return validationLossOf();
    } finally {
      model.table = current;
    }
  })();
  const anchor = config.anchorWeight > 0 ? baseTable : undefined;

  let stepsDone = resumedSteps;
  let epochLossSum = checkpoint.state.epochLossSum;
  let lastSaved = performance.now();
  const trainingStarted = performance.now();
  while (stepsDone < totalSteps) {
    const epoch = Math.floor(stepsDone / stepsPerEpoch);
    const order = epochOrder(training.length, config.seed, epoch);
    for (let step = stepsDone % stepsPerEpoch; step < stepsPerEpoch; step += 1) {
      if (options.signal?.aborted) {
        await checkpoint.save({ fingerprint, stepsDone, epochLossSum });
        throwIfAborted(options.signal);
      }
      const batch = Array.from(
        order.subarray(step * batchSize, (step + 1) * batchSize),
        (i) => training[i]!,
      );
      if (batch.length >= 2) epochLossSum += trainStep(model, batch, { ...settings, anchor });
      stepsDone += 1;
      options.onProgress?.({
        phase: 'train',
        done: stepsDone,
        total: totalSteps,
        epoch: epoch + 1,
        loss: epochLossSum / (step + 1),
        resumedFrom: resumedSteps,
      });
      if (
        config.checkpointSeconds > 0 &&
        performance.now() - lastSaved >= config.checkpointSeconds * 1000 &&
        stepsDone < totalSteps
      ) {
        await checkpoint.save({ fingerprint, stepsDone, epochLossSum });
        lastSaved = performance.now();
      }
    }
    logger.info(
      { epoch: epoch + 1, meanLoss: epochLossSum / stepsPerEpoch },
      'Tuning epoch finished',
    );
    epochLossSum = 0;
  }
  const trainingSeconds = (performance.now() - trainingStarted) / 1000;
  const validationAfter = validationLossOf();
  const validationLoss =
    validationBefore === undefined || validationAfter === undefined
      ? undefined
      : { before: round(validationBefore), after: round(validationAfter) };

  options.onProgress?.({ phase: 'write', done: 0, total: 1 });
  await rm(join(outDir, staticConfigFile), { force: true });
  const tablePath = join(outDir, staticTableFile);
  await mkdir(join(tablePath, '..'), { recursive: true });
  await writeFile(`${tablePath}.tmp`, littleEndian(model.table));
  await rename(`${tablePath}.tmp`, tablePath);
  const tableHash = await hashFile(tablePath);
  for (const file of [...staticTokenizerFiles, ...optionalTokenizerFiles]) {
    const source = join(baseDir, file);
    if (
      await stat(source).then(
        (info) => info.isFile(),
        () => false,
      )
    ) {
      await copyFile(source, join(outDir, file));
      await chmod(join(outDir, file), 0o644);
    }
  }
  const seconds = (performance.now() - started) / 1000;
  const baseModelId = staticModelId(base);
  const tunedConfig: StaticModelConfig = {
    ...base,
    table: { path: staticTableFile, bytes: tableHash.bytes, sha256: tableHash.sha256 },
    createdAt: new Date().toISOString(),
    producer: config.producer,
    tuning: {
      method: 'contrastive-infonce',
      base: { modelId: baseModelId, sha256: base.table.sha256 },
      tunedOn: config.tunedOn,
      pairs: training.length,
      validationPairs: validation.length,
      epochs: config.epochs,
      batchSize,
      learningRate: config.learningRate,
      temperature: config.temperature,
      anchorWeight: config.anchorWeight,
      seed: config.seed,
      maxQueryTokens: config.maxQueryTokens,
      maxCodeTokens: config.maxCodeTokens,
      ...(validationLoss ? { validationLoss } : {}),
      seconds: round(seconds, 1),
    },
  };
  await writeFile(
    join(outDir, 'config.json'),
    `${JSON.stringify({ model_type: 'nellie-static', hidden_size: dimensions, vocab_size: rows }, null, 2)}\n`,
  );
  await writeFile(
    join(outDir, `${staticConfigFile}.tmp`),
    `${JSON.stringify(tunedConfig, null, 2)}\n`,
  );
  await rename(join(outDir, `${staticConfigFile}.tmp`), join(outDir, staticConfigFile));
  await rm(join(outDir, checkpointDir), { recursive: true, force: true });
  options.onProgress?.({ phase: 'write', done: 1, total: 1 });

  const modelId = staticModelId(tunedConfig);
  const stepsRun = totalSteps - resumedSteps;
  const pairsPerSecond =
    trainingSeconds > 0 ? Math.round((stepsRun * batchSize) / trainingSeconds) : 0;
  logger.info({ modelId, baseModelId, pairs: training.length, seconds }, 'Static model tuned');
  return {
    dir: outDir,
    modelId,
    baseModelId,
    pairs: training.length,
    validationPairs: validation.length,
    droppedPairs,
    epochs: config.epochs,
    steps: totalSteps,
    resumedSteps,
    ...(validationLoss ? { validationLoss } : {}),
    pairsPerSecond,
    seconds,
  };
}

function round(value: number, digits = 4): number {
  const scale = 10 ** digits;
  return Math.round(value * scale) / scale;
}

async function readTable(dir: string, config: StaticModelConfig): Promise<Float32Array> {
  const path = join(dir, config.table.path);
  const bytes = await readFile(path).catch((error: unknown) => {
    throw new NellieError(
      'MODEL_NOT_FOUND',
      `The static model's table ${path} is missing or unreadable (${String(error)}).`,
      { cause: error },
    );
  });
  if (
    bytes.length !== config.rows * config.dimensions * 4 ||
    createHash('sha256').update(bytes).digest('hex') !== config.table.sha256
  ) {
    throw new NellieError(
      'MODEL_VERIFICATION_FAILED',
      `${path} does not match the size and sha256 recorded in ${staticConfigFile}: the table was altered or truncated.`,
    );
  }
  return fromLittleEndian(bytes);
}

/** The teacher's tokenizer as copied into the static model: fast WordPiece, else transformers.js. */
async function loadTokenizer(dir: string): Promise<(text: string) => number[]> {
  let json: unknown;
  try {
    json = JSON.parse(await readFile(join(dir, 'tokenizer.json'), 'utf8'));
  } catch (error) {
    throw new NellieError(
      'MODEL_LOAD_FAILED',
      `${join(dir, 'tokenizer.json')} is missing or not JSON; distill the model again.`,
      { cause: error },
    );
  }
  const fast = createFastWordPiece(json);
  let full: ((text: string) => number[]) | undefined;
  const loadFull = async (): Promise<(text: string) => number[]> => {
    try {
      const { env, AutoTokenizer, LogLevel } = await import('@huggingface/transformers');
      env.allowRemoteModels = false;
      env.allowLocalModels = true;
      env.useFSCache = false;
      env.useBrowserCache = false;
      env.logLevel = LogLevel.ERROR;
      const tokenizer = await AutoTokenizer.from_pretrained(dir, { local_files_only: true });
      return (text: string) => tokenizer.encode(text, { add_special_tokens: false });
    } catch (error) {
      throw new NellieError(
        'MODEL_LOAD_FAILED',
        `The tokenizer in ${dir} does not load: ${error instanceof Error ? error.message : String(error)}`,
        { cause: error },
      );
    }
  };
  // Texts the fast path declines (written-out special tokens) are rare: the full tokenizer is
  // loaded up front only when there is no fast path at all.
  if (!fast) full = await loadFull();
  const fullTokenizer = full;
  return (text) => {
    const ids = fast?.(text);
    if (ids) return ids;
    if (fullTokenizer) return fullTokenizer(text);
    // A text naming a special token: drop the special tokens' text and use the fast path.
    return fast?.(text.replace(/\[(?:CLS|SEP|PAD|UNK|MASK)\]/g, ' ')) ?? [];
  };
}

const hostIsLittleEndian = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;

function littleEndian(table: Float32Array): Buffer {
  const bytes = Buffer.from(table.buffer, table.byteOffset, table.byteLength);
  if (hostIsLittleEndian) return bytes;
  const copy = Buffer.from(bytes);
  copy.swap32();
  return copy;
}

function fromLittleEndian(bytes: Buffer): Float32Array {
  const copy = Buffer.from(Uint8Array.prototype.slice.call(bytes));
  if (!hostIsLittleEndian) copy.swap32();
  return new Float32Array(copy.buffer, copy.byteOffset, copy.length / 4);
}

/**
 * Training state on disk: the table and Adagrad's accumulator after `stepsDone` steps, in files
 * named after the step, with `state.json` (written last) naming the step they belong to.
 */
async function openCheckpoint(
  dir: string,
  fingerprint: string,
  model: ContrastiveTable,
): Promise<{ state: CheckpointState; save(state: CheckpointState): Promise<void> }> {
  const statePath = join(dir, 'state.json');
  const files = (steps: number): { table: string; accumulator: string } => ({
    table: join(dir, `table-${steps}.f32`),
    accumulator: join(dir, `accumulator-${steps}.f32`),
  });
  let state: CheckpointState = { fingerprint, stepsDone: 0, epochLossSum: 0 };
  try {
    const saved = JSON.parse(await readFile(statePath, 'utf8')) as Partial<CheckpointState>;
    if (
      saved.fingerprint === fingerprint &&
      typeof saved.stepsDone === 'number' &&
      saved.stepsDone > 0 &&
      typeof saved.epochLossSum === 'number'
    ) {
      const paths = files(saved.stepsDone);
      const [table, accumulator] = await Promise.all([
        readFile(paths.table),
        readFile(paths.accumulator),
      ]);
      const bytes = model.rows * model.dimensions * 4;
      if (table.length === bytes && accumulator.length === bytes) {
        model.table.set(fromLittleEndian(table));
        model.accumulator.set(fromLittleEndian(accumulator));
        state = saved as CheckpointState;
      }
    }
  } catch {
    // No usable checkpoint: start from the base table.
  }
  if (state.stepsDone === 0) await rm(dir, { recursive: true, force: true });
  await mkdir(dir, { recursive: true });
  return {
    state,
    async save(next) {
      const paths = files(next.stepsDone);
      await writeFile(paths.table, littleEndian(model.table));
      await writeFile(paths.accumulator, littleEndian(model.accumulator));
      await writeFile(`${statePath}.tmp`, JSON.stringify(next));
      await rename(`${statePath}.tmp`, statePath);
      if (state.stepsDone > 0 && state.stepsDone !== next.stepsDone) {
        const old = files(state.stepsDone);
        await rm(old.table, { force: true });
        await rm(old.accumulator, { force: true });
      }
      state = next;
    },
  };
}
