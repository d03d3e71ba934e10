import { configDefaults, defineProject } from 'vitest/config';

export default defineProject({
  test: {
    name: 'search-eval',
    // Fixture packages are benchmark input (one holds a test file on purpose), not tests.
    exclude: [...configDefaults.exclude, 'test/fixtures/**'],
    globalSetup: ['test/global-setup.ts'],
  },
  ssr: { resolve: { conditions: ['@nellie/source'] } },
});
