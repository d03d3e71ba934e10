import { defineConfig } from 'tsdown';

export default defineConfig({
  // The worker is its own entry so the pool finds it next to itself: dist/worker.js.
  entry: { index: 'src/index.ts', worker: 'src/internal/worker.ts' },
  format: 'esm',
  platform: 'node',
  target: 'node20',
  dts: true,
  sourcemap: true,
  publint: true,
});
