import type Database from 'better-sqlite3';
import { compileGlob, type CompiledGlob } from './glob-matcher.ts';

const cacheSize = 64;

/**
 * Compiled path globs, kept for reuse: `**` crosses directories, dotfiles match, and a pattern
 * without `/` matches the base name (`*.ts` finds `src/a.ts`). Matching is linear in the path
 * length (see `glob-matcher.ts`), because it runs inside a synchronous SQLite function where a
 * slow match would stall the whole process.
 */
export class GlobMatchers {
  readonly #cache = new Map<string, CompiledGlob>();

  /** Compiles `pattern`, or throws INVALID_INPUT naming what is allowed. */
  get(pattern: string): CompiledGlob {
    let matcher = this.#cache.get(pattern);
    if (matcher) return matcher;
    matcher = compileGlob(pattern);
    if (this.#cache.size >= cacheSize) {
      const oldest = this.#cache.keys().next().value;
      if (oldest !== undefined) this.#cache.delete(oldest);
    }
    this.#cache.set(pattern, matcher);
    return matcher;
  }

  /** Registers `nellie_glob(pattern, path)` so SQL can filter by a bound glob. */
  register(db: Database.Database): void {
    // Chunks of one file arrive together, so the last answer is often the next one.
    let last = { pattern: '', path: '', result: 0 };
    db.function('nellie_glob', { deterministic: true }, (pattern: unknown, path: unknown) => {
      if (typeof pattern !== 'string' || typeof path !== 'string') return 0;
      if (pattern === last.pattern && path === last.path) return last.result;
      last = { pattern, path, result: this.get(pattern).matches(path) ? 1 : 0 };
      return last.result;
    });
  }
}
