export { createFakeEmbedder } from './fake-embedder.ts';
export type { FakeEmbedderOptions } from './fake-embedder.ts';
export { nellieStoreContract } from './nellie-store-contract.ts';
export type { NellieStoreContractOptions } from './nellie-store-contract.ts';
export { limitCases } from './limit-cases.ts';
export type { LimitCase, LimitedOperation } from './limit-cases.ts';
export { createMemoryStore } from './memory-store.ts';
export type { MemoryStore, MemoryStoreOptions } from './memory-store.ts';
