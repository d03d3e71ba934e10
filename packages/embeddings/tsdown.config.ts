import { libraryConfig } from '../../tsdown.base.ts';

// The worker is its own entry so the pool finds it next to itself: dist/worker.js.
export default libraryConfig({ index: 'src/index.ts', worker: 'src/internal/worker.ts' });
