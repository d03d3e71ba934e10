import { stat } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { NellieError } from '@nellie/core';
import { z } from 'zod';
import { hashFile } from './internal/file-hash.ts';
import { requiredModelFiles } from './internal/model-layout.ts';
import { modelDtypeOptionSchema, modelIdOptionSchema } from './internal/model-options.ts';
import { readModelRecord } from './internal/model-record.ts';
import {
  getModelManifest,
  manifestFilesFor,
  type ModelFileChecksum,
  type ModelManifest,
} from './model-manifest.ts';

export const verifyModelOptionsSchema = z.object({
  /** The model the directory should hold; picks the built-in checksums. */
  model: modelIdOptionSchema,
  /** Which weights to check (`q8` → onnx/model_quantized.onnx, `fp32` → onnx/model.onnx). */
  dtype: modelDtypeOptionSchema,
});

export type VerifyModelOptions = z.input<typeof verifyModelOptionsSchema> & {
  /** Checksums to verify against instead of the built-in ones. */
  manifest?: ModelManifest;
  /**
   * The user chose this directory (an explicit model directory): files that differ from the
   * published checksums are reported as `differs` and accepted, since a local export or a
   * fine-tuned model cannot match them. Missing files, and files that differ from the checksums
   * recorded when the directory itself was pulled or imported, still fail.
   */
  trusted?: boolean;
};

export type FileVerificationStatus =
  | 'ok'
  | 'missing'
  | 'size-mismatch'
  | 'sha256-mismatch'
  /** Present, but no checksum is known to compare it with. */
  | 'unverified'
  /** In a trusted directory: present, but not the published file (its size and hash differ). */
  | 'differs';

export interface FileVerification {
  path: string;
  status: FileVerificationStatus;
  expectedBytes?: number;
  actualBytes?: number;
  expectedSha256?: string;
  actualSha256?: string;
}

export interface ModelVerification {
  dir: string;
  model: string;
  dtype: string;
  /**
   * `verified`: every file matches a known checksum. `failed`: a file is missing or differs.
   * `unverified`: nothing is wrong, but some files have no known checksum. `trusted`: a trusted
   * directory is complete, and some of its files differ from the published ones.
   */
  state: 'verified' | 'failed' | 'unverified' | 'trusted';
  /** Where the checksums came from. */
  checksums: 'manifest' | 'pull-record' | 'none';
  files: FileVerification[];
  /** A sentence or two for people: what was checked and what to do. */
  message: string;
}

/**
 * Checks a model directory file by file against the model's manifest (built-in for the default
 * model), or else against the checksums recorded when the files were pulled or imported.
 * `options` may be just the model id.
 */
export async function verifyModel(
  dir: string,
  options: VerifyModelOptions | string = {},
): Promise<ModelVerification> {
  if (typeof options === 'string') options = { model: options };
  const parsed = verifyModelOptionsSchema.safeParse(options);
  if (!parsed.success) {
    throw new NellieError('INVALID_OPTIONS', z.prettifyError(parsed.error), {
      cause: parsed.error,
    });
  }
  const { model, dtype } = parsed.data;
  const directory = resolve(dir);
  const manifest = options.manifest ?? getModelManifest(model);
  const record = manifest ? undefined : await readModelRecord(directory);
  const known: ModelFileChecksum[] = manifest
    ? manifestFilesFor(manifest, dtype)
    : (record?.files.filter((file) => file.dtype === undefined || file.dtype === dtype) ?? []);
  const checksums = manifest ? 'manifest' : record ? 'pull-record' : 'none';

  const paths = [...new Set([...known.map((file) => file.path), ...requiredModelFiles(dtype)])];
  const files: FileVerification[] = [];
  for (const path of paths) {
    files.push(
      await verifyFile(
        directory,
        path,
        known.find((file) => file.path === path),
      ),
    );
  }
  if (options.trusted === true && checksums === 'manifest') {
    for (const file of files) {
      if (file.status === 'size-mismatch' || file.status === 'sha256-mismatch') {
        Object.assign(file, { status: 'differs' }, await actualOf(join(directory, file.path)));
      }
    }
  }
  const failed = files.filter(
    (file) => file.status !== 'ok' && file.status !== 'unverified' && file.status !== 'differs',
  );
  const unverified = files.filter((file) => file.status === 'unverified');
  const differs = files.filter((file) => file.status === 'differs');
  const state =
    failed.length > 0
      ? 'failed'
      : differs.length > 0
        ? 'trusted'
        : unverified.length > 0
          ? 'unverified'
          : 'verified';
  const source =
    checksums === 'manifest'
      ? `the checksums of ${manifest!.model}@${manifest!.revision}`
      : checksums === 'pull-record'
        ? 'the checksums recorded when the files were pulled or imported'
        : 'no known checksums';
  const message =
    state === 'verified'
      ? `${directory} holds ${model} (${dtype}); every file matches ${source}.`
      : state === 'trusted'
        ? `${directory} is complete for ${model} (${dtype}). ${differs
            .map((file) => file.path)
            .join(', ')} ${differs.length === 1 ? 'differs' : 'differ'} from ${source}, as a ` +
          'local export or a fine-tuned model does; it is used as given because you chose this ' +
          'directory.'
        : state === 'unverified'
          ? `${directory} is complete for ${model} (${dtype}), but ${unverified
              .map((file) => file.path)
              .join(', ')} could not be checked: there are ${source} for them.`
          : `${directory} does not match ${source} for ${model} (${dtype}): ${failed
              .map(describeFailure)
              .join('; ')}. ${
              checksums === 'manifest'
                ? 'Pull the model again (`nellie model pull`), or, if these are files you trust (a ' +
                  'local export, a fine-tuned or converted model), name the directory explicitly ' +
                  '(`--model-dir`), which checks what is present and that it loads.'
                : 'Pull or import the model again.'
            }`;
  return { dir: directory, model, dtype, state, checksums, files, message };
}

async function verifyFile(
  dir: string,
  path: string,
  expected: ModelFileChecksum | undefined,
): Promise<FileVerification> {
  const full = join(dir, path);
  const info = await stat(full).catch(() => undefined);
  const base: FileVerification = {
    path,
    status: 'ok',
    ...(expected ? { expectedBytes: expected.bytes, expectedSha256: expected.sha256 } : {}),
  };
  if (!info?.isFile()) return { ...base, status: 'missing' };
  if (expected && info.size !== expected.bytes) {
    return { ...base, status: 'size-mismatch', actualBytes: info.size };
  }
  const actual = await hashFile(full);
  const result = { ...base, actualBytes: actual.bytes, actualSha256: actual.sha256 };
  if (!expected) return { ...result, status: 'unverified' };
  return { ...result, status: actual.sha256 === expected.sha256 ? 'ok' : 'sha256-mismatch' };
}

async function actualOf(path: string): Promise<{ actualBytes: number; actualSha256: string }> {
  const actual = await hashFile(path);
  return { actualBytes: actual.bytes, actualSha256: actual.sha256 };
}

function describeFailure(file: FileVerification): string {
  switch (file.status) {
    case 'missing':
      return `${file.path} is missing`;
    case 'size-mismatch':
      return `${file.path} has ${file.actualBytes} bytes, expected ${file.expectedBytes}`;
    default:
      return `${file.path} has sha256 ${file.actualSha256}, expected ${file.expectedSha256}`;
  }
}
