import { defineProject } from 'vitest/config';

export default defineProject({
  test: {
    name: 'postgres',
    globalSetup: ['test/global-setup.ts'],
    // PGlite runs PostgreSQL as WebAssembly: starting it, and each contract case's dozens of
    // queries, take a while on a busy machine.
    hookTimeout: 180_000,
    testTimeout: 60_000,
  },
  ssr: { resolve: { conditions: ['@nellie/source'] } },
});
