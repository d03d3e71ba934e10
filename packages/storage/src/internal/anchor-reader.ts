import type { AnchorCodeView } from '@nellie/core';
import type { AnchorCodeReader, SymbolCandidate } from './anchor-code.ts';
import type { CodeRepositoryStore } from './code-store.ts';
import type { StoreContext } from './context.ts';
import { symbolKey } from './tokens.ts';

/** The indexed code anchors read (see `AnchorCodeReader`), straight from the SQLite tables. */
export class SqliteAnchorCode implements AnchorCodeReader {
  readonly #ctx: StoreContext;
  readonly #code: CodeRepositoryStore;

  constructor(ctx: StoreContext, code: CodeRepositoryStore) {
    this.#ctx = ctx;
    this.#code = code;
  }

  repositories(nameOrPath: string): { id: number; name: string }[] {
    return this.#code.findRepositories(nameOrPath);
  }

  chunksAt(repositoryId: number, path: string): AnchorCodeView[] {
    return this.#ctx
      .statement(
        `SELECT f.path, c.start_line AS startLine, c.end_line AS endLine,
           c.symbol_name AS symbolName, c.content
         FROM files f JOIN chunks c ON c.file_id = f.id
         WHERE f.repository_id = ? AND f.path = ? ORDER BY c.start_line`,
      )
      .all(repositoryId, path) as AnchorCodeView[];
  }

  symbolCandidates(repositoryId: number | null, symbol: string): SymbolCandidate[] {
    const key = symbolKey(symbol);
    if (key === null) return [];
    return this.#ctx
      .statement(
        `SELECT f.path, c.repository_id AS repositoryId, c.start_line AS startLine,
           c.end_line AS endLine, c.symbol_name AS symbolName, c.symbol_key AS symbolKey, c.content
         FROM chunks c JOIN files f ON f.id = c.file_id
         WHERE ($repository IS NULL OR c.repository_id = $repository)
           AND (c.symbol_key = $key OR (c.symbol_name IS NULL AND instr(c.content, $symbol) > 0))
         ORDER BY c.repository_id, f.path, c.start_line`,
      )
      .all({ key, symbol, repository: repositoryId }) as SymbolCandidate[];
  }

  filesNamed(repositoryId: number | null, path: string): { repositoryId: number; path: string }[] {
    return this.#ctx
      .statement(
        `SELECT repository_id AS repositoryId, path FROM files
         WHERE ($repository IS NULL OR repository_id = $repository)
           AND (path = $path OR substr(path, -length($suffix)) = $suffix)`,
      )
      .all({ repository: repositoryId, path, suffix: `/${path}` }) as {
      repositoryId: number;
      path: string;
    }[];
  }
}
