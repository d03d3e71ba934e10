import { defineProject } from 'vitest/config';

export default defineProject({
  test: { name: 'indexer', testTimeout: 60_000 },
  ssr: { resolve: { conditions: ['@nellie/source'] } },
});
