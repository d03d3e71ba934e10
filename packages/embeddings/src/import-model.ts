import { chmod, copyFile, mkdir, mkdtemp, rename, rm, stat } from 'node:fs/promises';
import { dirname, join, resolve } from 'node:path';
import { NellieError, throwIfAborted } from '@nellie/core';
import { z } from 'zod';
import { hashFile } from './internal/file-hash.ts';
import {
  cachePathFor,
  describeIncomplete,
  inspectModelDir,
  onnxFileFor,
  optionalModelFiles,
  requiredModelFiles,
} from './internal/model-layout.ts';
import { modelDtypeOptionSchema, modelIdOptionSchema } from './internal/model-options.ts';
import { writeModelRecord } from './internal/model-record.ts';
import {
  getModelManifest,
  manifestFilesFor,
  type ModelFileChecksum,
  type ModelManifest,
} from './model-manifest.ts';
import { verifyModel, type ModelVerification } from './verify-model.ts';

export const importModelOptionsSchema = z.object({
  /** The model the directory holds; names its place in the cache and picks its checksums. */
  model: modelIdOptionSchema,
  /** Which weights to import (`q8` → onnx/model_quantized.onnx, `fp32` → onnx/model.onnx). */
  dtype: modelDtypeOptionSchema,
  /**
   * Check the files against the model's checksums before copying (default). Turn off only for
   * files you trust that have no known checksums, such as a fine-tuned or converted model.
   */
  verify: z.boolean().default(true),
});

export type ImportModelOptions = z.input<typeof importModelOptionsSchema> & {
  /** Checksums to verify against instead of the built-in ones. */
  manifest?: ModelManifest;
  signal?: AbortSignal;
};

export interface ImportResult {
  model: string;
  /** The model directory in the cache, ready to load. */
  dir: string;
  verified: boolean;
  files: ModelFileChecksum[];
  /** The verification of the source directory, when `verify` was on. */
  verification?: ModelVerification;
}

/**
 * Copies a model directory (for example one downloaded on another machine) into the model cache,
 * verifying it first unless told to trust it. Files are staged and renamed into place.
 */
export async function importModel(
  fromDir: string,
  cacheDir: string,
  options: ImportModelOptions = {},
): Promise<ImportResult> {
  const parsed = importModelOptionsSchema.safeParse(options);
  if (!parsed.success) {
    throw new NellieError('INVALID_OPTIONS', z.prettifyError(parsed.error), {
      cause: parsed.error,
    });
  }
  const { model, dtype, verify } = parsed.data;
  const source = resolve(fromDir);
  const inspection = await inspectModelDir(source, dtype);
  if (!inspection.exists) {
    throw new NellieError(
      'MODEL_NOT_FOUND',
      `Cannot import ${source}: it does not exist or is not a directory.`,
    );
  }
  if (inspection.missing.length > 0) {
    throw new NellieError(
      'MODEL_NOT_FOUND',
      `Cannot import: ${describeIncomplete(inspection, dtype, 'model directory')}`,
    );
  }

  const trustHint =
    'If you trust these files (for example a fine-tuned or converted model), import them ' +
    'without verification (`nellie model import <dir> --no-verify`) or use the directory in place ' +
    'with --model-dir.';
  const manifest = options.manifest ?? getModelManifest(model);
  let verification: ModelVerification | undefined;
  if (verify) {
    if (!manifest) {
      throw new NellieError(
        'MODEL_VERIFICATION_FAILED',
        `No checksums are known for ${model}, so ${source} cannot be verified. ${trustHint}`,
      );
    }
    verification = await verifyModel(source, { model, dtype, manifest });
    if (verification.state !== 'verified') {
      throw new NellieError(
        'MODEL_VERIFICATION_FAILED',
        `Refusing to import ${source}: ${verification.message} ${trustHint}`,
      );
    }
  }

  const wanted = new Set([...requiredModelFiles(dtype), ...optionalModelFiles]);
  if (manifest) for (const file of manifestFilesFor(manifest, dtype)) wanted.add(file.path);
  wanted.add(`${onnxFileFor(dtype)}_data`);

  const root = resolve(cacheDir);
  const target = cachePathFor(root, model);
  await mkdir(target, { recursive: true });
  const staging = await mkdtemp(join(root, '.import-'));
  try {
    const copied: { from: string; to: string; checksum: ModelFileChecksum }[] = [];
    let index = 0;
    for (const file of wanted) {
      throwIfAborted(options.signal);
      const from = join(source, file);
      if (!(await stat(from).catch(() => undefined))?.isFile()) continue;
      const staged = join(staging, `${index++}.copy`);
      await copyFile(from, staged);
      await chmod(staged, 0o644);
      const { bytes, sha256 } = await hashFile(staged);
      const checked = verification?.files.find((entry) => entry.path === file);
      if (checked?.actualSha256 !== undefined && checked.actualSha256 !== sha256) {
        throw new NellieError(
          'MODEL_VERIFICATION_FAILED',
          `${from} changed while it was being imported; nothing was imported. Try again.`,
        );
      }
      const dtypeOfFile = file.startsWith('onnx/') ? { dtype } : {};
      copied.push({
        from: staged,
        to: join(target, file),
        checksum: { path: file, bytes, sha256, ...dtypeOfFile },
      });
    }
    for (const { from, to } of copied) {
      await mkdir(dirname(to), { recursive: true });
      await rename(from, to);
    }
    const files = copied.map((entry) => entry.checksum);
    await writeModelRecord(target, {
      model,
      revision: manifest?.revision,
      source: 'import',
      from: source,
      verified: verification !== undefined,
      files,
      updatedAt: new Date().toISOString(),
    });
    return {
      model,
      dir: target,
      verified: verification !== undefined,
      files,
      ...(verification ? { verification } : {}),
    };
  } finally {
    await rm(staging, { recursive: true, force: true });
  }
}
