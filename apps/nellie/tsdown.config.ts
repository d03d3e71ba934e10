import { chmod } from 'node:fs/promises';
import { defineConfig } from 'tsdown';

export default defineConfig({
  entry: { cli: 'src/cli.ts', hook: 'src/hook.ts' },
  format: 'esm',
  platform: 'node',
  target: 'node20',
  // The CLI is not a library: no declarations.
  dts: false,
  sourcemap: true,
  // Every @nellie package stays an import of its installed dist (the embeddings package finds
  // its worker file next to its own bundle).
  external: [/^@nellie\//],
  hooks: {
    'build:done': async () => {
      await chmod('dist/cli.js', 0o755);
      await chmod('dist/hook.js', 0o755);
    },
  },
});
