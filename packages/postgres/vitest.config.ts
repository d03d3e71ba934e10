import { defineProject } from 'vitest/config';

export default defineProject({
  test: { name: 'postgres' },
  ssr: { resolve: { conditions: ['@nellie/source'] } },
});
