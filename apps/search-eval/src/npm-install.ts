import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

/**
 * Installs `name@version` specs with npm into `prefix` once (install scripts never run); later
 * calls find the `.complete` marker and return at once. Returns the `node_modules` directory.
 */
export function npmInstallOnce(
  prefix: string,
  specs: readonly string[],
  extraArgs: readonly string[] = [],
): string {
  const marker = join(prefix, '.complete');
  if (!existsSync(marker)) {
    rmSync(prefix, { recursive: true, force: true });
    mkdirSync(prefix, { recursive: true });
    writeFileSync(
      join(prefix, 'package.json'),
      '{ "name": "nellie-eval-corpus", "private": true }\n',
    );
    execFileSync(
      'npm',
      [
        'install',
        '--prefix',
        prefix,
        '--no-audit',
        '--no-fund',
        '--ignore-scripts',
        ...extraArgs,
        ...specs,
      ],
      { stdio: ['ignore', 'ignore', 'inherit'] },
    );
    writeFileSync(marker, new Date().toISOString());
  }
  return join(prefix, 'node_modules');
}
