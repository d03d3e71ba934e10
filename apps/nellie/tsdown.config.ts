import { chmod } from 'node:fs/promises';
import { defineConfig } from 'tsdown';

export default defineConfig([
  {
    entry: { cli: 'src/cli.ts' },
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
      },
    },
  },
  {
    // The client runs the hook on every prompt: one self-contained file, sharing no chunk with
    // the CLI, that loads nothing but Node's own modules.
    entry: { hook: 'src/hook.ts' },
    format: 'esm',
    platform: 'node',
    target: 'node20',
    dts: false,
    sourcemap: false,
    clean: false,
    // Nothing it imports runs code at import time (as every Nellie module): without this the
    // bundle would keep `import '@nellie/core'` for the exit codes module's unused import.
    treeshake: { moduleSideEffects: false },
    hooks: {
      'build:done': async () => {
        await chmod('dist/hook.js', 0o755);
      },
    },
  },
]);
