import {
  NellieError,
  codeInRange,
  mentionedCode,
  withDefinitions,
  type Anchor,
  type AnchorCodeView,
  type AnchorInput,
} from '@nellie/core';
import { anchorInputsSchema, parseInput } from '@nellie/schemas';
import type { CodeRepositoryStore } from './code-store.ts';
import type { StoreContext } from './context.ts';
import { symbolKey } from './tokens.ts';

/** Automatic anchors kept per memory, so a long text naming many things stays cheap. */
const maxAutomaticAnchors = 10;

/** An anchor resolved against the index, ready to store. */
export interface ResolvedAnchor {
  repositoryId: number;
  path: string;
  symbol: string | null;
  startLine: number;
  endLine: number;
  content: string;
  origin: Anchor['origin'];
}

/**
 * Reads anchored code from the index: the chunks (and definitions inside them) of a file or
 * defining a symbol, and anchors resolved from a caller's inputs or found in a memory's text.
 */
export class AnchorResolver {
  readonly #ctx: StoreContext;
  readonly #code: CodeRepositoryStore;

  constructor(ctx: StoreContext, code: CodeRepositoryStore) {
    this.#ctx = ctx;
    this.#code = code;
  }

  /** A file's chunks, with the small definitions inside unnamed chunks. */
  chunksAt(repositoryId: number, path: string): AnchorCodeView[] {
    return withDefinitions(this.#rawChunksAt(repositoryId, path));
  }

  #rawChunksAt(repositoryId: number, path: string): AnchorCodeView[] {
    return this.#ctx
      .statement(
        `SELECT f.path, c.start_line AS startLine, c.end_line AS endLine,
           c.symbol_name AS symbolName, c.content
         FROM files f JOIN chunks c ON c.file_id = f.id
         WHERE f.repository_id = ? AND f.path = ? ORDER BY c.start_line`,
      )
      .all(repositoryId, path) as AnchorCodeView[];
  }

  symbolChunks(
    repositoryId: number | null,
    symbol: string,
  ): (AnchorCodeView & { repositoryId: number })[] {
    const key = symbolKey(symbol);
    if (key === null) return [];
    // Chunks named after the symbol, and unnamed chunks (several small definitions) naming it.
    const rows = this.#ctx
      .statement(
        `SELECT f.path, c.repository_id AS repositoryId, c.start_line AS startLine,
           c.end_line AS endLine, c.symbol_name AS symbolName, c.content
         FROM chunks c JOIN files f ON f.id = c.file_id
         WHERE ($repository IS NULL OR c.repository_id = $repository)
           AND (c.symbol_key = $key OR (c.symbol_name IS NULL AND instr(c.content, $symbol) > 0))
         ORDER BY c.repository_id, f.path, c.start_line`,
      )
      .all({ key, symbol, repository: repositoryId }) as (AnchorCodeView & {
      repositoryId: number;
    })[];
    return rows.flatMap((row) =>
      withDefinitions([row])
        .filter((view) => view.symbolName === symbol)
        .map((view) => ({ ...view, repositoryId: row.repositoryId })),
    );
  }

  /** Resolves anchors given by a caller; anything that does not resolve is INVALID_INPUT. */
  resolve(inputs: readonly AnchorInput[]): ResolvedAnchor[] {
    const parsed = parseInput(anchorInputsSchema, inputs, 'anchors');
    return parsed.map((input) => {
      const repository = this.#code.findRepositories(input.repository)[0];
      if (!repository) {
        throw new NellieError(
          'INVALID_INPUT',
          `Cannot anchor to repository "${input.repository}": it is not indexed. Index it first, or leave the anchor out.`,
        );
      }
      const chunks = this.chunksAt(repository.id, input.path);
      if (chunks.length === 0) {
        throw new NellieError(
          'INVALID_INPUT',
          `Cannot anchor to ${input.path}: no such indexed file in repository ${repository.name}.`,
        );
      }
      const base = { repositoryId: repository.id, path: input.path, origin: 'explicit' as const };
      if (input.symbol) {
        const defined = chunks.filter((chunk) => chunk.symbolName === input.symbol);
        const line = input.startLine ?? 1;
        const chunk = defined.sort(
          (a, b) => Math.abs(a.startLine - line) - Math.abs(b.startLine - line),
        )[0];
        if (!chunk) {
          const known = [...new Set(chunks.map((entry) => entry.symbolName).filter(Boolean))];
          throw new NellieError(
            'INVALID_INPUT',
            `Cannot anchor to symbol "${input.symbol}": it is not defined in ${input.path}` +
              (known.length > 0 ? ` (defined there: ${known.slice(0, 10).join(', ')}).` : '.'),
          );
        }
        return {
          ...base,
          symbol: input.symbol,
          startLine: chunk.startLine,
          endLine: chunk.endLine,
          content: chunk.content,
        };
      }
      const start = input.startLine ?? 1;
      const end =
        input.endLine ?? (input.startLine === undefined ? Number.MAX_SAFE_INTEGER : start);
      if (end < start) {
        throw new NellieError('INVALID_INPUT', 'An anchor must not end before it starts.');
      }
      const range = codeInRange(chunks, start, end);
      if (!range) {
        throw new NellieError(
          'INVALID_INPUT',
          `Cannot anchor to lines ${start}-${end} of ${input.path}: no indexed code there.`,
        );
      }
      return { ...base, symbol: null, ...range };
    });
  }

  /**
   * Anchors for the files and symbols a lesson's text names, each kept only when it resolves to
   * exactly one place (in the lesson's repository when it has one). Ambiguous names get none.
   */
  automatic(text: string, repository: string | null): ResolvedAnchor[] {
    let repositoryId: number | null = null;
    if (repository !== null) {
      const found = this.#code.findRepositories(repository);
      if (found.length === 0) return [];
      repositoryId = found[0]!.id;
    }
    const mentioned = mentionedCode(text);
    const anchors: ResolvedAnchor[] = [];
    for (const identifier of mentioned.identifiers) {
      const chunks = this.symbolChunks(repositoryId, identifier);
      const places = new Set(chunks.map((chunk) => `${chunk.repositoryId}\u0000${chunk.path}`));
      if (places.size !== 1) continue;
      const chunk = chunks[0]!;
      anchors.push({
        repositoryId: chunk.repositoryId,
        path: chunk.path,
        symbol: identifier,
        startLine: chunk.startLine,
        endLine: chunk.endLine,
        content: chunk.content,
        origin: 'automatic',
      });
    }
    for (const path of mentioned.paths) {
      const files = (
        this.#ctx
          .statement(
            `SELECT repository_id AS repositoryId, path FROM files
             WHERE ($repository IS NULL OR repository_id = $repository)
               AND (path = $path OR substr(path, -length($suffix)) = $suffix)`,
          )
          .all({ repository: repositoryId, path, suffix: `/${path}` }) as {
          repositoryId: number;
          path: string;
        }[]
      ).filter((file) => file.path === path || file.path.endsWith(`/${path}`));
      if (files.length !== 1) continue;
      const file = files[0]!;
      const covered = anchors.some(
        (anchor) => anchor.repositoryId === file.repositoryId && anchor.path === file.path,
      );
      if (covered) continue;
      const range = codeInRange(
        this.chunksAt(file.repositoryId, file.path),
        1,
        Number.MAX_SAFE_INTEGER,
      );
      if (!range) continue;
      anchors.push({
        repositoryId: file.repositoryId,
        path: file.path,
        symbol: null,
        ...range,
        origin: 'automatic',
      });
    }
    return anchors.slice(0, maxAutomaticAnchors);
  }
}
