import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import {
  createSampleRepo,
  makeTempDir,
  removeTempDirs,
  repoRoot,
  requireStandInModel,
  runCli,
} from './helpers.ts';

// Fails (does not skip) when the stand-in model is missing.
const teacherDir = requireStandInModel();

afterAll(() => {
  removeTempDirs();
});

/** `nellie model distill --from <stand-in teacher> --out <outDir> …extra`. */
function distill(outDir: string, ...extra: string[]): ReturnType<typeof runCli> {
  return runCli(['model', 'distill', '--from', teacherDir, '--out', outDir, ...extra], {
    timeoutMs: 300_000,
  });
}

/**
 * Flags for a quick, small table: the q8 teacher and its first 2,048 ids, which hold
 * punctuation, digits and the commonest English words.
 */
function smallTable(dimensions: number): string[] {
  return ['--teacher-dtype', 'q8', '--token-limit', '2048', '--dimensions', String(dimensions)];
}

describe('nellie model distill', () => {
  it('distils a static model that indexing and search then use through --model-dir', async () => {
    const outDir = path.join(makeTempDir('nellie-static-'), 'static');
    const run = await distill(outDir, ...smallTable(32), '--json');
    expect(run.stderr).not.toContain('"level":50');
    expect(run.code).toBe(0);
    const result = JSON.parse(run.stdout) as {
      modelId: string;
      rows: number;
      dimensions: number;
    };
    expect(result).toMatchObject({ rows: 2048, dimensions: 32 });
    expect(result.modelId).toMatch(/^nellie-static\/all-MiniLM-L6-v2-random-weights@[0-9a-f]{8}$/);

    const dataDir = makeTempDir();
    const repo = createSampleRepo();
    const index = await runCli(
      ['index', repo, '--data-dir', dataDir, '--model-dir', outDir, '--json'],
      {
        timeoutMs: 120_000,
      },
    );
    expect(index.code, index.stderr).toBe(0);
    const status = await runCli(['status', '--data-dir', dataDir, '--model-dir', outDir, '--json']);
    expect(status.code, status.stderr).toBe(0);
    const body = JSON.parse(status.stdout) as {
      embeddingModel: { modelId: string; dimensions: number } | null;
      model: { configured: string; kind: string | null };
    };
    expect(body.embeddingModel).toEqual({ modelId: result.modelId, dimensions: 32 });
    expect(body.model).toMatchObject({ configured: result.modelId, kind: 'static' });
    const text = await runCli(['status', '--data-dir', dataDir, '--model-dir', outDir]);
    expect(text.stdout).toContain(`model: ${result.modelId} (static token table) — available`);
  });

  it('names a missing teacher and a missing flag clearly', async () => {
    const out = makeTempDir();
    const [missing, noFrom] = await Promise.all([
      runCli(['model', 'distill', '--from', path.join(out, 'nope'), '--out', path.join(out, 'x')]),
      runCli(['model', 'distill', '--out', path.join(out, 'y')]),
    ]);
    expect(missing.code).toBe(1);
    expect(missing.stderr).toContain('does not exist');
    expect(noFrom.code).not.toBe(0);
    expect(noFrom.stderr).toContain('--from');
  });
});

// Real documented code to mine training pairs from.
const documentedSources = path.join(repoRoot, 'packages', 'embeddings', 'src');

describe('nellie model distill --tune-on', () => {
  it('distils, tunes on mined pairs and records the provenance', async () => {
    const outDir = path.join(makeTempDir('nellie-static-'), 'tuned');
    const run = await distill(
      outDir,
      ...smallTable(16),
      '--tune-on',
      documentedSources,
      '--epochs',
      '1',
      '--seed',
      '3',
      '--json',
    );
    expect(run.code, run.stderr).toBe(0);
    const result = JSON.parse(run.stdout) as {
      modelId: string;
      baseModelId: string;
      pairs: number;
      mined: { files: number; pairs: number };
      distilled: { modelId: string; rows: number };
    };
    expect(result.modelId).toMatch(/^nellie-static\/all-MiniLM-L6-v2-random-weights\+tuned@/);
    expect(result.baseModelId).toBe(result.distilled.modelId);
    expect(result.distilled.rows).toBe(2048);
    expect(result.mined.pairs).toBeGreaterThan(20);
    const config = JSON.parse(readFileSync(path.join(outDir, 'nellie-static.json'), 'utf8')) as {
      rows: number;
      tuning: Record<string, unknown>;
    };
    expect(config.rows).toBe(2048);
    expect(config.tuning).toMatchObject({
      method: 'contrastive-infonce',
      base: { modelId: result.baseModelId },
      tunedOn: [documentedSources],
      pairs: result.pairs,
      epochs: 1,
      seed: 3,
    });
    // The untuned table was a step on the way, not part of the model.
    expect(existsSync(path.join(outDir, '.tune-base'))).toBe(false);
  }, 300_000);

  it('refuses bad tuning flags and directories without documented code (exit 2)', async () => {
    const dir = makeTempDir();
    const undocumented = path.join(dir, 'undocumented');
    mkdirSync(undocumented);
    writeFileSync(
      path.join(undocumented, 'math.ts'),
      'export function add(a: number, b: number): number {\n  const sum = a + b;\n  return sum;\n}\n',
    );
    const out = path.join(dir, 'out');
    const [
      noTuneOn,
      badEpochs,
      badRate,
      noPairs,
      missingDir,
      missingTeacher,
      badPretokenize,
      hardNegativesAlone,
      badHardNegatives,
      badExtraPairs,
      extraPairsAlone,
      vocabularyAlone,
      badVocabulary,
      seedsAlone,
      badSeeds,
    ] = await Promise.all([
      distill(out, '--epochs', '2'),
      distill(out, '--tune-on', documentedSources, '--epochs', 'two'),
      distill(out, '--tune-on', documentedSources, '--learning-rate', '-1'),
      distill(out, '--tune-on', undocumented),
      distill(out, '--tune-on', path.join(dir, 'nope')),
      runCli([
        'model',
        'distill',
        '--from',
        path.join(dir, 'no-teacher'),
        '--out',
        path.join(dir, 'out'),
        '--tune-on',
        documentedSources,
      ]),
      distill(out, '--pretokenize', 'camel'),
      distill(out, '--hard-negatives', '3'),
      distill(out, '--tune-on', documentedSources, '--hard-negatives', '1000'),
      distill(out, '--tune-on', documentedSources, '--extra-pairs', 'tests,docs'),
      distill(out, '--extra-pairs', 'tests'),
      distill(out, '--vocabulary-words', '500'),
      distill(out, '--tune-on', documentedSources, '--vocabulary-words', 'many'),
      distill(out, '--seeds', '3'),
      distill(out, '--tune-on', documentedSources, '--seeds', '0'),
    ]);
    expect(noTuneOn.code).toBe(2);
    expect(noTuneOn.stderr).toContain('add --tune-on');
    expect(badEpochs.code).toBe(2);
    expect(badEpochs.stderr).toContain('--epochs takes a whole number');
    expect(badRate.code).toBe(2);
    expect(badRate.stderr).toContain('--learning-rate takes a positive number');
    expect(noPairs.code).toBe(2);
    expect(noPairs.stderr).toContain('No training pairs found');
    expect(missingDir.code).toBe(2);
    expect(missingTeacher.code).toBe(1);
    expect(missingTeacher.stderr).toContain('does not exist');
    expect(badPretokenize.code).toBe(2);
    expect(badPretokenize.stderr).toContain('--pretokenize is split-identifiers or none');
    expect(hardNegativesAlone.code).toBe(2);
    expect(hardNegativesAlone.stderr).toContain('add --tune-on');
    expect(badHardNegatives.code).toBe(2);
    expect(badHardNegatives.stderr).toContain('--hard-negatives takes a whole number from 0 to 64');
    expect(badExtraPairs.code).toBe(2);
    expect(badExtraPairs.stderr).toContain(
      '--extra-pairs takes a comma-separated list of tests, markdown; got "docs"',
    );
    expect(extraPairsAlone.code).toBe(2);
    expect(extraPairsAlone.stderr).toContain('add --tune-on');
    expect(vocabularyAlone.code).toBe(2);
    expect(vocabularyAlone.stderr).toContain('add --tune-on');
    expect(seedsAlone.code).toBe(2);
    expect(seedsAlone.stderr).toContain('add --tune-on');
    expect(badSeeds.code).toBe(2);
    expect(badSeeds.stderr).toContain('--seeds takes a whole number from 1 to 16, got 0');
    expect(badVocabulary.code).toBe(2);
    expect(badVocabulary.stderr).toContain('--vocabulary-words takes a whole number');
    expect(existsSync(path.join(dir, 'out'))).toBe(false);
  });
});
