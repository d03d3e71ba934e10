import { defineProject } from 'vitest/config';

export default defineProject({
  test: { name: 'schemas' },
  ssr: { resolve: { conditions: ['@nellie/source'] } },
});
