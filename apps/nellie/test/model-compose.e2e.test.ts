import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  createSampleRepo,
  makeTempDir,
  removeTempDirs,
  requireStandInModel,
  runCli,
} from './helpers.ts';

// Fails (does not skip) when the stand-in model is missing.
const transformerDir = requireStandInModel();
const transformerId = 'Xenova/all-MiniLM-L6-v2@q8+split-identifiers';

let staticDir: string;
let staticId: string;

beforeAll(async () => {
  // A small static table distilled from the stand-in: the composite's second part.
  staticDir = path.join(makeTempDir('nellie-static-'), 'static');
  const run = await runCli(
    [
      'model',
      'distill',
      '--from',
      transformerDir,
      '--out',
      staticDir,
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
  expect(run.code, run.stderr).toBe(0);
  staticId = (JSON.parse(run.stdout) as { modelId: string }).modelId;
}, 300_000);

afterAll(() => {
  removeTempDirs();
});

describe('nellie model compose', () => {
  it('writes a composite that indexing, search and status then use through --model-dir', async () => {
    const compositeDir = path.join(makeTempDir('nellie-composite-'), 'composite');
    const compose = await runCli([
      'model',
      'compose',
      '--out',
      compositeDir,
      '--part',
      `${transformerDir}=0.5`,
      '--part',
      `${staticDir}=0.5`,
      '--json',
    ]);
    expect(compose.code, compose.stderr).toBe(0);
    const modelId = `nellie-composite:0.5*${transformerId},0.5*${staticId}`;
    expect(JSON.parse(compose.stdout)).toEqual({
      dir: compositeDir,
      modelId,
      dimensions: 384 + 32,
      parts: [
        { modelId: transformerId, kind: 'transformer', weight: 0.5, dir: transformerDir },
        { modelId: staticId, kind: 'static', weight: 0.5, dir: staticDir },
      ],
    });

    const dataDir = makeTempDir();
    const repo = createSampleRepo();
    const index = await runCli(
      ['index', repo, '--data-dir', dataDir, '--model-dir', compositeDir, '--json'],
      { timeoutMs: 180_000 },
    );
    expect(index.code, index.stderr).toBe(0);
    const search = await runCli(
      ['search', 'parse the configuration', '--data-dir', dataDir, '--model-dir', compositeDir],
      { timeoutMs: 120_000 },
    );
    expect(search.code, search.stderr).toBe(0);

    const status = await runCli([
      'status',
      '--data-dir',
      dataDir,
      '--model-dir',
      compositeDir,
      '--json',
    ]);
    expect(status.code, status.stderr).toBe(0);
    const body = JSON.parse(status.stdout) as {
      chunksWithVectors: number;
      embeddingModel: { modelId: string; dimensions: number } | null;
      model: { configured: string; kind: string | null; parts: unknown };
    };
    expect(body.chunksWithVectors).toBeGreaterThan(0);
    expect(body.embeddingModel).toEqual({ modelId, dimensions: 416 });
    expect(body.model).toMatchObject({
      configured: modelId,
      kind: 'composite',
      parts: [
        { modelId: transformerId, kind: 'transformer', weight: 0.5, dir: transformerDir },
        { modelId: staticId, kind: 'static', weight: 0.5, dir: staticDir },
      ],
    });
    const text = await runCli(['status', '--data-dir', dataDir, '--model-dir', compositeDir]);
    expect(text.stdout).toContain(`model: ${modelId} (composite of several models) — available`);
    expect(text.stdout).toContain(
      `part: ${staticId} (static token table, weight 0.5) from ${staticDir}`,
    );
  });

  it('names bad parts, bad weights and a missing flag clearly', async () => {
    const out = makeTempDir();
    const [uneven, missing, single, malformed] = await Promise.all([
      runCli([
        'model',
        'compose',
        '--out',
        path.join(out, 'a'),
        '--part',
        `${transformerDir}=0.7`,
        '--part',
        `${staticDir}=0.7`,
      ]),
      runCli([
        'model',
        'compose',
        '--out',
        path.join(out, 'b'),
        '--part',
        `${transformerDir}=0.5`,
        '--part',
        `${path.join(out, 'nope')}=0.5`,
      ]),
      runCli(['model', 'compose', '--out', path.join(out, 'c'), '--part', `${staticDir}=1`]),
      runCli([
        'model',
        'compose',
        '--out',
        path.join(out, 'd'),
        '--part',
        transformerDir,
        '--part',
        `${staticDir}=half`,
      ]),
    ]);
    // Bad flags exit 2, a missing model 1.
    expect(uneven.code).toBe(2);
    expect(uneven.stderr).toContain('add up to 1');
    expect(missing.code).toBe(1);
    expect(missing.stderr).toContain('is not a model directory');
    expect(single.code).toBe(2);
    expect(single.stderr).toContain('at least two parts');
    expect(malformed.code).toBe(2);
    expect(malformed.stderr).toContain('<model dir>=<weight>');
  });
});
