import { configDefaults, defineProject } from 'vitest/config';

export default defineProject({
  test: {
    name: 'nellie',
    // The reliability suite has its own command (`pnpm test:reliability`).
    exclude: [...configDefaults.exclude, 'reliability/**'],
    // Whole processes with a model: a loaded CI machine needs the headroom.
    testTimeout: 180_000,
    hookTimeout: 180_000,
    // End-to-end tests run the built CLI; build the workspace once before any test file.
    globalSetup: ['test/global-setup.ts'],
    // Each e2e file starts its own processes; on a small machine, one file at a time is faster.
    fileParallelism: false,
  },
  ssr: { resolve: { conditions: ['@nellie/source'] } },
});
