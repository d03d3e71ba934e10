import { defineProject } from 'vitest/config';

export default defineProject({
  test: { name: 'test-utils' },
  ssr: { resolve: { conditions: ['@nellie/source'] } },
});
