import { codeIndexerContract, createMemoryStore } from '@nellie/test-utils';
import { createIndexer } from '../src/index.ts';

codeIndexerContract('indexer over the in-memory store', {
  create: () => createIndexer({ store: createMemoryStore() }),
});
