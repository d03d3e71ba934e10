import { execFileSync } from 'node:child_process';
import { readdirSync, statSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const packageDir = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');

function newestSource(dir: string): number {
  let newest = 0;
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const full = path.join(dir, entry.name);
    if (entry.isDirectory()) newest = Math.max(newest, newestSource(full));
    else if (!entry.name.endsWith('.test.ts')) newest = Math.max(newest, statSync(full).mtimeMs);
  }
  return newest;
}

function builtAt(file: string): number {
  try {
    return statSync(path.join(packageDir, 'dist', file)).mtimeMs;
  } catch {
    return 0;
  }
}

/**
 * The worker runs from `dist/worker.js` (it is a separate build entry), so the package is built
 * before the tests when the build is missing or older than the sources.
 */
export default function setup(): void {
  const sources = Math.max(
    newestSource(path.join(packageDir, 'src')),
    statSync(path.join(packageDir, 'tsdown.config.ts')).mtimeMs,
  );
  if (Math.min(builtAt('worker.js'), builtAt('index.js')) >= sources) return;
  execFileSync('pnpm', ['--filter', '@nellie/embeddings', 'build'], {
    cwd: packageDir,
    stdio: ['ignore', 'ignore', 'inherit'],
    timeout: 300_000,
  });
}
