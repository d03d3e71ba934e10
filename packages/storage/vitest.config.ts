import { defineProject } from 'vitest/config';

export default defineProject({
  test: { name: 'storage' },
  ssr: { resolve: { conditions: ['@nellie/source'] } },
});
