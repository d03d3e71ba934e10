export { createFakeEmbedder } from './fake-embedder.ts';
export type { FakeEmbedderOptions } from './fake-embedder.ts';
export { embedderContract } from './embedder-contract.ts';
export type { EmbedderContractOptions } from './embedder-contract.ts';
export { nellieStoreContract } from './nellie-store-contract.ts';
export type { NellieStoreContractOptions } from './nellie-store-contract.ts';
export { limitCases } from './limit-cases.ts';
export type { LimitCase, LimitedOperation } from './limit-cases.ts';
