import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const appDir = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const repoRoot = path.resolve(appDir, '..', '..');

/**
 * The end-to-end tests run the built CLI (`dist/cli.js`) and the built packages it imports, so
 * the workspace is built first. Turbo's cache makes this quick when nothing changed.
 */
export default function setup(): void {
  execFileSync(
    'pnpm',
    ['exec', 'turbo', 'run', 'build', '--filter=nellie...', '--output-logs=errors-only'],
    {
      cwd: repoRoot,
      stdio: ['ignore', 'ignore', 'inherit'],
      timeout: 600_000,
    },
  );
  if (!existsSync(path.join(appDir, 'dist', 'cli.js'))) {
    throw new Error('Building the workspace did not produce apps/nellie/dist/cli.js.');
  }
}
