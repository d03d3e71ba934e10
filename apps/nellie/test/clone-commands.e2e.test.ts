import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { cleanEnv, createSampleRepo, makeTempDir, removeTempDirs, repoRoot } from './helpers.ts';

afterAll(() => {
  removeTempDirs();
});

/** Runs pnpm in the clone, the way the README tells a user to. */
function pnpm(
  args: readonly string[],
): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn('pnpm', args, {
      cwd: repoRoot,
      env: cleanEnv(),
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => (stdout += chunk));
    child.stderr.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stdout, stderr }));
  });
}

describe('the commands the README gives for a clone', () => {
  it('pass flags without `--`, and `pnpm -s nellie … --json` prints JSON alone', async () => {
    const readme = readFileSync(path.join(repoRoot, 'README.md'), 'utf8');
    // pnpm 10 hands a `--` on to the script, where the CLI refuses it as an extra argument.
    expect(readme).not.toMatch(/pnpm (start|nellie) -- /);
    expect(readme).toContain('pnpm start --watch');
    expect(readme).toContain('pnpm -s nellie');

    const dataDir = makeTempDir();
    const indexed = await pnpm([
      '-s',
      'nellie',
      'index',
      createSampleRepo(),
      '--data-dir',
      dataDir,
      '--json',
    ]);
    expect(indexed.code, indexed.stderr).toBe(0);
    const summary = JSON.parse(indexed.stdout) as { store: { files: number } };
    expect(summary.store.files).toBeGreaterThan(0);

    const searched = await pnpm([
      '-s',
      'nellie',
      'search',
      'factorial',
      '--data-dir',
      dataDir,
      '--json',
    ]);
    expect(searched.code, searched.stderr).toBe(0);
    const answer = JSON.parse(searched.stdout) as { hits: { path: string }[] };
    expect(answer.hits[0]?.path).toBe('src/math.ts');
  });
});
