import { defineProject } from 'vitest/config';

export default defineProject({
  test: { name: 'nellie', testTimeout: 60_000, hookTimeout: 60_000 },
  ssr: { resolve: { conditions: ['@nellie/source'] } },
});
