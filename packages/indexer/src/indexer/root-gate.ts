import { realpathSync } from 'node:fs';
import { homedir } from 'node:os';
import { resolve } from 'node:path';
import type { NellieError } from '@nellie/core';
import type { IndexerStore } from '../indexer-options.ts';
import { RootPolicy } from '../internal/root-policy.ts';
import { resolveRoot } from '../scan.ts';

export interface RootGateOptions {
  allowedRoots: readonly string[] | undefined;
  protectedPaths: readonly string[];
  homeDirectories: readonly string[] | undefined;
  hint: string;
  store: Pick<IndexerStore, 'getRepository'>;
}

/**
 * The one gate of every path a caller asks to index, watch or compare. The path is checked as
 * given before the file system is touched (so a refused path's existence is not revealed),
 * then again once symbolic links are resolved, so `..` and links cannot leave an allowed root.
 * Repositories the store already knows may always be re-indexed.
 */
export class RootGate {
  private readonly policy: RootPolicy;
  private readonly store: Pick<IndexerStore, 'getRepository'>;

  constructor(options: RootGateOptions) {
    this.policy = new RootPolicy({
      allowedRoots: options.allowedRoots && withCanonical(options.allowedRoots),
      protectedPaths: withCanonical(options.protectedPaths),
      homeDirectories: withCanonical(options.homeDirectories ?? [homedir()]),
      hint: options.hint,
    });
    this.store = options.store;
  }

  /** The canonical root for `input`, or `INVALID_INPUT` / `PATH_NOT_ALLOWED`. */
  async authorize(input: string): Promise<string> {
    const given = typeof input === 'string' && input.trim() !== '' ? resolve(input) : null;
    const early = given === null ? null : await this.refusal(given);
    // System directories and the data directory are refused as named, wherever links lead.
    if (early !== null && this.policy.fixedRefusal(given!) !== null) throw early;
    let root: string;
    try {
      root = await resolveRoot(input);
    } catch (error) {
      throw early ?? error;
    }
    const refusal = await this.refusal(root);
    if (refusal !== null) throw refusal;
    return root;
  }

  /** True for a path inside a protected path (never entered or read). */
  isProtected(absolutePath: string): boolean {
    return this.policy.isProtected(absolutePath);
  }

  private async refusal(root: string): Promise<NellieError | null> {
    const quick = this.policy.refusal(root, { registered: true });
    if (quick !== null) return quick;
    const registered = (await this.store.getRepository(root))?.rootPath === root;
    return registered ? null : this.policy.refusal(root, { registered: false });
  }
}

/** The canonical form of a configured root path (symlinks resolved when it exists). */
export function canonical(path: string): string {
  const absolute = resolve(path);
  try {
    return realpathSync(absolute);
  } catch {
    return absolute;
  }
}

/** Configured paths as given and as resolved, so both spellings match. */
function withCanonical(paths: readonly string[]): string[] {
  return [...new Set(paths.flatMap((path) => [resolve(path), canonical(path)]))];
}
