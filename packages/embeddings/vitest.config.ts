import { defineProject } from 'vitest/config';

export default defineProject({
  test: { name: 'embeddings' },
  ssr: { resolve: { conditions: ['@nellie/source'] } },
});
