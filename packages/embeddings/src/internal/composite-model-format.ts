/**
 * The on-disk form of a composite model: a directory holding `nellie-composite.json`, which names
 * two or more model directories (a transformer, a static table) and the weight of each. A text's
 * composite vector is the concatenation of its parts' normalised vectors, each scaled by the
 * square root of its weight, so the cosine of two composite vectors is the weighted sum of the
 * parts' cosines and the vector is still of unit length.
 */
import { existsSync } from 'node:fs';
import { mkdir, writeFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { NellieError } from '@nellie/core';
import { z } from 'zod';
import { readModelConfigFile } from './model-config-file.ts';
import { staticConfigFile } from './static-model-format.ts';

export const compositeConfigFile = 'nellie-composite.json';
export const compositeFormatVersion = 1;

/** Weights may be written with a few decimals; their sum must be 1 within this. */
const weightSumTolerance = 1e-6;

export const compositeModelConfigSchema = z
  .object({
    format: z.literal('nellie-composite'),
    formatVersion: z.literal(compositeFormatVersion),
    parts: z
      .array(
        z.object({
          /** A model directory; a relative path is read from the composite's own directory. */
          dir: z.string().min(1),
          /** The part's share of the cosine, above 0 and at most 1. */
          weight: z.number().gt(0).lte(1),
        }),
      )
      .min(2)
      .max(4),
  })
  .refine(
    (config) =>
      Math.abs(config.parts.reduce((sum, part) => sum + part.weight, 0) - 1) <= weightSumTolerance,
    { message: 'The weights of the parts must add up to 1.', path: ['parts'] },
  );

export type CompositeModelConfig = z.infer<typeof compositeModelConfigSchema>;

/** One part of a composite model, its directory resolved to an absolute path. */
export interface CompositePart {
  dir: string;
  weight: number;
}

export function isCompositeModelDir(dir: string): boolean {
  return existsSync(join(dir, compositeConfigFile));
}

/**
 * Reads and validates `nellie-composite.json` of `dir`, resolving each part's directory against
 * `dir`; a broken file is `MODEL_LOAD_FAILED`, a part that is itself composite `INVALID_OPTIONS`.
 */
export async function readCompositeParts(dir: string): Promise<CompositePart[]> {
  const path = join(dir, compositeConfigFile);
  const config = await readModelConfigFile(
    path,
    compositeModelConfigSchema,
    'composite model config',
  );
  const parts = config.parts.map((part) => ({
    dir: resolve(dir, part.dir),
    weight: part.weight,
  }));
  for (const part of parts) {
    if (isCompositeModelDir(part.dir)) {
      throw new NellieError(
        'INVALID_OPTIONS',
        `${path} names ${part.dir}, which is itself a composite model; name its parts instead.`,
      );
    }
  }
  return parts;
}

/**
 * `nellie-composite:<weight>*<part id>,…`, e.g.
 * `nellie-composite:0.65*Xenova/all-MiniLM-L6-v2@q8+split-identifiers,0.35*nellie-static/…`:
 * other parts or other weights give other vectors, and so another id.
 */
export function compositeModelId(parts: readonly { modelId: string; weight: number }[]): string {
  return `nellie-composite:${parts.map((part) => `${formatWeight(part.weight)}*${part.modelId}`).join(',')}`;
}

function formatWeight(weight: number): string {
  return String(Number(weight.toFixed(6)));
}

/**
 * Writes `nellie-composite.json` into `outDir` naming `parts` (their directories made absolute).
 * Each part must be a model directory (a transformer's `config.json` or a static model), not a
 * composite; the weights must add up to 1. An existing composite is `CONFLICT` unless `overwrite`.
 */
export async function writeCompositeModel(options: {
  outDir: string;
  parts: readonly { dir: string; weight: number }[];
  overwrite?: boolean;
}): Promise<{ dir: string; parts: CompositePart[] }> {
  const dir = resolve(options.outDir);
  const parts = options.parts.map((part) => ({ dir: resolve(part.dir), weight: part.weight }));
  const parsed = compositeModelConfigSchema.safeParse({
    format: 'nellie-composite',
    formatVersion: compositeFormatVersion,
    parts,
  });
  if (!parsed.success) {
    throw new NellieError('INVALID_INPUT', z.prettifyError(parsed.error), {
      cause: parsed.error,
    });
  }
  for (const part of parts) {
    if (isCompositeModelDir(part.dir)) {
      throw new NellieError(
        'INVALID_INPUT',
        `${part.dir} is itself a composite model; name its parts instead.`,
      );
    }
    if (
      !existsSync(join(part.dir, staticConfigFile)) &&
      !existsSync(join(part.dir, 'config.json'))
    ) {
      throw new NellieError(
        'MODEL_NOT_FOUND',
        `${part.dir} is not a model directory: it holds neither a transformer's config.json nor a static model's ${staticConfigFile}.`,
      );
    }
  }
  if (options.overwrite !== true && isCompositeModelDir(dir)) {
    throw new NellieError(
      'CONFLICT',
      `${dir} already holds a composite model; choose another directory or overwrite it.`,
    );
  }
  await mkdir(dir, { recursive: true });
  await writeFile(join(dir, compositeConfigFile), `${JSON.stringify(parsed.data, null, 2)}\n`);
  return { dir, parts };
}
