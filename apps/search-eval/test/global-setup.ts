import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..', '..');

/**
 * The hybrid test embeds with the local embedder, whose worker runs from
 * `packages/embeddings/dist/worker.js`, so that package is built first (turbo's cache makes this
 * quick when nothing changed).
 */
export default function setup(): void {
  execFileSync(
    'pnpm',
    [
      'exec',
      'turbo',
      'run',
      'build',
      '--filter=@nellie/embeddings...',
      '--output-logs=errors-only',
    ],
    { cwd: repoRoot, stdio: ['ignore', 'ignore', 'inherit'], timeout: 600_000 },
  );
  if (!existsSync(path.join(repoRoot, 'packages', 'embeddings', 'dist', 'worker.js'))) {
    throw new Error('Building @nellie/embeddings did not produce dist/worker.js.');
  }
}
