import { existsSync, readdirSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { NellieError } from '@nellie/core';
import { expect } from 'vitest';

const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..', '..');

/**
 * The stand-in model: the real all-MiniLM-L6-v2 tokenizer and architecture with random weights.
 * Its vectors carry no meaning; tests never compare similarities. Missing model = failed test.
 */
export function standInModelDir(): string {
  const dir = path.resolve(
    repoRoot,
    '..',
    'shared',
    'models',
    'stand-in',
    'all-MiniLM-L6-v2-random-weights',
  );
  if (!existsSync(path.join(dir, 'onnx', 'model_quantized.onnx'))) {
    throw new Error(
      `The stand-in embedding model is missing: expected ${dir} with config.json, the tokenizer ` +
        'files and onnx/model_quantized.onnx. The embedding integration tests need it.',
    );
  }
  return dir;
}

/** OS threads of this process (main, libuv, V8 and every worker with its ONNX threads). */
export function threadCount(): number {
  return readdirSync('/proc/self/task').length;
}

export async function withTempDir<T>(run: (dir: string) => Promise<T>): Promise<T> {
  const dir = await mkdtemp(path.join(tmpdir(), 'nellie-embeddings-'));
  try {
    return await run(dir);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

export function norm(vector: Float32Array): number {
  let sum = 0;
  for (const value of vector) sum += value * value;
  return Math.sqrt(sum);
}

export function maxDifference(a: Float32Array, b: Float32Array): number {
  let max = 0;
  for (let index = 0; index < a.length; index += 1) {
    max = Math.max(max, Math.abs(a[index]! - b[index]!));
  }
  return max;
}

/** The genuine all-MiniLM-L6-v2 (fp32 and q8), for tests about meaning. Missing = failed test. */
export function genuineModelDir(): string {
  const dir = path.resolve(repoRoot, '..', 'shared', 'models', 'all-MiniLM-L6-v2');
  if (!existsSync(path.join(dir, 'onnx', 'model_quantized.onnx'))) {
    throw new Error(
      `The genuine all-MiniLM-L6-v2 is missing: expected ${dir} with the tokenizer files and ` +
        'onnx/model_quantized.onnx. The static model quality test needs it.',
    );
  }
  return dir;
}

/** Awaits a promise that must reject with a `NellieError` of `code`; returns the error. */
export async function expectCode(promise: Promise<unknown>, code: string): Promise<NellieError> {
  const error: unknown = await promise.then(
    () => undefined,
    (caught: unknown) => caught,
  );
  expect(NellieError.is(error), `expected a NellieError ${code}, got ${String(error)}`).toBe(true);
  expect((error as NellieError).code).toBe(code);
  return error as NellieError;
}
