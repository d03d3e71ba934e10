import { createHash } from 'node:crypto';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { copyFile, mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  createStaticEmbedder,
  mineCodePairs,
  readStaticModelConfig,
  tuneStaticModel,
  type CodePair,
  type StaticEmbedder,
  type TuneResult,
  type TuneStaticModelOptions,
} from '../src/index.ts';
import { expectCode, standInModelDir } from './helpers.ts';

const rows = 30_522;
const dimensions = 8;
const sourceDir = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', 'src');

/** Starts a tuning run and stops it after `steps` training steps, as Ctrl-C would. */
async function tuneUntilInterrupted(options: TuneStaticModelOptions, steps: number): Promise<void> {
  const controller = new AbortController();
  await expectCode(
    tuneStaticModel({
      ...options,
      signal: controller.signal,
      onProgress: (event) => {
        if (event.phase === 'train' && event.done === steps) controller.abort();
      },
    }),
    'ABORTED',
  );
}

let workDir: string;
let baseDir: string;
let pairs: CodePair[];

/**
 * A small static model with the real all-MiniLM-L6-v2 tokenizer and a seeded random table of
 * 8 dimensions: enough to train on, and fast.
 */
async function writeTinyStaticModel(dir: string): Promise<void> {
  await mkdir(path.join(dir, 'static'), { recursive: true });
  const teacher = standInModelDir();
  for (const file of ['tokenizer.json', 'tokenizer_config.json']) {
    await copyFile(path.join(teacher, file), path.join(dir, file));
  }
  let state = 12345;
  const table = new Float32Array(rows * dimensions);
  for (let index = 0; index < table.length; index += 1) {
    state = (Math.imul(state, 1_103_515_245) + 12_345) >>> 0;
    table[index] = state / 2 ** 32 - 0.5;
  }
  const bytes = Buffer.from(table.buffer);
  await writeFile(path.join(dir, 'static', 'embeddings.bin'), bytes);
  await writeFile(
    path.join(dir, 'nellie-static.json'),
    JSON.stringify({
      format: 'nellie-static',
      formatVersion: 1,
      rows,
      dimensions,
      dtype: 'float32',
      table: {
        path: 'static/embeddings.bin',
        bytes: bytes.length,
        sha256: createHash('sha256').update(bytes).digest('hex'),
      },
      skipTokenIds: [0, 100, 101, 102, 103],
      fallbackTokenId: 100,
      teacher: { id: 'tiny-random', dtype: 'fp32', hiddenSize: 8, pooling: 'none', files: [] },
      reduction: { method: 'none' },
      weighting: { method: 'none' },
      normalize: true,
      createdAt: new Date(0).toISOString(),
      producer: 'test',
    }),
  );
}

/** One run per tuning keeps most tests about a single run; the default of three is tested apart. */
const tiny = {
  epochs: 3,
  batchSize: 16,
  learningRate: 0.2,
  temperature: 0.1,
  seed: 7,
  seeds: 1,
} as const;

beforeAll(async () => {
  workDir = await mkdtemp(path.join(tmpdir(), 'nellie-tune-'));
  baseDir = path.join(workDir, 'base');
  await writeTinyStaticModel(baseDir);
  // Real code: this package's own documented sources.
  pairs = mineCodePairs(
    readdirSync(sourceDir)
      .filter((name) => name.endsWith('.ts') && !name.endsWith('.test.ts'))
      .map((name) => ({
        content: readFileSync(path.join(sourceDir, name), 'utf8'),
        language: 'typescript',
      })),
  );
});

afterAll(async () => {
  await rm(workDir, { recursive: true, force: true });
});

/** Mean cosine of each query with its own code minus the mean with the other codes. */
async function margin(embedder: StaticEmbedder, sample: CodePair[]): Promise<number> {
  const queries = await embedder.embed(sample.map((pair) => pair.query));
  const codes = await embedder.embed(sample.map((pair) => pair.code));
  const cosine = (a: Float32Array, b: Float32Array): number =>
    a.reduce((sum, value, index) => sum + value * b[index]!, 0);
  let total = 0;
  queries.forEach((query, i) => {
    let others = 0;
    codes.forEach((code, j) => {
      if (j !== i) others += cosine(query, code);
    });
    total += cosine(query, codes[i]!) - others / (codes.length - 1);
  });
  return total / queries.length;
}

describe('tuneStaticModel', () => {
  let tunedDir: string;
  let result: TuneResult;

  beforeAll(async () => {
    tunedDir = path.join(workDir, 'tuned');
    result = await tuneStaticModel({
      ...tiny,
      modelDir: baseDir,
      outDir: tunedDir,
      pairs,
      tunedOn: ['packages/embeddings/src'],
      producer: 'nellie test',
    });
  });

  it('mines enough real pairs to train on', () => {
    expect(pairs.length).toBeGreaterThan(40);
  });

  it('lowers the held-out loss and brings descriptions closer to their code', async () => {
    expect(result.validationLoss!.after).toBeLessThan(result.validationLoss!.before);
    await using base = await createStaticEmbedder({ modelDir: baseDir });
    await using tuned = await createStaticEmbedder({ modelDir: tunedDir });
    const sample = pairs.slice(0, 30);
    expect(await margin(tuned, sample)).toBeGreaterThan((await margin(base, sample)) + 0.1);
  });

  it('records the provenance and gets a model id of its own', async () => {
    const base = await readStaticModelConfig(baseDir);
    const config = await readStaticModelConfig(tunedDir);
    expect(config.tuning).toMatchObject({
      method: 'contrastive-infonce',
      base: { modelId: result.baseModelId, sha256: base.table.sha256 },
      tunedOn: ['packages/embeddings/src'],
      pairs: result.pairs,
      validationPairs: result.validationPairs,
      epochs: 3,
      batchSize: 16,
      learningRate: 0.2,
      temperature: 0.1,
      seed: 7,
    });
    expect(result.pairs + result.validationPairs + result.droppedPairs).toBe(pairs.length);
    expect(config.teacher).toEqual(base.teacher);
    expect(config.producer).toBe('nellie test');
    expect(config.table.sha256).not.toBe(base.table.sha256);
    expect(result.baseModelId).toMatch(/^nellie-static\/tiny-random@[0-9a-f]{8}$/);
    expect(result.modelId).toMatch(/^nellie-static\/tiny-random\+tuned@[0-9a-f]{8}$/);
    await using tuned = await createStaticEmbedder({ modelDir: tunedDir });
    expect(tuned.modelId).toBe(result.modelId);
    expect(existsSync(path.join(tunedDir, '.tune-checkpoint'))).toBe(false);
  });

  it('is deterministic for a seed, and resumes an interrupted run to the same table', async () => {
    const again = path.join(workDir, 'again');
    const repeat = await tuneStaticModel({ ...tiny, modelDir: baseDir, outDir: again, pairs });
    expect(repeat.modelId).toBe(result.modelId);

    const interruptedDir = path.join(workDir, 'interrupted');
    await tuneUntilInterrupted(
      {
        ...tiny,
        modelDir: baseDir,
        outDir: interruptedDir,
        pairs,
      },
      4,
    );
    expect(existsSync(path.join(interruptedDir, '.tune-checkpoint', 'state.json'))).toBe(true);
    const resumed = await tuneStaticModel({
      ...tiny,
      modelDir: baseDir,
      outDir: interruptedDir,
      pairs,
    });
    expect(resumed.resumedSteps).toBe(4);
    expect(resumed.modelId).toBe(result.modelId);

    const otherSeed = await tuneStaticModel({
      ...tiny,
      seed: 8,
      modelDir: baseDir,
      outDir: path.join(workDir, 'seed-8'),
      pairs,
    });
    expect(otherSeed.modelId).not.toBe(result.modelId);
  });

  it('with several seeds writes the mean of their tables, resumably, and records the seeds', async () => {
    const tableOf = async (dir: string): Promise<Float32Array> =>
      new Float32Array(
        (await readFile(path.join(dir, 'static', 'embeddings.bin'))).buffer.slice(0),
      );
    const seed8Dir = path.join(workDir, 'soup-seed-8');
    await tuneStaticModel({ ...tiny, seed: 8, modelDir: baseDir, outDir: seed8Dir, pairs });
    const [seed7, seed8] = await Promise.all([tableOf(tunedDir), tableOf(seed8Dir)]);

    const soupDir = path.join(workDir, 'soup');
    const soupOptions = { ...tiny, seeds: 2, modelDir: baseDir, outDir: soupDir, pairs };
    // Interrupted in the second run: the first run's table is kept and not tuned again.
    await tuneUntilInterrupted(soupOptions, result.steps + 2);
    const soup = await tuneStaticModel(soupOptions);
    expect(soup.resumedSteps).toBe(result.steps + 2);
    expect(soup.seeds).toEqual([7, 8]);
    expect(soup.steps).toBe(2 * result.steps);

    const table = await tableOf(soupDir);
    expect(table).toHaveLength(seed7.length);
    let largestError = 0;
    for (let i = 0; i < table.length; i += 1) {
      largestError = Math.max(largestError, Math.abs(table[i]! - (seed7[i]! + seed8[i]!) / 2));
    }
    expect(largestError).toBeLessThan(1e-6);
    expect(soup.modelId).not.toBe(result.modelId);
    const config = await readStaticModelConfig(soupDir);
    expect(config.tuning).toMatchObject({ seed: 7, seeds: [7, 8], epochs: 3 });
    expect(existsSync(path.join(soupDir, '.tune-checkpoint'))).toBe(false);
    await using embedder = await createStaticEmbedder({ modelDir: soupDir });
    expect(embedder.modelId).toBe(soup.modelId);

    const { seeds: _oneRun, ...defaultRuns } = tiny;
    const byDefault = await tuneStaticModel({
      ...defaultRuns,
      modelDir: baseDir,
      outDir: path.join(workDir, 'default-seeds'),
      pairs,
    });
    expect(byDefault.seeds).toEqual([7, 8, 9]);
    expect(byDefault.steps).toBe(3 * result.steps);

    await expectCode(
      tuneStaticModel({ ...soupOptions, seeds: 0, outDir: path.join(workDir, 'no-seeds') }),
      'INVALID_OPTIONS',
    );
    await expectCode(
      tuneStaticModel({
        ...soupOptions,
        seed: 2 ** 31 - 1,
        outDir: path.join(workDir, 'past-last-seed'),
      }),
      'INVALID_OPTIONS',
    );
  });

  it('trains with keyword-mined hard negatives: recorded, another table, resumable to the same table', async () => {
    // A fifth held out: the default 5 % is a handful of pairs, too few to compare losses on.
    const hardTiny = { ...tiny, validationFraction: 0.2 };
    const hardDir = path.join(workDir, 'hard');
    const hard = await tuneStaticModel({
      ...hardTiny,
      modelDir: baseDir,
      outDir: hardDir,
      pairs,
      hardNegatives: 3,
    });
    expect(hard.validationLoss!.after).toBeLessThan(hard.validationLoss!.before);
    expect(hard.modelId).not.toBe(result.modelId);
    expect((await readStaticModelConfig(hardDir)).tuning).toMatchObject({ hardNegatives: 3 });
    expect((await readStaticModelConfig(tunedDir)).tuning).not.toHaveProperty('hardNegatives');

    const interruptedDir = path.join(workDir, 'hard-interrupted');
    await tuneUntilInterrupted(
      {
        ...hardTiny,
        modelDir: baseDir,
        outDir: interruptedDir,
        pairs,
        hardNegatives: 3,
      },
      5,
    );
    // Another hard-negative setting is another run: its checkpoint is not resumed.
    const other = await tuneStaticModel({
      ...hardTiny,
      modelDir: baseDir,
      outDir: interruptedDir,
      pairs,
      hardNegatives: 1,
      overwrite: true,
    });
    expect(other.resumedSteps).toBe(0);
    expect(other.modelId).not.toBe(hard.modelId);
    const secondInterruptedDir = path.join(workDir, 'hard-interrupted-2');
    await tuneUntilInterrupted(
      {
        ...hardTiny,
        modelDir: baseDir,
        outDir: secondInterruptedDir,
        pairs,
        hardNegatives: 3,
      },
      5,
    );
    const resumed = await tuneStaticModel({
      ...hardTiny,
      modelDir: baseDir,
      outDir: secondInterruptedDir,
      pairs,
      hardNegatives: 3,
    });
    expect(resumed.resumedSteps).toBe(5);
    expect(resumed.modelId).toBe(hard.modelId);
  });

  it('trains query-side token weights that the embedder applies to queries only, resumably', async () => {
    const weightedDir = path.join(workDir, 'query-weights');
    const weighted = await tuneStaticModel({
      ...tiny,
      modelDir: baseDir,
      outDir: weightedDir,
      pairs,
      queryWeights: true,
    });
    expect(weighted.validationLoss!.after).toBeLessThan(weighted.validationLoss!.before);
    expect(weighted.modelId).not.toBe(result.modelId);
    const config = await readStaticModelConfig(weightedDir);
    expect(config.tuning).toMatchObject({ queryWeights: true });
    expect(config.queryWeights).toMatchObject({
      path: 'static/query-weights.bin',
      bytes: rows * 4,
    });
    expect((await readStaticModelConfig(tunedDir)).queryWeights).toBeUndefined();
    const weights = new Float32Array(
      (await readFile(path.join(weightedDir, 'static', 'query-weights.bin'))).buffer.slice(0),
    );
    expect(weights.some((weight) => weight !== 1)).toBe(true);
    expect(weights.every((weight) => weight >= 0)).toBe(true);

    await using embedder = await createStaticEmbedder({ modelDir: weightedDir });
    expect(embedder.modelId).toBe(weighted.modelId);
    const text = pairs[0]!.query;
    const [asQuery] = await embedder.embed([text], { priority: 'query' });
    const [asDocument] = await embedder.embed([text]);
    expect(Array.from(asQuery!)).not.toEqual(Array.from(asDocument!));
    // Documents are embedded from the table alone: a copy without the weights agrees on them.
    const plainDir = path.join(workDir, 'query-weights-dropped');
    await mkdir(path.join(plainDir, 'static'), { recursive: true });
    for (const file of ['tokenizer.json', 'tokenizer_config.json', 'static/embeddings.bin']) {
      await copyFile(path.join(weightedDir, file), path.join(plainDir, file));
    }
    const { queryWeights: _dropped, ...plainConfig } = config;
    await writeFile(path.join(plainDir, 'nellie-static.json'), JSON.stringify(plainConfig));
    await using plain = await createStaticEmbedder({ modelDir: plainDir });
    expect(Array.from((await plain.embed([text]))[0]!)).toEqual(Array.from(asDocument!));
    expect(Array.from((await plain.embed([text], { priority: 'query' }))[0]!)).toEqual(
      Array.from(asDocument!),
    );

    const interruptedDir = path.join(workDir, 'query-weights-interrupted');
    await tuneUntilInterrupted(
      {
        ...tiny,
        modelDir: baseDir,
        outDir: interruptedDir,
        pairs,
        queryWeights: true,
      },
      5,
    );
    const resumed = await tuneStaticModel({
      ...tiny,
      modelDir: baseDir,
      outDir: interruptedDir,
      pairs,
      queryWeights: true,
    });
    expect(resumed.resumedSteps).toBe(5);
    expect(resumed.modelId).toBe(weighted.modelId);

    // Altered weights are refused when the model loads.
    await writeFile(
      path.join(interruptedDir, 'static', 'query-weights.bin'),
      Buffer.alloc(rows * 4),
    );
    await expectCode(
      createStaticEmbedder({ modelDir: interruptedDir }),
      'MODEL_VERIFICATION_FAILED',
    );
  });

  it('tunes with identifiers split into words, which the tuned model then applies itself', async () => {
    const splitDir = path.join(workDir, 'split');
    const split = await tuneStaticModel({
      ...tiny,
      epochs: 1,
      modelDir: baseDir,
      outDir: splitDir,
      pairs,
      pretokenize: 'split-identifiers',
    });
    const config = await readStaticModelConfig(splitDir);
    expect(config.pretokenize).toBe('split-identifiers');
    // Another text preparation over a table is another model, even for the same table bytes.
    expect(split.modelId).toMatch(/^nellie-static\/tiny-random\+tuned@[0-9a-f]{8}$/);
    expect(split.modelId).not.toContain(config.table.sha256.slice(0, 8));
    await using embedder = await createStaticEmbedder({ modelDir: splitDir });
    expect(embedder.modelId).toBe(split.modelId);
    const [camel, words, joined] = await embedder.embed([
      'getUserName',
      'get User Name',
      'getusername',
    ]);
    expect(Array.from(camel!)).toEqual(Array.from(words!));
    expect(Array.from(camel!)).not.toEqual(Array.from(joined!));
  });

  it('extends the vocabulary with whole code words, which the tuned model reads as one row', async () => {
    const extendedDir = path.join(workDir, 'vocabulary');
    const extended = await tuneStaticModel({
      ...tiny,
      epochs: 1,
      modelDir: baseDir,
      outDir: extendedDir,
      pairs,
      vocabularyWords: 30,
      vocabularyMinTexts: 3,
    });
    const config = await readStaticModelConfig(extendedDir);
    const words = (await readFile(path.join(extendedDir, 'static', 'vocabulary.txt'), 'utf8'))
      .split('\n')
      .slice(0, -1);
    expect(words).toHaveLength(30);
    // Whole words of the code that the tokenizer cuts into pieces.
    expect(words).toEqual(expect.arrayContaining(['embedder', 'logger', 'typeof']));
    expect(config.rows).toBe(rows + 30);
    expect(config.vocabulary).toMatchObject({ path: 'static/vocabulary.txt', words: 30 });
    expect(config.tuning).toMatchObject({ vocabularyWords: 30 });
    expect(config.table.bytes).toBe((rows + 30) * dimensions * 4);
    expect(extended.modelId).not.toBe(result.modelId);

    // A text made of one extension word is embedded as that word's row.
    const table = new Float32Array(
      (await readFile(path.join(extendedDir, 'static', 'embeddings.bin'))).buffer.slice(0),
    );
    const row = rows + words.indexOf('embedder');
    const expected = table.slice(row * dimensions, (row + 1) * dimensions);
    const length = Math.hypot(...expected);
    await using embedder = await createStaticEmbedder({ modelDir: extendedDir });
    expect(embedder.modelId).toBe(extended.modelId);
    const [vector] = await embedder.embed(['Embedder']);
    for (const [column, value] of expected.entries()) {
      expect(vector![column]).toBeCloseTo(value / length, 5);
    }

    // Tuning the extended table again keeps its words; asking for more words is refused.
    const againDir = path.join(workDir, 'vocabulary-again');
    await tuneStaticModel({ ...tiny, epochs: 1, modelDir: extendedDir, outDir: againDir, pairs });
    expect((await readStaticModelConfig(againDir)).vocabulary).toEqual(config.vocabulary);
    expect((await readStaticModelConfig(againDir)).rows).toBe(rows + 30);
    await expectCode(
      tuneStaticModel({
        ...tiny,
        modelDir: extendedDir,
        outDir: path.join(workDir, 'vocabulary-twice'),
        pairs,
        vocabularyWords: 10,
      }),
      'INVALID_OPTIONS',
    );

    // An altered word list is refused when the model loads.
    await writeFile(
      path.join(againDir, 'static', 'vocabulary.txt'),
      [...words.slice(1), words[0]].map((word) => `${word}\n`).join(''),
    );
    await expectCode(createStaticEmbedder({ modelDir: againDir }), 'MODEL_VERIFICATION_FAILED');
  });

  it('refuses too few pairs, a directory without a static model and an occupied output', async () => {
    const noPairs = await expectCode(
      tuneStaticModel({ modelDir: baseDir, outDir: path.join(workDir, 'none'), pairs: [] }),
      'INVALID_INPUT',
    );
    expect(noPairs.message).toContain('doc comments');
    await expectCode(
      tuneStaticModel({
        modelDir: path.join(workDir, 'missing'),
        outDir: path.join(workDir, 'x'),
        pairs,
      }),
      'MODEL_NOT_FOUND',
    );
    await expectCode(tuneStaticModel({ modelDir: baseDir, outDir: tunedDir, pairs }), 'CONFLICT');
    await expectCode(
      tuneStaticModel({ modelDir: baseDir, outDir: baseDir, pairs, overwrite: true }),
      'INVALID_OPTIONS',
    );
    await expectCode(
      tuneStaticModel({ modelDir: baseDir, outDir: path.join(workDir, 'y'), pairs, epochs: 0 }),
      'INVALID_OPTIONS',
    );
    // Nothing was written for the refused runs.
    expect(existsSync(path.join(workDir, 'none'))).toBe(false);
    expect(
      JSON.parse(await readFile(path.join(baseDir, 'nellie-static.json'), 'utf8')),
    ).not.toHaveProperty('tuning');
  });
});
