import { stat } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { NellieError } from '@nellie/core';
import { z } from 'zod';
import {
  cachePathFor,
  describeIncomplete,
  inspectModelDir,
  onnxFileFor,
  requiredModelFiles,
  type ModelDtype,
} from './internal/model-layout.ts';
import { modelDtypeOptionSchema, modelIdOptionSchema } from './internal/model-options.ts';
import { isCompositeModelDir } from './internal/composite-model-format.ts';
import { readModelRecord } from './internal/model-record.ts';
import {
  isStaticModelDir,
  readStaticModelConfig,
  staticModelId,
} from './internal/static-model-format.ts';

export const resolveModelOptionsSchema = z.object({
  /** Hub model id; also names the model's directory in the cache (`<cacheDir>/<org>/<name>`). */
  model: modelIdOptionSchema,
  /** Weight format; each dtype loads its own file (`q8` → onnx/model_quantized.onnx). */
  dtype: modelDtypeOptionSchema,
  /** A directory holding config.json, the tokenizer files and onnx/*; used in place when set. */
  modelDir: z.string().min(1).optional(),
  /** The model cache (for example `<dataDir>/models`) that `pullModel` and `importModel` fill. */
  cacheDir: z.string().min(1).optional(),
  /** May the model be downloaded from the Hub when it is not found locally. */
  allowRemote: z.boolean().default(false),
});

export type ResolveModelOptions = z.input<typeof resolveModelOptionsSchema>;

export type ModelSource = 'model-dir' | 'cache' | 'remote';

/** One place `resolveModel` looked at, and what it found there. */
export interface SearchedPlace {
  place: ModelSource;
  /** A directory, or the Hub. */
  location: string;
  found: boolean;
  /** What was there, in words. */
  detail: string;
}

export interface ResolvedModel {
  /** `remote`: not on disk; download it into `dir` with `pullModel` before loading. */
  source: ModelSource;
  /** The model directory to load from (or to download into). */
  dir: string;
  model: string;
  dtype: ModelDtype;
  /** The weights file for the dtype, relative to `dir`. */
  weightsFile: string;
  searched: SearchedPlace[];
  /**
   * Set when `dir` holds a distilled static model (`nellie-static.json`): its vectors' id and
   * width, known without loading it. `model` and `dtype` then do not apply.
   */
  static?: { modelId: string; dimensions: number };
}

const fixes = [
  'Fix it with one of:',
  '  - `nellie model pull` downloads the model into the model cache and verifies it (needs access to huggingface.co);',
  '  - `nellie model import <dir>` copies a model directory fetched on another machine into the cache (air-gapped setups);',
  '  - `--model-dir <dir>` or NELLIE_MODEL_DIR=<dir> uses a model directory in place.',
].join('\n');

/**
 * Finds the model: an explicit model directory, then the model cache, then (only when allowed)
 * the Hub. Throws `MODEL_NOT_FOUND` listing every place it looked and how to fix it.
 */
export async function resolveModel(options: ResolveModelOptions = {}): Promise<ResolvedModel> {
  const parsed = resolveModelOptionsSchema.safeParse(options);
  if (!parsed.success) {
    throw new NellieError('INVALID_OPTIONS', z.prettifyError(parsed.error), {
      cause: parsed.error,
    });
  }
  const { model, dtype, allowRemote } = parsed.data;
  const weightsFile = onnxFileFor(dtype);
  const wanted = `embedding model ${model} (dtype ${dtype}, weights ${weightsFile})`;

  if (parsed.data.modelDir !== undefined) {
    const dir = resolve(parsed.data.modelDir);
    if (isCompositeModelDir(dir)) {
      // Loading and planning read the parts; checks of one model's files apply to each part.
      throw new NellieError(
        'INVALID_OPTIONS',
        `${dir} is a composite model (nellie-composite.json): check each of its parts' directories instead.`,
      );
    }
    if (isStaticModelDir(dir)) {
      const staticConfig = await readStaticModelConfig(dir);
      return {
        source: 'model-dir',
        dir,
        model,
        dtype,
        weightsFile: staticConfig.table.path,
        searched: [{ place: 'model-dir', location: dir, found: true, detail: 'static model' }],
        static: { modelId: staticModelId(staticConfig), dimensions: staticConfig.dimensions },
      };
    }
    const inspection = await inspectModelDir(dir, dtype);
    if (!inspection.exists) {
      throw new NellieError(
        'MODEL_NOT_FOUND',
        `The model directory ${dir} does not exist or is not a directory. It must hold ` +
          `${requiredModelFiles(dtype).join(', ')} for the ${wanted}.\n${fixes}`,
      );
    }
    if (inspection.missing.length > 0) {
      throw new NellieError(
        'MODEL_NOT_FOUND',
        `${describeIncomplete(inspection, dtype, 'model directory')}\n${fixes}`,
      );
    }
    const searched = [
      { place: 'model-dir' as const, location: dir, found: true, detail: 'complete' },
    ];
    return { source: 'model-dir', dir, model, dtype, weightsFile, searched };
  }

  const searched: SearchedPlace[] = [
    {
      place: 'model-dir',
      location: '(none)',
      found: false,
      detail: 'no model directory configured (--model-dir / NELLIE_MODEL_DIR)',
    },
  ];

  let cachePath: string | undefined;
  if (parsed.data.cacheDir === undefined) {
    searched.push({
      place: 'cache',
      location: '(none)',
      found: false,
      detail: 'no model cache configured',
    });
  } else {
    cachePath = cachePathFor(resolve(parsed.data.cacheDir), model);
    const problem = await cacheProblem(cachePath, dtype);
    if (problem === undefined) {
      searched.push({ place: 'cache', location: cachePath, found: true, detail: 'complete' });
      return { source: 'cache', dir: cachePath, model, dtype, weightsFile, searched };
    }
    searched.push({ place: 'cache', location: cachePath, found: false, detail: problem });
  }

  if (allowRemote && cachePath !== undefined) {
    searched.push({
      place: 'remote',
      location: '(Hugging Face Hub)',
      found: true,
      detail: `will be downloaded into ${cachePath}`,
    });
    return { source: 'remote', dir: cachePath, model, dtype, weightsFile, searched };
  }
  searched.push({
    place: 'remote',
    location: '(Hugging Face Hub)',
    found: false,
    detail: allowRemote
      ? 'downloads need a model cache to store the files in'
      : 'downloads are not allowed (offline mode, or remote downloads not enabled)',
  });

  const lines = searched.map(
    (entry, index) =>
      `  ${index + 1}. ${placeNames[entry.place]}${
        entry.location.startsWith('(') ? '' : ` ${entry.location}`
      }: ${entry.detail}`,
  );
  throw new NellieError(
    'MODEL_NOT_FOUND',
    `No ${wanted} was found. Looked in:\n${lines.join('\n')}\n${fixes}`,
  );
}

const placeNames: Record<ModelSource, string> = {
  'model-dir': 'model directory',
  cache: 'model cache',
  remote: 'Hub download',
};

/** Why a cache entry cannot be used, or undefined when it can. Sizes are checked, not hashes. */
async function cacheProblem(dir: string, dtype: ModelDtype): Promise<string | undefined> {
  const inspection = await inspectModelDir(dir, dtype);
  if (!inspection.exists) return 'not there';
  if (inspection.missing.length > 0) {
    return describeIncomplete(inspection, dtype, 'model cache entry');
  }
  const record = await readModelRecord(dir);
  for (const file of requiredModelFiles(dtype)) {
    const expected = record?.files.find((entry) => entry.path === file);
    if (!expected) continue;
    const actual = (await stat(join(dir, file))).size;
    if (actual !== expected.bytes) {
      return (
        `damaged: ${file} has ${actual} bytes where ${expected.bytes} were stored; ` +
        'pull or import the model again'
      );
    }
  }
  return undefined;
}
