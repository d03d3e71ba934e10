import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import {
  createSampleRepo,
  makeTempDir,
  removeTempDirs,
  requireStandInModel,
  runCli,
} from './helpers.ts';

// Fails (does not skip) when the stand-in model is missing.
const teacherDir = requireStandInModel();

afterAll(() => {
  removeTempDirs();
});

describe('nellie model distill', () => {
  it('distils a static model that indexing and search then use through --model-dir', async () => {
    const outDir = path.join(makeTempDir('nellie-static-'), 'static');
    const distill = await runCli(
      [
        'model',
        'distill',
        '--from',
        teacherDir,
        '--out',
        outDir,
        '--teacher-dtype',
        'q8',
        '--token-limit',
        '2048',
        '--dimensions',
        '32',
        '--json',
      ],
      { timeoutMs: 300_000 },
    );
    expect(distill.stderr).not.toContain('"level":50');
    expect(distill.code).toBe(0);
    const result = JSON.parse(distill.stdout) as {
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
      store?: { chunksPendingEmbedding?: number };
    };
    expect(body.embeddingModel).toEqual({ modelId: result.modelId, dimensions: 32 });
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
