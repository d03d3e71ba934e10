import { defineProject } from 'vitest/config';

export default defineProject({
  test: {
    name: 'postgres',
    globalSetup: ['test/global-setup.ts'],
    // PGlite compiles its WebAssembly engine on start, which takes a while on a busy machine.
    hookTimeout: 180_000,
  },
  ssr: { resolve: { conditions: ['@nellie/source'] } },
});
