import { defineProject } from 'vitest/config';

export default defineProject({
  test: { name: 'mcp-tools' },
  ssr: { resolve: { conditions: ['@nellie/source'] } },
});
