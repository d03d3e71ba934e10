import { createHash } from 'node:crypto';
import { once } from 'node:events';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { embedderContract } from '@nellie/test-utils';
import { afterAll, beforeAll } from 'vitest';
import { createLocalEmbedder, createOpenAiEmbedder, openEmbeddingModel } from '../src/index.ts';
import { standInModelDir } from './helpers.ts';

// The static model runs the contract in static-model.test.ts, beside the model it distils.

const modelDir = standInModelDir();

embedderContract('local ONNX embedder (stand-in model)', {
  create: () => createLocalEmbedder({ modelDir, threads: 1, queryWorker: false }),
});

embedderContract('openEmbeddingModel() embedder once ready (stand-in model)', {
  create: async () => {
    const model = await openEmbeddingModel({ modelDir, threads: 1, queryWorker: false });
    await model.ready;
    return { ...model.embedder!, close: () => model.close() };
  },
});

/** A loopback server speaking the OpenAI embeddings API: a vector derived from each text's hash. */
const width = 8;
const server = createServer((request, response) => {
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
});

embedderContract('OpenAI-compatible embedder (loopback server)', {
  create: () =>
    Promise.resolve(createOpenAiEmbedder({ baseUrl, model: 'hash-embed', dimensions: width })),
});
