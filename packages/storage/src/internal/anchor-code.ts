import {
  NellieError,
  codeInRange,
  locateAnchor,
  memoryStaleness,
  mentionedCode,
  anchorStates,
  limits,
  withDefinitions,
  type Anchor,
  type AnchorCodeView,
  type AnchorInput,
  type AnchorLocation,
  type AnchorState,
} from '@nellie/core';
import { anchorInputsSchema, parseInput } from '@nellie/schemas';
import { z } from 'zod';
import { sha256 } from './code-input.ts';
import { symbolKey } from './tokens.ts';

/**
 * The engine-independent half of anchoring: resolving anchors against indexed code, finding the
 * ones a memory's text names, and comparing stored anchors with the code now. Each store answers
 * the reads of `AnchorCodeReader` from its own tables.
 */

/** Automatic anchors kept per memory, so a long text naming many things stays cheap. */
export const maxAutomaticAnchors = 10;

/** A chunk that may define a symbol: named after it, or unnamed and naming it. */
export interface SymbolCandidate extends AnchorCodeView {
  repositoryId: number;
  symbolKey: string | null;
}

/**
 * Reads of indexed code that anchoring needs, answered synchronously: the SQLite store reads its
 * tables directly, other engines answer from rows fetched before (see `anchorCodeWanted`).
 */
export interface AnchorCodeReader {
  /** Repositories matching a name or root path (normally zero or one), oldest first. */
  repositories(nameOrPath: string): readonly { id: number; name: string }[];
  /** A file's chunks, by start line. */
  chunksAt(repositoryId: number, path: string): AnchorCodeView[];
  /**
   * Chunks whose symbol key is the symbol's, and unnamed chunks containing its text (see
   * `isSymbolCandidate`), by repository, path and start line; in one repository or in all (null).
   */
  symbolCandidates(repositoryId: number | null, symbol: string): SymbolCandidate[];
  /** Indexed files at `path` or ending with `/path`; in one repository or in all (null). */
  filesNamed(repositoryId: number | null, path: string): { repositoryId: number; path: string }[];
}

/** Whether a chunk is a candidate for `symbolCandidates(…, symbol)`. */
export function isSymbolCandidate(
  chunk: { symbolKey: string | null; symbolName: string | null; content: string },
  symbol: string,
): boolean {
  const key = symbolKey(symbol);
  if (key === null) return false;
  return chunk.symbolKey === key || (chunk.symbolName === null && chunk.content.includes(symbol));
}

/** Whether a file is one of `filesNamed(…, path)`. */
export function isFileNamed(filePath: string, path: string): boolean {
  return filePath === path || filePath.endsWith(`/${path}`);
}

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

/** A stored anchor row (of `anchors` or `checkpoint_anchors`), its owner's seq as `owner_seq`. */
export interface AnchorRow {
  id: number;
  owner_seq: number;
  repository_id: number;
  repository: string;
  path: string;
  symbol: string | null;
  start_line: number;
  end_line: number;
  content: string;
  content_hash: string;
  origin: Anchor['origin'];
  state: AnchorState;
  lines_added: number | null;
  lines_removed: number | null;
  signature_changed: number | null;
  moved_from: string | null;
  checked_at: string;
}

export function toAnchor(row: AnchorRow): Anchor {
  return {
    repository: row.repository,
    path: row.path,
    symbol: row.symbol,
    startLine: row.start_line,
    endLine: row.end_line,
    contentHash: row.content_hash,
    state: row.state,
    change:
      row.lines_added === null
        ? null
        : {
            linesAdded: row.lines_added,
            linesRemoved: row.lines_removed ?? 0,
            signatureChanged: row.signature_changed === 1,
          },
    movedFrom: row.moved_from,
    origin: row.origin,
    checkedAt: row.checked_at,
  };
}

/** The stored anchor as a resolved one (to keep an explicit anchor when its memory changes). */
export function toResolvedAnchor(row: AnchorRow): ResolvedAnchor {
  return {
    repositoryId: row.repository_id,
    path: row.path,
    symbol: row.symbol,
    startLine: row.start_line,
    endLine: row.end_line,
    content: row.content,
    origin: row.origin,
  };
}

/** The hash an anchor keeps of its code. */
export function anchorContentHash(content: string): string {
  return sha256(content);
}

/** Anchors without repeats: one per repository, path, symbol and start line. */
export function uniqueAnchors(anchors: readonly ResolvedAnchor[]): ResolvedAnchor[] {
  const seen = new Set<string>();
  return anchors.filter((anchor) => {
    const key = `${anchor.repositoryId}\u0000${anchor.path}\u0000${anchor.symbol}\u0000${anchor.startLine}`;
    if (seen.has(key)) return false;
    seen.add(key);
    return true;
  });
}

/** A file's chunks with the small definitions inside unnamed chunks. */
function codeAt(reader: AnchorCodeReader, repositoryId: number, path: string): AnchorCodeView[] {
  return withDefinitions(reader.chunksAt(repositoryId, path));
}

/** Definitions of a symbol: named chunks and the definitions found inside unnamed ones. */
function definitionsOf(
  reader: AnchorCodeReader,
  repositoryId: number | null,
  symbol: string,
): (AnchorCodeView & { repositoryId: number })[] {
  return reader.symbolCandidates(repositoryId, symbol).flatMap((row) =>
    withDefinitions([row])
      .filter((view) => view.symbolName === symbol)
      .map((view) => ({ ...view, repositoryId: row.repositoryId })),
  );
}

/** Validated anchor inputs; throws INVALID_INPUT. */
export function parseAnchorInputs(inputs: readonly AnchorInput[]): AnchorInput[] {
  return parseInput(anchorInputsSchema, inputs, 'anchors');
}

const refreshSchema = z.object({
  repositoryId: z.number().int().positive(),
  paths: z.array(z.string().min(1).max(limits.globLength)),
});

/** Validates a refresh request (the repository and the paths indexing rewrote or removed). */
export function parseAnchorRefresh(repositoryId: number, paths: readonly string[]): void {
  parseInput(refreshSchema, { repositoryId, paths }, 'anchor refresh');
}

/** Resolves anchors given by a caller (parsed); anything that does not resolve is INVALID_INPUT. */
export function resolveAnchors(
  inputs: readonly AnchorInput[],
  reader: AnchorCodeReader,
): ResolvedAnchor[] {
  return inputs.map((input) => {
    const repository = reader.repositories(input.repository)[0];
    if (!repository) {
      throw new NellieError(
        'INVALID_INPUT',
        `Cannot anchor to repository "${input.repository}": it is not indexed. Index it first, or leave the anchor out.`,
      );
    }
    const chunks = codeAt(reader, repository.id, input.path);
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
    const end = input.endLine ?? (input.startLine === undefined ? Number.MAX_SAFE_INTEGER : start);
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

/** The identifiers and paths a memory's text names, which `automaticAnchors` looks up. */
export function anchorCodeWanted(text: string): { paths: string[]; identifiers: string[] } {
  return mentionedCode(text);
}

/**
 * Anchors for the files and symbols a lesson's text names, each kept only when it resolves to
 * exactly one place (in the lesson's repository when it has one). Ambiguous names get none.
 */
export function automaticAnchors(
  text: string,
  repository: string | null,
  reader: AnchorCodeReader,
): ResolvedAnchor[] {
  let repositoryId: number | null = null;
  if (repository !== null) {
    const found = reader.repositories(repository);
    if (found.length === 0) return [];
    repositoryId = found[0]!.id;
  }
  const mentioned = anchorCodeWanted(text);
  const anchors: ResolvedAnchor[] = [];
  for (const identifier of mentioned.identifiers) {
    const chunks = definitionsOf(reader, repositoryId, identifier);
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
    const files = reader
      .filesNamed(repositoryId, path)
      .filter((file) => isFileNamed(file.path, path));
    if (files.length !== 1) continue;
    const file = files[0]!;
    const covered = anchors.some(
      (anchor) => anchor.repositoryId === file.repositoryId && anchor.path === file.path,
    );
    if (covered) continue;
    const range = codeInRange(
      codeAt(reader, file.repositoryId, file.path),
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

/** Where a stored anchor's code is now: at its path, or where its symbol is defined now. */
export function locateStoredAnchor(row: AnchorRow, reader: AnchorCodeReader): AnchorLocation {
  const atPath = codeAt(reader, row.repository_id, row.path);
  const elsewhere = row.symbol === null ? [] : definitionsOf(reader, row.repository_id, row.symbol);
  return locateAnchor(
    {
      path: row.path,
      symbol: row.symbol,
      startLine: row.start_line,
      endLine: row.end_line,
      content: row.content,
      movedFrom: row.moved_from,
    },
    atPath,
    elsewhere,
  );
}

/** The columns a re-check writes: state, path, lines, moved_from and the change, in that order. */
export function anchorLocationValues(location: AnchorLocation): unknown[] {
  return [
    location.state,
    location.path,
    location.startLine,
    location.endLine,
    location.movedFrom,
    location.change?.linesAdded ?? null,
    location.change?.linesRemoved ?? null,
    location.change === null ? null : Number(location.change.signatureChanged),
  ];
}

/**
 * The columns confirming an anchor writes (path, lines, content and its hash, in that order), or
 * null when its code is gone and the anchor is dropped.
 */
export function confirmedAnchorValues(location: AnchorLocation): unknown[] | null {
  if (location.content === null) return null;
  return [
    location.path,
    location.startLine,
    location.endLine,
    location.content,
    anchorContentHash(location.content),
  ];
}

/** SQL for a lesson's staleness (`l` is the lesson), the worst state of its anchors in `table`. */
export function lessonStalenessSql(table: string): string {
  return `(SELECT CASE max(CASE a.state WHEN 'current' THEN 0
    WHEN 'moved' THEN 1 WHEN 'changed' THEN 2 ELSE 3 END)
    WHEN 0 THEN 'current' WHEN 1 THEN 'moved' WHEN 2 THEN 'changed' WHEN 3 THEN 'gone' END
  FROM ${table} a WHERE a.lesson_seq = l.seq)`;
}

/** Anchored lessons by their staleness, from every lesson anchor's owner and state. */
export function countLessonStaleness(
  rows: readonly { lesson_seq: number; state: AnchorState }[],
): Record<AnchorState, number> {
  const counts = Object.fromEntries(anchorStates.map((state) => [state, 0])) as Record<
    AnchorState,
    number
  >;
  const byLesson = new Map<number, { state: AnchorState }[]>();
  for (const row of rows) {
    const list = byLesson.get(row.lesson_seq) ?? [];
    list.push(row);
    byLesson.set(row.lesson_seq, list);
  }
  for (const anchors of byLesson.values()) {
    const staleness = memoryStaleness(anchors);
    if (staleness !== null) counts[staleness] += 1;
  }
  return counts;
}

/** What anchors belong to: each kind keeps its anchors in its own table, with the same columns. */
export type AnchorOwner = 'lesson' | 'checkpoint';

export const anchorTables: Readonly<Record<AnchorOwner, { table: string; owner: string }>> = {
  lesson: { table: 'anchors', owner: 'lesson_seq' },
  checkpoint: { table: 'checkpoint_anchors', owner: 'checkpoint_seq' },
};

export const anchorOwners = Object.keys(anchorTables) as AnchorOwner[];
