import { NellieError } from '@nellie/core';
import type Database from 'better-sqlite3';
import picomatch from 'picomatch';

type Matcher = (path: string) => boolean;

const cacheSize = 64;

/**
 * Compiles path globs with picomatch: `**` crosses directories, dotfiles match, and a pattern
 * without `/` matches the base name (`*.ts` finds `src/a.ts`).
 */
export class GlobMatchers {
  readonly #cache = new Map<string, Matcher>();

  get(pattern: string): Matcher {
    let matcher = this.#cache.get(pattern);
    if (matcher) return matcher;
    try {
      matcher = picomatch(pattern, { dot: true, basename: !pattern.includes('/') });
    } catch (error) {
      throw new NellieError(
        'INVALID_INPUT',
        `pathGlob ${JSON.stringify(pattern)} is not a valid glob: ${error instanceof Error ? error.message : String(error)}. Use patterns such as "src/**/*.ts".`,
        { cause: error },
      );
    }
    if (this.#cache.size >= cacheSize) {
      const oldest = this.#cache.keys().next().value;
      if (oldest !== undefined) this.#cache.delete(oldest);
    }
    this.#cache.set(pattern, matcher);
    return matcher;
  }

  /** Registers `nellie_glob(pattern, path)` so SQL can filter by a bound glob. */
  register(db: Database.Database): void {
    db.function('nellie_glob', { deterministic: true }, (pattern: unknown, path: unknown) =>
      typeof pattern === 'string' && typeof path === 'string' && this.get(pattern)(path) ? 1 : 0,
    );
  }
}
