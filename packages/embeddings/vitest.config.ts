import { defineProject } from 'vitest/config';

export default defineProject({
  test: {
    name: 'embeddings',
    // Loading the model takes a second or two; more on a busy machine.
    testTimeout: 60_000,
    hookTimeout: 60_000,
    // Integration tests run the built worker (dist/worker.js): build it when missing or stale.
    globalSetup: ['test/global-setup.ts'],
  },
  ssr: { resolve: { conditions: ['@nellie/source'] } },
});
