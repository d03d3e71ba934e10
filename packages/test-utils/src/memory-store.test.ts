import { createMemoryStore } from './memory-store.ts';
import { nellieStoreContract } from './nellie-store-contract.ts';

// The fake every unit test uses must behave like the SQLite store.
nellieStoreContract('in-memory fake', {
  create: (embedding) => Promise.resolve(createMemoryStore({ embedding })),
  checkpointCode: false,
});
