import { existsSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

/** The monorepo's root directory. */
export const workspaceRoot = fileURLToPath(new URL('../../../', import.meta.url));

/** `../shared` beside the clone, where CI and developers keep benchmark data and models. */
export const sharedDir = join(workspaceRoot, '..', 'shared');

export const defaultSembleDataDir = join(sharedDir, 'benchmarks', 'semble');

/** Exported repositories, installed packages and stripped copies live here between runs. */
export function defaultCacheDir(env: NodeJS.ProcessEnv = process.env): string {
  const base =
    env.XDG_CACHE_HOME && env.XDG_CACHE_HOME !== ''
      ? env.XDG_CACHE_HOME
      : join(homedir(), '.cache');
  return join(base, 'nellie-eval');
}

/**
 * Git mirrors of the benchmark repositories: `NELLIE_EVAL_MIRRORS`, else `/work/.mirror` when it
 * exists (the build machines' layout), else `<cache>/mirrors`.
 */
export function defaultMirrorsDir(env: NodeJS.ProcessEnv = process.env): string {
  if (env.NELLIE_EVAL_MIRRORS && env.NELLIE_EVAL_MIRRORS !== '') return env.NELLIE_EVAL_MIRRORS;
  if (existsSync('/work/.mirror')) return '/work/.mirror';
  return join(defaultCacheDir(env), 'mirrors');
}
