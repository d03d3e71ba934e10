import { defineProject } from 'vitest/config';

export default defineProject({
  test: { name: 'search-eval' },
  ssr: { resolve: { conditions: ['@nellie/source'] } },
});
