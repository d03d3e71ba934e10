import { availableParallelism } from 'node:os';
import { basename, join, resolve } from 'node:path';
import { NellieError, noopLogger, throwIfAborted } from '@nellie/core';
import type { Tensor } from '@huggingface/transformers';
import { z } from 'zod';
import {
  distillStaticModelOptionsSchema,
  type DistillStaticModelOptions,
} from './distill-static-model-options.ts';
import { distillCheckpointDir, openDistillCheckpoint } from './internal/distill-checkpoint.ts';
import { hashFile } from './internal/file-hash.ts';
import { describeIncomplete, inspectModelDir, onnxFileFor } from './internal/model-layout.ts';
import { fitPca, projectPca, zipfSifWeights } from './internal/pca.ts';
import {
  createOutputDir,
  refuseOccupiedOutput,
  writeStaticModel,
} from './internal/static-model-files.ts';
import {
  staticFormatVersion,
  staticModelId,
  staticTokenizerFiles,
} from './internal/static-model-format.ts';

export interface DistillResult {
  dir: string;
  modelId: string;
  rows: number;
  dimensions: number;
  /** Tokens taken from a checkpoint of an earlier, interrupted run. */
  resumedTokens: number;
  explainedVariance?: number;
  tableBytes: number;
  seconds: number;
}

/**
 * Distils a static token table from a transformer (model2vec style): every vocabulary token goes
 * through the teacher as `[CLS] token [SEP]` and is mean-pooled; the table is reduced by PCA and
 * weighted by Zipf/SIF weights. Writes a self-describing directory (`nellie-static.json`, the
 * table, the teacher's tokenizer) that `createStaticEmbedder()` loads. Interrupted runs resume
 * from a checkpoint of finished token batches.
 */
export async function distillStaticModel(
  options: DistillStaticModelOptions,
): Promise<DistillResult> {
  const parsed = distillStaticModelOptionsSchema.safeParse(options);
  if (!parsed.success) {
    throw new NellieError('INVALID_OPTIONS', z.prettifyError(parsed.error), {
      cause: parsed.error,
    });
  }
  const config = parsed.data;
  const logger = options.logger ?? noopLogger;
  const started = performance.now();
  const teacherDir = resolve(config.teacherDir);
  const outDir = resolve(config.outDir);
  const weightsFile = onnxFileFor(config.teacherDtype);

  const inspection = await inspectModelDir(teacherDir, config.teacherDtype);
  if (!inspection.exists) {
    throw new NellieError(
      'MODEL_NOT_FOUND',
      `The teacher model directory ${teacherDir} does not exist or is not a directory. Point ` +
        `--from at a model directory with config.json, tokenizer.json, tokenizer_config.json and ${weightsFile}.`,
    );
  }
  if (inspection.missing.length > 0) {
    throw new NellieError(
      'MODEL_NOT_FOUND',
      describeIncomplete(inspection, config.teacherDtype, 'teacher model directory'),
    );
  }
  if (teacherDir === outDir) {
    throw new NellieError(
      'INVALID_OPTIONS',
      'The output directory must differ from the teacher directory.',
    );
  }
  refuseOccupiedOutput(outDir, config.overwrite);
  await createOutputDir(outDir);

  const teacherFiles = await Promise.all(
    ['config.json', ...staticTokenizerFiles, weightsFile].map(async (path) => ({
      path,
      ...(await hashFile(join(teacherDir, path))),
    })),
  );
  const teacherSha256 = teacherFiles.find((file) => file.path === weightsFile)!.sha256;

  const transformers = await import('@huggingface/transformers');
  const { env, AutoModel, AutoTokenizer, Tensor: TensorClass, LogLevel } = transformers;
  env.allowRemoteModels = false;
  env.allowLocalModels = true;
  env.useFSCache = false;
  env.useBrowserCache = false;
  env.logLevel = LogLevel.ERROR;

  let tokenizer: Awaited<ReturnType<typeof AutoTokenizer.from_pretrained>>;
  let model: Awaited<ReturnType<typeof AutoModel.from_pretrained>>;
  try {
    tokenizer = await AutoTokenizer.from_pretrained(teacherDir, { local_files_only: true });
    model = await AutoModel.from_pretrained(teacherDir, {
      dtype: config.teacherDtype,
      device: 'cpu',
      local_files_only: true,
      session_options: {
        intraOpNumThreads: config.threads ?? availableParallelism(),
        interOpNumThreads: 1,
        logSeverityLevel: 3,
      },
    });
  } catch (error) {
    throw new NellieError(
      'MODEL_LOAD_FAILED',
      `The teacher in ${teacherDir} does not load: ${error instanceof Error ? error.message : String(error)}`,
      { cause: error },
    );
  }

  const frame = specialFrame((text, special) =>
    tokenizer.encode(text, { add_special_tokens: special }),
  );
  try {
    const vocabulary = tokenizer.get_vocab() as Map<string, number> | Record<string, number>;
    const vocabularySize = maxId(vocabulary) + 1;
    const rows = Math.min(vocabularySize, config.tokenLimit ?? vocabularySize);
    // One run tells the hidden size.
    const hiddenSize = (await runTeacher([0])).length;
    if (config.dimensions > hiddenSize) {
      throw new NellieError(
        'INVALID_OPTIONS',
        `dimensions is ${config.dimensions} but the teacher has only ${hiddenSize}; use at most ${hiddenSize}.`,
      );
    }
    if (config.dimensions >= rows) {
      throw new NellieError(
        'INVALID_OPTIONS',
        `dimensions (${config.dimensions}) must be smaller than the number of distilled tokens (${rows}).`,
      );
    }

    const checkpoint = await openDistillCheckpoint(join(outDir, distillCheckpointDir), {
      teacherSha256,
      dtype: config.teacherDtype,
      rows,
      hiddenSize,
      done: 0,
    });
    const resumedTokens = checkpoint.state.done;
    if (resumedTokens > 0) logger.info({ resumedTokens, rows }, 'Resuming the distillation');
    const table = new Float32Array(rows * hiddenSize);
    table.set(checkpoint.rows.subarray(0, resumedTokens * hiddenSize));
    options.onProgress?.({
      phase: 'tokens',
      done: resumedTokens,
      total: rows,
      resumedFrom: resumedTokens,
    });

    for (let start = resumedTokens; start < rows; start += config.batchSize) {
      throwIfAborted(options.signal);
      const ids = Array.from(
        { length: Math.min(config.batchSize, rows - start) },
        (_, i) => start + i,
      );
      const pooled = await runTeacher(ids);
      table.set(pooled, start * hiddenSize);
      await checkpoint.append(pooled, start + ids.length);
      options.onProgress?.({
        phase: 'tokens',
        done: start + ids.length,
        total: rows,
        resumedFrom: resumedTokens,
      });
    }

    options.onProgress?.({ phase: 'reduce', done: 0, total: 1 });
    let reduced: Float32Array = table;
    let explainedVariance: number | undefined;
    const reduce = config.dimensions < hiddenSize;
    if (reduce) {
      const pca = fitPca(table, rows, hiddenSize, config.dimensions);
      reduced = projectPca(table, rows, hiddenSize, pca);
      explainedVariance = pca.explainedVariance;
    }
    const dimensions = reduce ? config.dimensions : hiddenSize;
    if (config.sifCoefficient !== null) {
      const weights = zipfSifWeights(rows, config.sifCoefficient);
      for (let row = 0; row < rows; row += 1) {
        const weight = weights[row]!;
        for (let column = 0; column < dimensions; column += 1)
          reduced[row * dimensions + column]! *= weight;
      }
    }
    options.onProgress?.({ phase: 'reduce', done: 1, total: 1 });

    options.onProgress?.({ phase: 'write', done: 0, total: 1 });
    const skip = new Set<number>(tokenizer.all_special_ids);
    const unk = tokenizer.unk_token_id ?? 0;
    skip.add(unk);
    const staticConfig = await writeStaticModel({
      outDir,
      table: reduced,
      tokenizerDir: teacherDir,
      checkpointDir: distillCheckpointDir,
      config: {
        format: 'nellie-static',
        formatVersion: staticFormatVersion,
        rows,
        dimensions,
        dtype: 'float32',
        skipTokenIds: [...skip].sort((a, b) => a - b),
        fallbackTokenId: unk < rows ? unk : 0,
        teacher: {
          id: config.teacherId ?? basename(teacherDir),
          dtype: config.teacherDtype,
          hiddenSize,
          pooling: 'mean over [CLS] token [SEP]',
          files: teacherFiles,
        },
        reduction: reduce
          ? { method: 'pca', ...(explainedVariance === undefined ? {} : { explainedVariance }) }
          : { method: 'none' },
        weighting:
          config.sifCoefficient === null
            ? { method: 'none' }
            : { method: 'zipf-sif', coefficient: config.sifCoefficient },
        pretokenize: config.pretokenize,
        normalize: true,
        createdAt: new Date().toISOString(),
        producer: config.producer,
        distillSeconds: Math.round((performance.now() - started) / 100) / 10,
      },
    });
    options.onProgress?.({ phase: 'write', done: 1, total: 1 });

    const seconds = (performance.now() - started) / 1000;
    const modelId = staticModelId(staticConfig);
    logger.info({ modelId, rows, dimensions, seconds }, 'Static model distilled');
    return {
      dir: outDir,
      modelId,
      rows,
      dimensions,
      resumedTokens,
      ...(explainedVariance === undefined ? {} : { explainedVariance }),
      tableBytes: staticConfig.table.bytes,
      seconds,
    };
  } finally {
    await model.dispose();
  }

  /** Runs `[opening] id [closing]` for each id and mean-pools each sequence. */
  async function runTeacher(ids: number[]): Promise<Float32Array> {
    const { opening, closing } = frame;
    const length = opening.length + 1 + closing.length;
    const inputIds = new BigInt64Array(ids.length * length);
    ids.forEach((id, row) => {
      const sequence = [...opening, id, ...closing];
      sequence.forEach((value, column) => (inputIds[row * length + column] = BigInt(value)));
    });
    const shape = [ids.length, length];
    const inputs = {
      input_ids: new TensorClass('int64', inputIds, shape),
      attention_mask: new TensorClass('int64', new BigInt64Array(inputIds.length).fill(1n), shape),
      token_type_ids: new TensorClass('int64', new BigInt64Array(inputIds.length), shape),
    };
    let outputs: Record<string, Tensor | undefined>;
    try {
      outputs = (await model(inputs)) as Record<string, Tensor | undefined>;
    } catch (error) {
      throw new NellieError(
        'EMBEDDING_FAILED',
        `The teacher failed on tokens ${ids[0]}–${ids.at(-1)}: ${error instanceof Error ? error.message : String(error)}`,
        { cause: error },
      );
    }
    const hidden = outputs.last_hidden_state ?? outputs.token_embeddings;
    if (!hidden) {
      throw new NellieError(
        'MODEL_LOAD_FAILED',
        `The teacher returned ${Object.keys(outputs).join(', ')} but no last_hidden_state: it is not a feature-extraction model.`,
      );
    }
    const size = hidden.dims[2]!;
    const data =
      hidden.type === 'float32'
        ? (hidden.data as Float32Array)
        : (hidden.to('float32').data as Float32Array);
    const pooled = new Float32Array(ids.length * size);
    for (let row = 0; row < ids.length; row += 1) {
      for (let position = 0; position < length; position += 1) {
        const offset = (row * length + position) * size;
        for (let column = 0; column < size; column += 1)
          pooled[row * size + column]! += data[offset + column]!;
      }
      for (let column = 0; column < size; column += 1) {
        const value = pooled[row * size + column]! / length;
        pooled[row * size + column] = Number.isFinite(value) ? value : 0;
      }
    }
    for (const tensor of Object.values(outputs)) tensor?.dispose();
    return pooled;
  }
}

function maxId(vocabulary: Map<string, number> | Record<string, number>): number {
  const ids = vocabulary instanceof Map ? vocabulary.values() : Object.values(vocabulary);
  let max = -1;
  for (const id of ids) max = Math.max(max, id);
  if (max < 0)
    throw new NellieError('MODEL_LOAD_FAILED', "The teacher's tokenizer has an empty vocabulary.");
  return max;
}

/**
 * The special tokens a tokenizer puts around a text (`[CLS]` … `[SEP]` for BERT), found by
 * encoding one letter with and without them.
 */
function specialFrame(encode: (text: string, special: boolean) => number[]): {
  opening: number[];
  closing: number[];
} {
  const plain = encode('a', false);
  const framed = encode('a', true);
  const at = plain.length === 1 ? framed.indexOf(plain[0]!) : -1;
  if (at < 0) return { opening: [], closing: [] };
  return { opening: framed.slice(0, at), closing: framed.slice(at + 1) };
}
