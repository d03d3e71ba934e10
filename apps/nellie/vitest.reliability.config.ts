import { defineProject } from 'vitest/config';

/**
 * The reliability suite: crashes (`kill -9`) during indexing, embedding and backup, a full disk,
 * a soak with several clients and MCP session storms, all against the built CLI. Run with
 * `pnpm test:reliability`; CI runs the bounded default, `NELLIE_RELIABILITY=full` runs longer.
 */
export default defineProject({
  root: import.meta.dirname,
  test: {
    name: 'reliability',
    include: ['reliability/**/*.test.ts'],
    testTimeout: 600_000,
    hookTimeout: 120_000,
    globalSetup: ['test/global-setup.ts'],
    fileParallelism: false,
  },
  ssr: { resolve: { conditions: ['@nellie/source'] } },
});
