export { createFakeEmbedder } from './fake-embedder.ts';
export type { FakeEmbedderOptions } from './fake-embedder.ts';
