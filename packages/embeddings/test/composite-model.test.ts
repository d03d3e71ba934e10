import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { embedderContract } from '@nellie/test-utils';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  composeEmbedders,
  createLocalEmbedder,
  distillStaticModel,
  openEmbeddingModel,
  planEmbeddingModel,
  resolveModel,
  type DistillResult,
  type LocalEmbedder,
} from '../src/index.ts';
import { expectCode, standInModelDir, withTempDir } from './helpers.ts';

// A composite of the stand-in transformer (384 dimensions) and a tiny static table distilled from
// it (32 dimensions), through the real loading path. The stand-in's vectors carry no meaning, so
// the tests check how the parts' vectors are joined, never what they say.
const transformerDir = standInModelDir();
const transformerId = 'Xenova/all-MiniLM-L6-v2@q8+split-identifiers';
const texts = ['function add(a, b) { return a + b; }', 'parse the http header', 'const x = 1;'];

let workDir: string;
let staticDir: string;
let compositeDir: string;
let distilled: DistillResult;

async function writeComposite(
  dir: string,
  parts: readonly { dir: string; weight: number }[],
): Promise<string> {
  await mkdir(dir, { recursive: true });
  await writeFile(
    path.join(dir, 'nellie-composite.json'),
    JSON.stringify({ format: 'nellie-composite', formatVersion: 1, parts }),
  );
  return dir;
}

function cosine(a: Float32Array, b: Float32Array): number {
  let dot = 0;
  for (let index = 0; index < a.length; index += 1) dot += a[index]! * b[index]!;
  return dot;
}

beforeAll(async () => {
  workDir = await mkdtemp(path.join(tmpdir(), 'nellie-composite-'));
  staticDir = path.join(workDir, 'tiny-static');
  distilled = await distillStaticModel({
    teacherDir: transformerDir,
    outDir: staticDir,
    tokenLimit: 2048,
    dimensions: 32,
    batchSize: 512,
    teacherDtype: 'q8',
  });
  // The static part named relative to the composite's directory, the transformer absolutely.
  compositeDir = await writeComposite(path.join(workDir, 'composite'), [
    { dir: transformerDir, weight: 0.7 },
    { dir: '../tiny-static', weight: 0.3 },
  ]);
}, 300_000);

afterAll(async () => {
  await rm(workDir, { recursive: true, force: true });
});

embedderContract('composite embedder (stand-in transformer and tiny static table)', {
  create: () => createLocalEmbedder({ modelDir: compositeDir, queryWorker: false }),
});

describe('a composite model directory', () => {
  it('is planned with an id made of its parts and weights, and their joint width', async () => {
    const plan = await planEmbeddingModel({ modelDir: compositeDir });
    expect(plan).toEqual({
      state: 'found',
      kind: 'composite',
      modelId: `nellie-composite:0.7*${transformerId},0.3*${distilled.modelId}`,
      dimensions: 384 + 32,
      source: 'model-dir',
      dir: compositeDir,
      parts: [
        {
          modelId: transformerId,
          kind: 'transformer',
          dimensions: 384,
          dir: transformerDir,
          weight: 0.7,
        },
        {
          modelId: distilled.modelId,
          kind: 'static',
          dimensions: 32,
          dir: staticDir,
          weight: 0.3,
        },
      ],
    });
  });

  it('joins the parts’ vectors so that its cosine is the weighted sum of theirs', async () => {
    const transformer = await createLocalEmbedder({
      modelDir: transformerDir,
      queryWorker: false,
    });
    const table = await createLocalEmbedder({ modelDir: staticDir });
    const composite = await createLocalEmbedder({ modelDir: compositeDir, queryWorker: false });
    try {
      const [a, b, c] = [
        await transformer.embed(texts),
        await table.embed(texts),
        await composite.embed(texts),
      ];
      for (const [index, joined] of c.entries()) {
        const expected = [
          ...a[index]!.map((value) => value * Math.sqrt(0.7)),
          ...b[index]!.map((value) => value * Math.sqrt(0.3)),
        ];
        expect(joined).toHaveLength(416);
        joined.forEach((value, position) => expect(value).toBeCloseTo(expected[position]!, 6));
      }
      expect(cosine(c[0]!, c[1]!)).toBeCloseTo(
        0.7 * cosine(a[0]!, a[1]!) + 0.3 * cosine(b[0]!, b[1]!),
        5,
      );
      expect(composite.status()).toMatchObject({ state: 'ready', modelId: composite.modelId });
      expect(composite.stats().workers.length).toBe(transformer.stats().workers.length);
    } finally {
      await Promise.all([transformer.close(), table.close(), composite.close()]);
    }
    expect(composite.status().state).toBe('disabled');
  });

  it('opens through openEmbeddingModel() with its planned identity', async () => {
    await using model = await openEmbeddingModel({
      modelDir: compositeDir,
      queryWorker: false,
      deferLoad: true,
    });
    expect(model.identity).toEqual({
      modelId: `nellie-composite:0.7*${transformerId},0.3*${distilled.modelId}`,
      dimensions: 416,
    });
    model.start();
    expect(await model.ready).toMatchObject({ state: 'ready', dimensions: 416 });
    const [vector] = await model.embedder!.embed(['query text'], { priority: 'query' });
    expect(vector).toHaveLength(416);
  });

  it('is off, saying which part is missing, when a part is not there', async () => {
    await withTempDir(async (dir) => {
      const broken = await writeComposite(path.join(dir, 'composite'), [
        { dir: transformerDir, weight: 0.5 },
        { dir: path.join(dir, 'no-such-model'), weight: 0.5 },
      ]);
      const plan = await planEmbeddingModel({ modelDir: broken });
      expect(plan.state).toBe('off');
      expect(plan.state === 'off' && plan.status.message).toContain('no-such-model');
      await expectCode(createLocalEmbedder({ modelDir: broken }), 'MODEL_NOT_FOUND');
    });
  });

  it('rejects weights that do not add up to 1, a single part and nested composites', async () => {
    await withTempDir(async (dir) => {
      const uneven = await writeComposite(path.join(dir, 'uneven'), [
        { dir: transformerDir, weight: 0.7 },
        { dir: staticDir, weight: 0.7 },
      ]);
      const error = await expectCode(planEmbeddingModel({ modelDir: uneven }), 'MODEL_LOAD_FAILED');
      expect(error.message).toContain('add up to 1');
      await expectCode(createLocalEmbedder({ modelDir: uneven }), 'MODEL_LOAD_FAILED');
      const single = await writeComposite(path.join(dir, 'single'), [
        { dir: transformerDir, weight: 1 },
      ]);
      await expectCode(planEmbeddingModel({ modelDir: single }), 'MODEL_LOAD_FAILED');
      const nested = await writeComposite(path.join(dir, 'nested'), [
        { dir: compositeDir, weight: 0.5 },
        { dir: staticDir, weight: 0.5 },
      ]);
      const nestedError = await expectCode(
        createLocalEmbedder({ modelDir: nested }),
        'INVALID_OPTIONS',
      );
      expect(nestedError.message).toContain('itself a composite');
    });
  });

  it('is not one model directory to resolveModel(), which names it as composite', async () => {
    const error = await expectCode(resolveModel({ modelDir: compositeDir }), 'INVALID_OPTIONS');
    expect(error.message).toContain('composite model');
  });

  it('fails with DIMENSION_MISMATCH when the stored vectors have another width', async () => {
    await expectCode(
      createLocalEmbedder({ modelDir: compositeDir, dimensions: 384, queryWorker: false }),
      'DIMENSION_MISMATCH',
    );
  });
});

describe('composeEmbedders', () => {
  it('refuses fewer than two parts and weights out of range', async () => {
    const table: LocalEmbedder = await createLocalEmbedder({ modelDir: staticDir });
    try {
      expect(() => composeEmbedders([{ embedder: table, weight: 1 }])).toThrow('two parts');
      expect(() =>
        composeEmbedders([
          { embedder: table, weight: 0 },
          { embedder: table, weight: 1 },
        ]),
      ).toThrow('above 0');
      expect(() =>
        composeEmbedders([
          { embedder: table, weight: 0.5 },
          { embedder: table, weight: 0.4 },
        ]),
      ).toThrow('add up to 0.9');
    } finally {
      await table.close();
    }
  });
});
