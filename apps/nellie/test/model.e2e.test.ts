import { cpSync, rmSync } from 'node:fs';
import path from 'node:path';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StdioClientTransport } from '@modelcontextprotocol/sdk/client/stdio.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { createSqliteStore } from '@nellie/storage';
import { createFakeEmbedder } from '@nellie/test-utils';
import { afterAll, describe, expect, it } from 'vitest';
import {
  cleanEnv,
  cliPath,
  createSampleRepo,
  fetchJson,
  jsonRequest,
  killAllServers,
  makeTempDir,
  removeTempDirs,
  requireStandInModel,
  runCli,
  startServer,
  waitFor,
} from './helpers.ts';

// Fails (does not skip) when the stand-in model is missing.
const modelDir = requireStandInModel();

afterAll(async () => {
  await killAllServers();
  removeTempDirs();
});

interface Status {
  chunks: number;
  chunksWithVectors: number;
  chunksPendingEmbedding: number;
  embeddingModel: { modelId: string; dimensions: number } | null;
  model: { available: boolean; dimensions?: number };
  semanticSearch: string;
}

describe('with the (stand-in) embedding model', () => {
  it('serves hybrid search once the model is ready and fills in vectors in the background', async () => {
    const server = await startServer({
      args: ['--model-dir', modelDir, '--embedding-threads', '1'],
    });
    const api = `${server.url}/api/v1`;
    // The server listens before the model is loaded; /ready reports the model's progress.
    const ready = await waitFor(
      async () => {
        const body = (await fetchJson(`${server.url}/ready`)).body as {
          model: { state: string; modelId: string; dimensions?: number };
        };
        return body.model.state === 'ready' || body.model.state === 'failed' ? body : undefined;
      },
      { what: 'the model to load', timeoutMs: 60_000 },
    );
    expect(ready.model).toMatchObject({
      state: 'ready',
      modelId: 'Xenova/all-MiniLM-L6-v2@q8+split-identifiers',
      dimensions: 384,
    });
    expect(server.logs().some((line) => line.msg === 'Semantic search is on')).toBe(true);

    const repo = createSampleRepo();
    const job = (await fetchJson(`${api}/index/jobs`, jsonRequest('POST', { path: repo })))
      .body as {
      id: string;
    };
    const status = await waitFor(
      async () => {
        const body = (await fetchJson(`${api}/status`)).body as {
          store: { chunks: number; chunksWithVectors: number; chunksPendingEmbedding: number };
        };
        const jobState = (
          (await fetchJson(`${api}/index/jobs/${job.id}`)).body as { state: string }
        ).state;
        return jobState === 'succeeded' &&
          body.store.chunks > 0 &&
          body.store.chunksPendingEmbedding === 0
          ? body
          : undefined;
      },
      { what: 'every chunk to get a vector', timeoutMs: 60_000, intervalMs: 250 },
    );
    expect(status.store.chunksWithVectors).toBe(status.store.chunks);

    const search = (
      await fetchJson(
        `${api}/search/code`,
        jsonRequest('POST', { query: 'compute the factorial of a number' }),
      )
    ).body as { mode: string; hits: { scores: { vector?: unknown } }[] };
    expect(search.mode).toBe('hybrid');
    expect(search.hits.some((hit) => hit.scores.vector !== undefined)).toBe(true);

    const client = new Client({ name: 'nellie-e2e', version: '1.0.0' });
    await client.connect(new StreamableHTTPClientTransport(new URL(`${server.url}/mcp`)));
    const mcpStatus = (await client.callTool({ name: 'get_status', arguments: {} })) as unknown as {
      structuredContent: { semanticSearch: { enabled: boolean }; model: { state: string } };
    };
    expect(mcpStatus.structuredContent.semanticSearch.enabled).toBe(true);
    expect(mcpStatus.structuredContent.model.state).toBe('ready');
    const mcpSearch = (await client.callTool({
      name: 'search_code',
      arguments: { query: 'register a user' },
    })) as unknown as { structuredContent: { mode: string } };
    expect(mcpSearch.structuredContent.mode).toBe('hybrid');
    await client.close();
    expect(await server.stop()).toBe(0);
  });

  it('nellie index waits for vectors; a keyword-only index gets its vectors once a model is available', async () => {
    const dataDir = makeTempDir();
    const repo = createSampleRepo();
    const env = cleanEnv();

    // First without a model: keyword-only.
    const keywordOnly = await runCli(['index', repo, '--data-dir', dataDir, '--json'], { env });
    expect(keywordOnly.code).toBe(0);
    const before = JSON.parse(
      (await runCli(['status', '--data-dir', dataDir, '--json'], { env })).stdout,
    ) as Status;
    expect(before.chunksWithVectors).toBe(0);
    expect(before.model.available).toBe(false);

    // Then with the model: nothing changed on disk, but every chunk gets its vector.
    const withModel = await runCli(
      ['index', repo, '--data-dir', dataDir, '--model-dir', modelDir, '--json'],
      {
        env,
      },
    );
    expect(withModel.stderr).toBe('');
    expect(withModel.code).toBe(0);
    const result = JSON.parse(withModel.stdout) as {
      job: { progress: { filesIndexed: number } };
      embeddings: { semanticSearch: string; waited: boolean; chunksPendingEmbedding: number };
    };
    expect(result.job.progress.filesIndexed).toBe(0);
    expect(result.embeddings).toMatchObject({
      semanticSearch: 'on',
      waited: true,
      chunksPendingEmbedding: 0,
    });

    const after = JSON.parse(
      (await runCli(['status', '--data-dir', dataDir, '--model-dir', modelDir, '--json'], { env }))
        .stdout,
    ) as Status;
    expect(after.chunksWithVectors).toBe(after.chunks);
    expect(after.chunksPendingEmbedding).toBe(0);
    expect(after.embeddingModel).toEqual({
      modelId: 'Xenova/all-MiniLM-L6-v2@q8+split-identifiers',
      dimensions: 384,
    });
    expect(after.model).toMatchObject({ available: true, dimensions: 384 });

    const search = await runCli(
      ['search', 'add two numbers', '--data-dir', dataDir, '--model-dir', modelDir, '--json'],
      { env },
    );
    expect(search.code).toBe(0);
    expect((JSON.parse(search.stdout) as { mode: string }).mode).toBe('hybrid');

    // Another model cannot silently mix its vectors in; the message says how to switch.
    const otherModel = await runCli(
      [
        'search',
        'numbers',
        '--data-dir',
        dataDir,
        '--model',
        'example/other-model',
        '--model-dir',
        modelDir,
      ],
      { env },
    );
    expect(otherModel.code).toBe(1);
    expect(otherModel.stderr).toContain('Xenova/all-MiniLM-L6-v2@q8+split-identifiers');
    expect(otherModel.stderr).toContain('nellie model reset-vectors');
    const reset = await runCli(['model', 'reset-vectors', '--yes', '--data-dir', dataDir], { env });
    expect(reset.code).toBe(0);
    expect(reset.stdout).toContain(`Removed ${after.chunksWithVectors}`);
    const switched = await runCli(
      [
        'search',
        'numbers',
        '--data-dir',
        dataDir,
        '--model',
        'example/other-model',
        '--model-dir',
        modelDir,
        '--json',
      ],
      { env },
    );
    expect(switched.code).toBe(0);
  });

  it('an index embedded before the text preparation became the default is embedded again', async () => {
    const dataDir = makeTempDir();
    const repo = createSampleRepo();
    const env = cleanEnv();
    expect((await runCli(['index', repo, '--data-dir', dataDir], { env })).code).toBe(0);
    // Vectors as an earlier Nellie stored them: the same model, identifiers as written.
    const earlier = { modelId: 'Xenova/all-MiniLM-L6-v2@q8', dimensions: 384 };
    const old = await createSqliteStore({
      path: path.join(dataDir, 'nellie.db'),
      embedding: earlier,
    });
    const embedder = createFakeEmbedder({ dimensions: 384 });
    const pending = await old.pendingEmbeddings(1000);
    expect(pending.length).toBeGreaterThan(0);
    const vectors = await embedder.embed(pending.map((item) => item.text));
    await old.putEmbeddings(
      pending.map((item, index) => ({ contentHash: item.contentHash, vector: vectors[index]! })),
    );
    await old.close();

    const status = await runCli(['status', '--data-dir', dataDir, '--model-dir', modelDir], {
      env,
    });
    expect(status.code).toBe(0);
    expect(status.stdout).toContain('text preparation: split-identifiers');
    expect(status.stdout).toContain('earlier preparation of this model');
    expect(status.stdout).toContain(`vectors stored for: ${earlier.modelId} (384 dimensions)`);

    const reindexed = await runCli(
      ['index', repo, '--data-dir', dataDir, '--model-dir', modelDir, '--json'],
      { env },
    );
    expect(reindexed.stderr).toBe('');
    expect(reindexed.code).toBe(0);
    const after = JSON.parse(
      (await runCli(['status', '--data-dir', dataDir, '--model-dir', modelDir, '--json'], { env }))
        .stdout,
    ) as Status & { model: { textPreparation: string | null } };
    expect(after.embeddingModel).toEqual({
      modelId: 'Xenova/all-MiniLM-L6-v2@q8+split-identifiers',
      dimensions: 384,
    });
    expect(after.chunksWithVectors).toBe(after.chunks);
    expect(after.model.textPreparation).toBe('split-identifiers');
  });

  it('nellie mcp (stdio) loads the model and keeps stdout to the protocol', async () => {
    const dataDir = makeTempDir();
    const transport = new StdioClientTransport({
      command: process.execPath,
      args: [cliPath, 'mcp', '--data-dir', dataDir, '--model-dir', modelDir],
      env: cleanEnv(),
      stderr: 'pipe',
    });
    const client = new Client({ name: 'nellie-e2e', version: '1.0.0' });
    const transportErrors: Error[] = [];
    client.onerror = (error) => transportErrors.push(error);
    await client.connect(transport);
    try {
      const added = (await client.callTool({
        name: 'add_lesson',
        arguments: { title: 'Pin the ONNX runtime', content: 'Upgrades changed the output.' },
      })) as { isError?: boolean };
      expect(added.isError).toBeFalsy();
      // Without a server beside it, this process embeds the lesson itself.
      const status = await waitFor(
        async () => {
          const result = (await client.callTool({
            name: 'get_status',
            arguments: {},
          })) as unknown as {
            structuredContent: { model: { state: string }; indexer: { embeddingBacklog: number } };
          };
          const content = result.structuredContent;
          return content.model.state === 'ready' && content.indexer.embeddingBacklog === 0
            ? content
            : undefined;
        },
        { what: 'the model and the lesson vector', timeoutMs: 60_000, intervalMs: 250 },
      );
      expect(status.model.state).toBe('ready');
      const found = (await client.callTool({
        name: 'search_lessons',
        arguments: { query: 'onnx runtime upgrade' },
      })) as unknown as { structuredContent: { mode: string; hits: unknown[] } };
      expect(found.structuredContent.mode).toBe('hybrid');
      expect(found.structuredContent.hits).toHaveLength(1);
    } finally {
      await client.close();
    }
    expect(transportErrors).toEqual([]);
  });

  it('model verify checks the files and loads the model', async () => {
    const dataDir = makeTempDir();
    const verify = await runCli([
      'model',
      'verify',
      '--data-dir',
      dataDir,
      '--model-dir',
      modelDir,
      '--json',
    ]);
    const report = JSON.parse(verify.stdout) as {
      ok: boolean;
      trusted: boolean;
      verification: { state: string; files: { path: string; status: string }[] };
      load: { ok: boolean; dimensions: number };
    };
    // A directory the user names is trusted: the weights that differ from the published ones are
    // reported, the rest is checked, and it loads and embeds.
    expect(report).toMatchObject({ ok: true, trusted: true });
    expect(report.verification.state).toBe('trusted');
    expect(
      report.verification.files.find((file) => file.path === 'onnx/model_quantized.onnx')?.status,
    ).toBe('differs');
    expect(report.load).toMatchObject({ ok: true, dimensions: 384 });
    expect(verify.code).toBe(0);

    const human = await runCli(['model', 'verify', '--data-dir', dataDir, '--model-dir', modelDir]);
    expect(human.code).toBe(0);
    expect(human.stdout).toContain('the directory you named, trusted');
    expect(human.stdout).toContain('Loads and embeds a probe text: 384-dimensional vectors');

    // An incomplete copy fails, naming what is missing.
    const broken = makeTempDir();
    cpSync(modelDir, broken, { recursive: true });
    rmSync(path.join(broken, 'tokenizer.json'));
    const incomplete = await runCli([
      'model',
      'verify',
      '--data-dir',
      dataDir,
      '--model-dir',
      broken,
    ]);
    expect(incomplete.code).toBe(1);
    expect(incomplete.stderr).toContain('is incomplete: missing tokenizer.json');

    const imported = await runCli([
      'model',
      'import',
      modelDir,
      '--no-verify',
      '--data-dir',
      dataDir,
      '--json',
    ]);
    expect(imported.code).toBe(0);
    const status = JSON.parse(
      (await runCli(['status', '--data-dir', dataDir, '--json'])).stdout,
    ) as Status & { model: { source: string } };
    expect(status.model.available).toBe(true);
    expect(status.model.source).toContain(dataDir);
  });
});
