import { defineProject } from 'vitest/config';

export default defineProject({
  test: { name: 'core' },
  ssr: { resolve: { conditions: ['@nellie/source'] } },
});
