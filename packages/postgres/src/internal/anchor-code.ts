import type { AnchorCodeView } from '@nellie/core';
import {
  isFileNamed,
  isSymbolCandidate,
  symbolKey,
  type AnchorCodeReader,
  type SymbolCandidate,
} from '@nellie/storage/store-kit';
import type { CodeRepositoryStore } from './code-store.ts';
import type { Queryable } from './database.ts';

const separator = '\u0000';

function repositoryKey(repositoryId: number | null, text: string): string {
  return `${repositoryId ?? ''}${separator}${text}`;
}

/** Files and chunks are ordered by path as SQLite orders text: by code point. */
const byPath = 'COLLATE "C"';

/**
 * The indexed code anchors read (see `AnchorCodeReader`), fetched from PostgreSQL first in a few
 * queries (`fetch…`), then answered synchronously by the store kit's engine-independent logic.
 * Asking for something not fetched is a bug in the caller, not an empty answer.
 */
export class FetchedAnchorCode implements AnchorCodeReader {
  readonly #db: Queryable;
  readonly #s: string;
  readonly #code: CodeRepositoryStore;
  readonly #repositories = new Map<string, { id: number; name: string }[]>();
  readonly #chunks = new Map<string, AnchorCodeView[]>();
  readonly #symbols = new Map<string, SymbolCandidate[]>();
  readonly #files = new Map<string, { repositoryId: number; path: string }[]>();

  constructor(db: Queryable, s: string, code: CodeRepositoryStore) {
    this.#db = db;
    this.#s = s;
    this.#code = code;
  }

  #fetched<T>(map: ReadonlyMap<string, T>, key: string, what: string): T {
    const value = map.get(key);
    if (value === undefined) throw new Error(`Anchor code read before it was fetched: ${what}.`);
    return value;
  }

  repositories(nameOrPath: string): readonly { id: number; name: string }[] {
    return this.#fetched(this.#repositories, nameOrPath, `repository ${nameOrPath}`);
  }

  chunksAt(repositoryId: number, path: string): AnchorCodeView[] {
    return this.#fetched(this.#chunks, repositoryKey(repositoryId, path), `chunks of ${path}`);
  }

  symbolCandidates(repositoryId: number | null, symbol: string): SymbolCandidate[] {
    return this.#fetched(this.#symbols, repositoryKey(repositoryId, symbol), `symbol ${symbol}`);
  }

  filesNamed(repositoryId: number | null, path: string): { repositoryId: number; path: string }[] {
    return this.#fetched(this.#files, repositoryKey(repositoryId, path), `files named ${path}`);
  }

  async fetchRepositories(names: readonly string[]): Promise<void> {
    for (const name of new Set(names)) {
      if (this.#repositories.has(name)) continue;
      const rows = await this.#code.findRepositories(this.#db, name);
      this.#repositories.set(
        name,
        rows.map((row) => ({ id: row.id, name: row.name })),
      );
    }
  }

  /** The chunks of these files, each a repository id and a path. */
  async fetchChunks(files: readonly { repositoryId: number; path: string }[]): Promise<void> {
    const wanted = files.filter(
      (file) => !this.#chunks.has(repositoryKey(file.repositoryId, file.path)),
    );
    if (wanted.length === 0) return;
    for (const file of wanted) this.#chunks.set(repositoryKey(file.repositoryId, file.path), []);
    const { rows } = await this.#db.query<AnchorCodeView & { repositoryId: number }>(
      `SELECT f.repository_id AS "repositoryId", f.path, c.start_line AS "startLine",
         c.end_line AS "endLine", c.symbol_name AS "symbolName", c.content
       FROM ${this.#s}.files f JOIN ${this.#s}.chunks c ON c.file_id = f.id
       WHERE (f.repository_id, f.path) IN (SELECT * FROM unnest($1::int[], $2::text[]))
       ORDER BY c.start_line`,
      [wanted.map((file) => file.repositoryId), wanted.map((file) => file.path)],
    );
    for (const { repositoryId, ...chunk } of rows) {
      this.#chunks.get(repositoryKey(repositoryId, chunk.path))!.push(chunk);
    }
  }

  /** The chunks that may define these symbols, in one repository or in all (null). */
  async fetchSymbols(repositoryId: number | null, symbols: readonly string[]): Promise<void> {
    const wanted = [...new Set(symbols)].filter(
      (symbol) => !this.#symbols.has(repositoryKey(repositoryId, symbol)),
    );
    if (wanted.length === 0) return;
    for (const symbol of wanted) this.#symbols.set(repositoryKey(repositoryId, symbol), []);
    const keyed = wanted.filter((symbol) => symbolKey(symbol) !== null);
    if (keyed.length === 0) return;
    const { rows } = await this.#db.query<SymbolCandidate>(
      `SELECT f.path, c.repository_id AS "repositoryId", c.start_line AS "startLine",
         c.end_line AS "endLine", c.symbol_name AS "symbolName", c.symbol_key AS "symbolKey",
         c.content
       FROM ${this.#s}.chunks c JOIN ${this.#s}.files f ON f.id = c.file_id
       WHERE ($1::int IS NULL OR c.repository_id = $1)
         AND (c.symbol_key = ANY($2::text[]) OR (c.symbol_name IS NULL
           AND EXISTS (SELECT 1 FROM unnest($3::text[]) s(symbol) WHERE strpos(c.content, s.symbol) > 0)))
       ORDER BY c.repository_id, f.path ${byPath}, c.start_line`,
      [repositoryId, keyed.map((symbol) => symbolKey(symbol)), keyed],
    );
    for (const symbol of keyed) {
      this.#symbols.set(
        repositoryKey(repositoryId, symbol),
        rows.filter((row) => isSymbolCandidate(row, symbol)),
      );
    }
  }

  /** Files at these paths or ending with them, in one repository or in all (null). */
  async fetchFiles(repositoryId: number | null, paths: readonly string[]): Promise<void> {
    const wanted = [...new Set(paths)].filter(
      (path) => !this.#files.has(repositoryKey(repositoryId, path)),
    );
    if (wanted.length === 0) return;
    const { rows } = await this.#db.query<{ repositoryId: number; path: string }>(
      `SELECT f.repository_id AS "repositoryId", f.path FROM ${this.#s}.files f
       WHERE ($1::int IS NULL OR f.repository_id = $1)
         AND EXISTS (SELECT 1 FROM unnest($2::text[]) p(path)
           WHERE f.path = p.path OR right(f.path, length(p.path) + 1) = '/' || p.path)
       ORDER BY f.repository_id, f.path ${byPath}`,
      [repositoryId, wanted],
    );
    for (const path of wanted) {
      this.#files.set(
        repositoryKey(repositoryId, path),
        rows.filter((row) => isFileNamed(row.path, path)),
      );
    }
  }
}
