import { defineProject } from 'vitest/config';

export default defineProject({
  test: { name: 'indexer' },
  ssr: { resolve: { conditions: ['@nellie/source'] } },
});
