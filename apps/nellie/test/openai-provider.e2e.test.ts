import { createHash } from 'node:crypto';
import { once } from 'node:events';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cleanEnv, createSampleRepo, makeTempDir, removeTempDirs, runCli } from './helpers.ts';

/** A loopback server speaking the OpenAI embeddings API, with a vector from each text's hash. */
const width = 8;
const authorizations = new Set<string>();
const server = createServer((request, response) => {
  authorizations.add(request.headers.authorization ?? '');
  let body = '';
  request.on('data', (chunk: Buffer) => (body += chunk.toString()));
  request.on('end', () => {
    const { input, model } = JSON.parse(body) as { input: string[]; model: string };
    response.writeHead(200, { 'content-type': 'application/json' });
    response.end(
      JSON.stringify({
        object: 'list',
        model,
        data: input.map((text, index) => ({
          object: 'embedding',
          index,
          embedding: [...createHash('sha256').update(text).digest().subarray(0, width)].map(
            (byte) => byte - 127.5,
          ),
        })),
      }),
    );
  });
});
let baseUrl = '';
beforeAll(async () => {
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  baseUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}/v1`;
});
afterAll(async () => {
  server.closeAllConnections();
  server.close();
  await once(server, 'close');
  removeTempDirs();
});

const endpointKey = 'endpoint-secret-0123456789';

describe('the openai embedding provider, configured through the environment', () => {
  it('embeds through the endpoint for indexing and search, with the key from the environment', async () => {
    const dataDir = makeTempDir();
    const repo = createSampleRepo();
    const env = cleanEnv({
      NELLIE_EMBEDDING_PROVIDER: 'openai',
      NELLIE_EMBEDDING_URL: baseUrl,
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
    expect([...authorizations]).toEqual([`Bearer ${endpointKey}`]);

    const status = JSON.parse(
      (await runCli(['status', '--data-dir', dataDir, '--json'], { env })).stdout,
    ) as { embeddingModel: unknown };
    expect(status.embeddingModel).toEqual({ modelId: `hash-embed@${width}`, dimensions: width });

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
