import { startOpenAiEmbeddingsServer, type OpenAiEmbeddingsServer } from '@nellie/test-utils';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cleanEnv, createSampleRepo, makeTempDir, removeTempDirs, runCli } from './helpers.ts';

const width = 8;
let endpoint: OpenAiEmbeddingsServer;
beforeAll(async () => {
  endpoint = await startOpenAiEmbeddingsServer({ dimensions: width });
});
afterAll(async () => {
  await endpoint.close();
  removeTempDirs();
});

const endpointKey = 'endpoint-secret-0123456789';

describe('the openai embedding provider, configured through the environment', () => {
  it('embeds through the endpoint for indexing and search, with the key from the environment', async () => {
    const dataDir = makeTempDir();
    const repo = createSampleRepo();
    const env = cleanEnv({
      NELLIE_EMBEDDING_PROVIDER: 'openai',
      NELLIE_EMBEDDING_URL: endpoint.baseUrl,
      NELLIE_MODEL: 'hash-embed',
      NELLIE_EMBEDDING_DIMENSIONS: String(width),
      NELLIE_EMBEDDING_API_KEY: endpointKey,
    });
    const indexed = await runCli(['index', repo, '--data-dir', dataDir, '--json'], { env });
    expect(indexed.stderr).toBe('');
    expect(indexed.code).toBe(0);
    const result = JSON.parse(indexed.stdout) as {
      embeddings: { semanticSearch: string; chunksPendingEmbedding: number };
    };
    expect(result.embeddings).toMatchObject({ semanticSearch: 'on', chunksPendingEmbedding: 0 });
    expect([...new Set(endpoint.authorizations)]).toEqual([`Bearer ${endpointKey}`]);

    const status = JSON.parse(
      (await runCli(['status', '--data-dir', dataDir, '--json'], { env })).stdout,
    ) as { embeddingModel: unknown; model: unknown };
    expect(status.embeddingModel).toEqual({ modelId: `hash-embed@${width}`, dimensions: width });
    expect(status.model).toMatchObject({ kind: 'endpoint' });

    const search = await runCli(['search', 'add two numbers', '--data-dir', dataDir, '--json'], {
      env,
    });
    expect(search.code).toBe(0);
    expect((JSON.parse(search.stdout) as { mode: string }).mode).toBe('hybrid');

    const check = await runCli(['config', 'check', '--data-dir', dataDir, '--json'], { env });
    expect(check.stdout).not.toContain(endpointKey);
    expect(
      (JSON.parse(check.stdout) as { settings: Record<string, { value: unknown }> }).settings
        .embeddingApiKey,
    ).toMatchObject({ value: '(redacted)' });
  });

  it('refuses the openai provider without an endpoint, naming what is missing (exit 2)', async () => {
    const env = cleanEnv({ NELLIE_EMBEDDING_PROVIDER: 'openai' });
    const result = await runCli(['config', 'check', '--data-dir', makeTempDir()], { env });
    expect(result.code).toBe(2);
    expect(result.stderr).toContain('NELLIE_EMBEDDING_PROVIDER');
    expect(result.stderr).toContain('--embedding-url or NELLIE_EMBEDDING_URL');
    expect(result.stderr).toContain('--embedding-dimensions or NELLIE_EMBEDDING_DIMENSIONS');
  });
});
