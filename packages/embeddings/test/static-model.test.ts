import { readFileSync } from 'node:fs';
import { cp, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { ModelStatus } from '@nellie/core';
import { embedderContract } from '@nellie/test-utils';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  createLocalEmbedder,
  createStaticEmbedder,
  distillStaticModel,
  openEmbeddingModel,
  planEmbeddingModel,
  readStaticModelConfig,
  resolveModel,
  type DistillProgress,
  type DistillResult,
  type StaticEmbedder,
} from '../src/index.ts';
import { expectCode, norm, standInModelDir, withTempDir } from './helpers.ts';

const teacherDir = standInModelDir();
// A tiny table: the first 2,048 vocabulary ids, 32 dimensions. Enough for every contract check.
const tiny = { tokenLimit: 2048, dimensions: 32, batchSize: 512, teacherDtype: 'q8' } as const;
const code = readFileSync(new URL('../src/internal/pool.ts', import.meta.url), 'utf8');

let workDir: string;
let modelDir: string;
let distilled: DistillResult;
const progress: DistillProgress[] = [];

beforeAll(async () => {
  workDir = await mkdtemp(path.join(tmpdir(), 'nellie-static-'));
  modelDir = path.join(workDir, 'tiny');
  distilled = await distillStaticModel({
    ...tiny,
    teacherDir,
    outDir: modelDir,
    onProgress: (event) => progress.push(event),
  });
}, 300_000);

afterAll(async () => {
  await rm(workDir, { recursive: true, force: true });
});

embedderContract('static embedder (distilled tiny model)', {
  create: () => createStaticEmbedder({ modelDir }),
});

describe('a distilled static model through openEmbeddingModel()', () => {
  it('plans its own id and width and loads through the same entry point', async () => {
    await using model = await openEmbeddingModel({ modelDir, deferLoad: true });
    expect(model.identity).toEqual({ modelId: distilled.modelId, dimensions: 32 });
    model.start();
    expect(await model.ready).toMatchObject({ state: 'ready', modelId: distilled.modelId });
    const [vector] = await model.embedder!.embed(['function add(a, b) { return a + b; }']);
    expect(vector).toHaveLength(32);
  });

  it('is planned as a static table, the transformer it came from as a transformer', async () => {
    expect(await planEmbeddingModel({ modelDir })).toMatchObject({
      state: 'found',
      kind: 'static',
      modelId: distilled.modelId,
    });
    expect(await planEmbeddingModel({ modelDir: teacherDir })).toMatchObject({
      state: 'found',
      kind: 'transformer',
    });
  });
});

embedderContract('openEmbeddingModel() embedder of a static model', {
  create: async () => {
    const model = await openEmbeddingModel({ modelDir });
    await model.ready;
    return { ...model.embedder!, close: () => model.close() };
  },
});

describe('distillStaticModel', () => {
  it('writes a self-describing model directory with provenance', async () => {
    expect(distilled).toMatchObject({
      dir: modelDir,
      rows: 2048,
      dimensions: 32,
      resumedTokens: 0,
    });
    expect(distilled.modelId).toMatch(
      /^nellie-static\/all-MiniLM-L6-v2-random-weights@[0-9a-f]{8}$/,
    );
    expect(distilled.tableBytes).toBe(2048 * 32 * 4);
    const config = await readStaticModelConfig(modelDir);
    expect(config).toMatchObject({
      format: 'nellie-static',
      rows: 2048,
      dimensions: 32,
      dtype: 'float32',
      fallbackTokenId: 100,
      teacher: { id: 'all-MiniLM-L6-v2-random-weights', dtype: 'q8', hiddenSize: 384 },
      reduction: { method: 'pca' },
      weighting: { method: 'zipf-sif', coefficient: 1e-4 },
      normalize: true,
      producer: '@nellie/embeddings',
    });
    expect(config.skipTokenIds).toEqual(expect.arrayContaining([0, 100, 101, 102, 103]));
    const weights = config.teacher.files.find((file) => file.path === 'onnx/model_quantized.onnx');
    expect(weights?.sha256).toBe(
      'd8b42d22ef6c17a357f50a1f97b0704fa336f86b95555f719afe52b187f5d028',
    );
    // The tokenizer travels with the table; no checkpoint is left behind.
    for (const file of ['tokenizer.json', 'tokenizer_config.json', 'static/embeddings.bin']) {
      await expect(readFile(path.join(modelDir, file))).resolves.toBeInstanceOf(Buffer);
    }
    await expect(
      readFile(path.join(modelDir, '.distill-checkpoint', 'state.json')),
    ).rejects.toThrow();
    const tokenEvents = progress.filter((event) => event.phase === 'tokens');
    expect(tokenEvents.at(-1)).toEqual({
      phase: 'tokens',
      done: 2048,
      total: 2048,
      resumedFrom: 0,
    });
    expect(progress.at(-1)).toEqual({ phase: 'write', done: 1, total: 1 });
  });

  it('resumes an interrupted run from its checkpoint and produces the same table', async () => {
    const outDir = path.join(workDir, 'resumed');
    const controller = new AbortController();
    await expectCode(
      distillStaticModel({
        ...tiny,
        teacherDir,
        outDir,
        signal: controller.signal,
        onProgress: (event) => {
          if (event.phase === 'tokens' && event.done >= 1024) controller.abort();
        },
      }),
      'ABORTED',
    );
    const state = JSON.parse(
      await readFile(path.join(outDir, '.distill-checkpoint', 'state.json'), 'utf8'),
    ) as { done: number };
    expect(state.done).toBe(1024);
    const resumed = await distillStaticModel({ ...tiny, teacherDir, outDir });
    expect(resumed.resumedTokens).toBe(1024);
    expect(resumed.modelId).toBe(distilled.modelId);
  });

  it('fails with MODEL_NOT_FOUND when the teacher is missing or incomplete', async () => {
    const missing = await expectCode(
      distillStaticModel({
        teacherDir: path.join(workDir, 'nope'),
        outDir: path.join(workDir, 'x'),
      }),
      'MODEL_NOT_FOUND',
    );
    expect(missing.message).toContain('does not exist');
    await withTempDir(async (dir) => {
      await cp(teacherDir, dir, { recursive: true });
      await rm(path.join(dir, 'tokenizer.json'));
      const incomplete = await expectCode(
        distillStaticModel({ ...tiny, teacherDir: dir, outDir: path.join(workDir, 'y') }),
        'MODEL_NOT_FOUND',
      );
      expect(incomplete.message).toContain('tokenizer.json');
    });
    // The stand-in has only q8 weights: asking for fp32 names the file it lacks.
    const wrongDtype = await expectCode(
      distillStaticModel({ teacherDir, outDir: path.join(workDir, 'z'), teacherDtype: 'fp32' }),
      'MODEL_NOT_FOUND',
    );
    expect(wrongDtype.message).toContain('onnx/model.onnx');
  });

  it('refuses to overwrite a static model and rejects impossible options', async () => {
    await expectCode(distillStaticModel({ ...tiny, teacherDir, outDir: modelDir }), 'CONFLICT');
    await expectCode(
      distillStaticModel({
        ...tiny,
        teacherDir,
        outDir: path.join(workDir, 'wide'),
        dimensions: 500,
      }),
      'INVALID_OPTIONS',
    );
    await expectCode(
      distillStaticModel({ teacherDir, outDir: path.join(workDir, 'v'), sifCoefficient: 2 }),
      'INVALID_OPTIONS',
    );
  });
});

describe('createStaticEmbedder', () => {
  let embedder: StaticEmbedder;
  const statuses: ModelStatus[] = [];

  beforeAll(async () => {
    embedder = await createStaticEmbedder({
      modelDir,
      onStatusChange: (status) => statuses.push(status),
    });
  });
  afterAll(async () => {
    await embedder.close();
  });

  it('describes itself with an id of its own', () => {
    expect(embedder.modelId).toBe(distilled.modelId);
    expect(embedder.dimensions).toBe(32);
    expect(embedder.source).toEqual({ kind: 'model-dir', dir: modelDir });
    expect(embedder.status()).toMatchObject({ state: 'ready', dimensions: 32, source: modelDir });
    expect(statuses.map((status) => status.state)).toEqual(['loading', 'ready']);
  });

  it('returns one unit vector per text, in order, deterministically', async () => {
    const texts = ['function add(a, b) { return a + b; }', code.slice(0, 800), 'the end'];
    const vectors = await embedder.embed(texts);
    expect(vectors).toHaveLength(3);
    for (const vector of vectors) {
      expect(vector).toBeInstanceOf(Float32Array);
      expect(vector).toHaveLength(32);
      expect(norm(vector)).toBeCloseTo(1, 5);
    }
    const again = await embedder.embed([texts[1]!, texts[0]!]);
    expect(Array.from(again[0]!)).toEqual(Array.from(vectors[1]!));
    expect(Array.from(again[1]!)).toEqual(Array.from(vectors[0]!));
    expect(Array.from(vectors[0]!)).not.toEqual(Array.from(vectors[2]!));
  });

  it('embeds texts of unknown tokens only, long texts and non-ASCII text', async () => {
    // Every token of the first is beyond the tiny table's 2,048 ids: it falls back to [UNK].
    const [unknown, long, unicode] = await embedder.embed([
      'zzzzqqq xylophonist',
      code.repeat(20),
      'naïve café — 関数 ✓',
    ]);
    for (const vector of [unknown!, long!, unicode!]) expect(norm(vector)).toBeCloseTo(1, 5);
  });

  it('rejects bad input with INVALID_INPUT', async () => {
    await expectCode(embedder.embed(['ok', '   ']), 'INVALID_INPUT');
    await expectCode(embedder.embed([42 as unknown as string]), 'INVALID_INPUT');
    await expectCode(embedder.embed('text' as unknown as string[]), 'INVALID_INPUT');
  });

  it('yields to the event loop during long calls and honours an abort', async () => {
    const sliced = await createStaticEmbedder({ modelDir, sliceMs: 1 });
    const texts = Array.from({ length: 3000 }, (_, index) => `${code.slice(0, 800)} ${index}`);
    let ticked = false;
    setImmediate(() => (ticked = true));
    const vectors = await sliced.embed(texts);
    expect(vectors).toHaveLength(3000);
    expect(ticked).toBe(true);

    const controller = new AbortController();
    const call = sliced.embed(texts, { signal: controller.signal });
    setImmediate(() => controller.abort());
    await expectCode(call, 'ABORTED');
    expect(sliced.queueDepth()).toBe(0);
    await sliced.close();
    await expectCode(sliced.embed(['after close']), 'STORE_CLOSED');
  });

  it('bounds bulk work with QUEUE_FULL', async () => {
    const bounded = await createStaticEmbedder({ modelDir, maxQueue: 2 });
    await expectCode(bounded.embed(['a', 'b', 'c']), 'QUEUE_FULL');
    await expect(bounded.embed(['a', 'b', 'c'], { priority: 'query' })).resolves.toHaveLength(3);
    await bounded.close();
  });
});

describe('loading a static model like any other model', () => {
  it('createLocalEmbedder({ modelDir }) and resolveModel() recognise nellie-static.json', async () => {
    const resolved = await resolveModel({ modelDir });
    expect(resolved.static).toEqual({ modelId: distilled.modelId, dimensions: 32 });
    const embedder = await createLocalEmbedder({ modelDir, dimensions: 32 });
    try {
      expect(embedder.modelId).toBe(distilled.modelId);
      const [vector] = await embedder.embed(['const answer = 42;'], { priority: 'query' });
      expect(vector).toHaveLength(32);
    } finally {
      await embedder.close();
    }
    await expectCode(createLocalEmbedder({ modelDir, dimensions: 384 }), 'DIMENSION_MISMATCH');
  });

  it('refuses a corrupted or truncated table and a broken config', async () => {
    await withTempDir(async (dir) => {
      await cp(modelDir, dir, { recursive: true });
      const table = path.join(dir, 'static', 'embeddings.bin');
      const bytes = await readFile(table);
      bytes[100] = bytes[100]! ^ 0xff;
      await writeFile(table, bytes);
      const altered = await expectCode(
        createStaticEmbedder({ modelDir: dir }),
        'MODEL_VERIFICATION_FAILED',
      );
      expect(altered.message).toContain('sha256');
      await writeFile(table, bytes.subarray(0, 1000));
      await expectCode(createStaticEmbedder({ modelDir: dir }), 'MODEL_VERIFICATION_FAILED');
      await writeFile(path.join(dir, 'nellie-static.json'), '{"format":"something else"}');
      await expectCode(createStaticEmbedder({ modelDir: dir }), 'MODEL_LOAD_FAILED');
    });
  });
});
