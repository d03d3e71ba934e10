import {
  embedderContract,
  startOpenAiEmbeddingsServer,
  type OpenAiEmbeddingsServer,
} from '@nellie/test-utils';
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

const width = 8;
let endpoint: OpenAiEmbeddingsServer;
beforeAll(async () => {
  endpoint = await startOpenAiEmbeddingsServer({ dimensions: width });
});
afterAll(() => endpoint.close());

embedderContract('OpenAI-compatible embedder (loopback server)', {
  create: () =>
    Promise.resolve(
      createOpenAiEmbedder({
        baseUrl: endpoint.baseUrl,
        model: 'hash-embed',
        dimensions: width,
      }),
    ),
});
