import { afterAll, describe, expect, it } from 'vitest';
import { cleanEnv, createSampleRepo, makeTempDir, removeTempDirs, runCli } from './helpers.ts';

afterAll(() => {
  removeTempDirs();
});

interface Status {
  chunks: number;
  chunksWithVectors: number;
  semanticSearch: string;
  model: { available: boolean; message?: string };
}

describe('nellie status and a model that is not downloaded', () => {
  it('does not call the model available when it may be downloaded but is not here', async () => {
    const dataDir = makeTempDir();
    // Online (downloads allowed), but the default model was never pulled into this HOME.
    const env = cleanEnv({ NELLIE_OFFLINE: '0' });
    const indexed = await runCli(['index', createSampleRepo(), '--data-dir', dataDir, '--json'], {
      env: cleanEnv(),
    });
    expect(indexed.code, indexed.stderr).toBe(0);

    const result = await runCli(['status', '--data-dir', dataDir, '--json'], { env });
    expect(result.code, result.stderr).toBe(0);
    const status = JSON.parse(result.stdout) as Status;
    expect(status.model.available).toBe(false);
    expect(status.model.message).toContain('nellie model pull');
    expect(status.chunksWithVectors).toBe(0);
    expect(status.chunks).toBeGreaterThan(0);
  });
});
