import { existsSync, mkdtempSync, readdirSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { distillStaticModel, writeCompositeModel } from '@nellie/embeddings';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createModelEmbedder } from '../src/nellie-engine.ts';

const transformerDir = fileURLToPath(
  new URL('../../../../shared/models/stand-in/all-MiniLM-L6-v2-random-weights', import.meta.url),
);
const texts = ['function add(a, b) { return a + b; }', 'parse the http header'];

let workDir: string;
let compositeDir: string;
let staticId: string;

beforeAll(async () => {
  if (!existsSync(join(transformerDir, 'onnx', 'model_quantized.onnx'))) {
    throw new Error(`The stand-in model is missing at ${transformerDir}.`);
  }
  workDir = mkdtempSync(join(tmpdir(), 'nellie-eval-composite-'));
  const table = await distillStaticModel({
    teacherDir: transformerDir,
    outDir: join(workDir, 'static'),
    tokenLimit: 2048,
    dimensions: 32,
    batchSize: 512,
    teacherDtype: 'q8',
  });
  staticId = table.modelId;
  compositeDir = join(workDir, 'composite');
  await writeCompositeModel({
    outDir: compositeDir,
    parts: [
      { dir: transformerDir, weight: 0.5 },
      { dir: table.dir, weight: 0.5 },
    ],
  });
}, 300_000);

afterAll(() => {
  rmSync(workDir, { recursive: true, force: true });
});

describe('a composite model in the benchmarks', { timeout: 120_000 }, () => {
  it('caches each part under its own id and reuses those vectors on the next run', async () => {
    const cacheDir = join(workDir, 'cache');
    const first = await createModelEmbedder(compositeDir, cacheDir);
    const vectors = await first.embed(texts);
    await first.close();
    expect(first.modelId).toBe(
      `nellie-composite:0.5*Xenova/all-MiniLM-L6-v2@q8+split-identifiers,0.5*${staticId}`,
    );
    expect(vectors.map((vector) => vector.length)).toEqual([416, 416]);
    // One file per part (as a run of the part alone writes it), none for the composite.
    const files = readdirSync(cacheDir).sort();
    expect(files).toEqual(
      [
        'Xenova_all-MiniLM-L6-v2@q8+split-identifiers.vectors',
        `${staticId.replace('/', '_')}.vectors`,
      ].sort(),
    );
    const sizes = files.map((file) => statSync(join(cacheDir, file)).size);

    const second = await createModelEmbedder(compositeDir, cacheDir);
    const again = await second.embed(texts);
    await second.close();
    expect(again).toEqual(vectors);
    expect(files.map((file) => statSync(join(cacheDir, file)).size)).toEqual(sizes);
  });
});
