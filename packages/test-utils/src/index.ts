export { createFakeEmbedder } from './fake-embedder.ts';
export type { FakeEmbedderOptions } from './fake-embedder.ts';
export { embedderContract } from './embedder-contract.ts';
export type { EmbedderContractOptions } from './embedder-contract.ts';
export { nellieStoreContract } from './nellie-store-contract.ts';
export type { NellieStoreContractOptions } from './nellie-store-contract.ts';
export { principalStoreContract } from './principal-store-contract.ts';
export type { PrincipalStoreContractOptions } from './principal-store-contract.ts';
export { limitCases } from './limit-cases.ts';
export type { LimitCase, LimitedOperation } from './limit-cases.ts';
export { createFakeIndexer } from './fake-indexer.ts';
export type { FakeIndexer, FakeIndexerOptions } from './fake-indexer.ts';
export { codeIndexerContract } from './code-indexer-contract.ts';
export type { CodeIndexerContractOptions } from './code-indexer-contract.ts';
export { createMemoryStore } from './memory-store.ts';
export type { MemoryStore, MemoryStoreOptions } from './memory-store.ts';
export { exportSurface } from './export-surface.ts';
export type { ExportSurface } from './export-surface.ts';
export { seedRepository } from './seed-repository.ts';
export type { SeedFile } from './seed-repository.ts';
export { startOpenAiEmbeddingsServer } from './openai-embeddings-server.ts';
export type { OpenAiEmbeddingsServer } from './openai-embeddings-server.ts';
export {
  repositoryOperationsContract,
  writeIndexedFile,
} from './repository-operations-contract.ts';
export type {
  InterfaceOutcome,
  RepositoryOperations,
  RepositoryOperationsContractOptions,
} from './repository-operations-contract.ts';
export { startPostgresServer } from './postgres-server.ts';
export type { PostgresServer } from './postgres-server.ts';
export { commitFile, git } from './git-repository.ts';
