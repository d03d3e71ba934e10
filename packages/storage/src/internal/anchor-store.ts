import {
  anchorStates,
  locateAnchor,
  memoryStaleness,
  limits,
  type Anchor,
  type AnchorInput,
  type AnchorState,
  type AnchoredLesson,
  type CodeLocation,
  type LessonSeverity,
} from '@nellie/core';
import { parseInput } from '@nellie/schemas';
import { z } from 'zod';
import { AnchorResolver, type ResolvedAnchor } from './anchor-resolver.ts';
import { sha256 } from './code-input.ts';
import type { CodeRepositoryStore } from './code-store.ts';
import type { StoreContext } from './context.ts';
import { symbolKey } from './tokens.ts';

const refreshSchema = z.object({
  repositoryId: z.number().int().positive(),
  paths: z.array(z.string().min(1).max(limits.globLength)),
});

/** What anchors belong to: each kind keeps its anchors in its own table, with the same columns. */
export type AnchorOwner = 'lesson' | 'checkpoint';

const anchorTables: Record<AnchorOwner, { table: string; owner: string }> = {
  lesson: { table: 'anchors', owner: 'lesson_seq' },
  checkpoint: { table: 'checkpoint_anchors', owner: 'checkpoint_seq' },
};

const anchorOwners = Object.keys(anchorTables) as AnchorOwner[];

interface AnchorRow {
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

function toAnchor(row: AnchorRow): Anchor {
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

/** SQL for a lesson's staleness (`l` is the lesson), the worst state of its anchors. */
export const lessonStalenessSql = `(SELECT CASE max(CASE a.state WHEN 'current' THEN 0
    WHEN 'moved' THEN 1 WHEN 'changed' THEN 2 ELSE 3 END)
    WHEN 0 THEN 'current' WHEN 1 THEN 'moved' WHEN 2 THEN 'changed' WHEN 3 THEN 'gone' END
  FROM anchors a WHERE a.lesson_seq = l.seq)`;

/** Anchors of one kind of owner with their repository's name; `a.owner_seq` filters by owner. */
function anchorSelect(owner: AnchorOwner): string {
  const { table, owner: column } = anchorTables[owner];
  return `SELECT a.*, r.name AS repository FROM
    (SELECT *, ${column} AS owner_seq FROM ${table}) a JOIN repositories r ON r.id = a.repository_id`;
}

/**
 * Anchors of lessons and checkpoints: resolving them against the index (explicit, or found in a
 * lesson's text), and comparing them with the code each time indexing rewrites their files.
 */
export class AnchorStore {
  readonly #ctx: StoreContext;
  readonly #code: AnchorResolver;

  constructor(ctx: StoreContext, code: CodeRepositoryStore) {
    this.#ctx = ctx;
    this.#code = new AnchorResolver(ctx, code);
  }

  /** Resolves anchors given by a caller; anything that does not resolve is INVALID_INPUT. */
  resolve(inputs: readonly AnchorInput[]): ResolvedAnchor[] {
    return this.#code.resolve(inputs);
  }

  /** Anchors for the files and symbols a text names (see `AnchorResolver.automatic`). */
  automatic(text: string, repository: string | null): ResolvedAnchor[] {
    return this.#code.automatic(text, repository);
  }

  /** Replaces the anchors of a lesson or checkpoint (inside the caller's write). */
  replace(owner: AnchorOwner, ownerSeq: number, anchors: readonly ResolvedAnchor[]): void {
    const { table, owner: column } = anchorTables[owner];
    this.#ctx.statement(`DELETE FROM ${table} WHERE ${column} = ?`).run(ownerSeq);
    const now = new Date().toISOString();
    const seen = new Set<string>();
    for (const anchor of anchors) {
      const key = `${anchor.repositoryId}\u0000${anchor.path}\u0000${anchor.symbol}\u0000${anchor.startLine}`;
      if (seen.has(key)) continue;
      seen.add(key);
      this.#ctx
        .statement(
          `INSERT INTO ${table} (${column}, repository_id, path, symbol, symbol_key, start_line,
             end_line, content, content_hash, origin, state, checked_at)
           VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 'current', ?)`,
        )
        .run(
          ownerSeq,
          anchor.repositoryId,
          anchor.path,
          anchor.symbol,
          symbolKey(anchor.symbol),
          anchor.startLine,
          anchor.endLine,
          anchor.content,
          sha256(anchor.content),
          anchor.origin,
          now,
        );
    }
  }

  /** Anchors of these lessons or checkpoints, by their seq. */
  forOwners(owner: AnchorOwner, seqs: readonly number[]): Map<number, Anchor[]> {
    const result = new Map<number, Anchor[]>(seqs.map((seq) => [seq, []]));
    if (seqs.length === 0) return result;
    const rows = this.#ctx
      .statement(
        `${anchorSelect(owner)} WHERE a.owner_seq IN (SELECT value FROM json_each(?))
         ORDER BY a.owner_seq, a.id`,
      )
      .all(JSON.stringify(seqs)) as AnchorRow[];
    for (const row of rows) result.get(row.owner_seq)?.push(toAnchor(row));
    return result;
  }

  /** Explicit anchors of a lesson, as inputs (to keep them when its text changes). */
  explicitOf(lessonSeq: number): ResolvedAnchor[] {
    return (
      this.#ctx
        .statement(`${anchorSelect('lesson')} WHERE a.owner_seq = ? AND a.origin = 'explicit'`)
        .all(lessonSeq) as AnchorRow[]
    ).map((row) => ({
      repositoryId: row.repository_id,
      path: row.path,
      symbol: row.symbol,
      startLine: row.start_line,
      endLine: row.end_line,
      content: row.content,
      origin: 'explicit',
    }));
  }

  #locate(row: AnchorRow) {
    const atPath = this.#code.chunksAt(row.repository_id, row.path);
    const elsewhere =
      row.symbol === null ? [] : this.#code.symbolChunks(row.repository_id, row.symbol);
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

  /**
   * Compares anchors (of lessons and checkpoints) on these paths, and gone anchors whose symbol
   * they now define.
   */
  refresh(repositoryId: number, paths: readonly string[]): number {
    parseInput(refreshSchema, { repositoryId, paths }, 'anchor refresh');
    if (paths.length === 0) return 0;
    return this.#ctx.write(() =>
      anchorOwners.reduce(
        (changed, owner) => changed + this.#refreshOwner(owner, repositoryId, paths),
        0,
      ),
    );
  }

  #refreshOwner(owner: AnchorOwner, repositoryId: number, paths: readonly string[]): number {
    return this.#recheck(
      owner,
      this.#ctx
        .statement(
          `${anchorSelect(owner)} WHERE a.repository_id = $repository AND (
               a.path IN (SELECT value FROM json_each($paths))
               OR (a.state = 'gone' AND a.symbol_key IN (
                 SELECT c.symbol_key FROM files f JOIN chunks c ON c.file_id = f.id
                 WHERE f.repository_id = $repository
                   AND f.path IN (SELECT value FROM json_each($paths)))))`,
        )
        .all({ repository: repositoryId, paths: JSON.stringify(paths) }) as AnchorRow[],
    );
  }

  /** Compares the anchors of a lesson or checkpoint with the code now (inside the caller's write). */
  recheckOwner(owner: AnchorOwner, ownerSeq: number): void {
    this.#recheck(
      owner,
      this.#ctx
        .statement(`${anchorSelect(owner)} WHERE a.owner_seq = ?`)
        .all(ownerSeq) as AnchorRow[],
    );
  }

  /** Records where each anchor's code is now; returns how many changed state. */
  #recheck(owner: AnchorOwner, rows: readonly AnchorRow[]): number {
    const { table } = anchorTables[owner];
    let changed = 0;
    const now = new Date().toISOString();
    for (const row of rows) {
      const location = this.#locate(row);
      if (location.state !== row.state) changed += 1;
      this.#ctx
        .statement(
          `UPDATE ${table} SET state = ?, path = ?, start_line = ?, end_line = ?, moved_from = ?,
             lines_added = ?, lines_removed = ?, signature_changed = ?, checked_at = ?
           WHERE id = ?`,
        )
        .run(
          location.state,
          location.path,
          location.startLine,
          location.endLine,
          location.movedFrom,
          location.change?.linesAdded ?? null,
          location.change?.linesRemoved ?? null,
          location.change === null ? null : Number(location.change.signatureChanged),
          now,
          row.id,
        );
    }
    return changed;
  }

  /**
   * Re-anchors a lesson or checkpoint to its code as it is now; anchors whose code is gone are
   * dropped.
   */
  confirm(owner: AnchorOwner, ownerSeq: number): void {
    const { table } = anchorTables[owner];
    const rows = this.#ctx
      .statement(`${anchorSelect(owner)} WHERE a.owner_seq = ?`)
      .all(ownerSeq) as AnchorRow[];
    const now = new Date().toISOString();
    for (const row of rows) {
      const location = this.#locate(row);
      if (location.content === null) {
        this.#ctx.statement(`DELETE FROM ${table} WHERE id = ?`).run(row.id);
        continue;
      }
      this.#ctx
        .statement(
          `UPDATE ${table} SET state = 'current', path = ?, start_line = ?, end_line = ?,
             moved_from = NULL, content = ?, content_hash = ?, lines_added = NULL,
             lines_removed = NULL, signature_changed = NULL, checked_at = ? WHERE id = ?`,
        )
        .run(
          location.path,
          location.startLine,
          location.endLine,
          location.content,
          sha256(location.content),
          now,
          row.id,
        );
    }
  }

  /** Lessons anchored to code overlapping each location. */
  anchoredAt(locations: readonly CodeLocation[]): AnchoredLesson[][] {
    return this.#ctx.read(() =>
      locations.map((location) => {
        const rows = this.#ctx
          .statement(
            `SELECT DISTINCT l.id, l.title, l.severity, l.created_at,
               ${lessonStalenessSql} AS staleness
             FROM anchors a JOIN repositories r ON r.id = a.repository_id
               JOIN lessons l ON l.seq = a.lesson_seq
             WHERE r.name = ? AND a.path = ? AND a.start_line <= ? AND a.end_line >= ?
             ORDER BY CASE l.severity WHEN 'critical' THEN 0 WHEN 'warning' THEN 1 ELSE 2 END,
               l.created_at DESC`,
          )
          .all(location.repository, location.path, location.endLine, location.startLine) as {
          id: string;
          title: string;
          severity: LessonSeverity;
          staleness: AnchorState;
        }[];
        return rows.map(({ id, title, severity, staleness }) => ({
          id,
          title,
          severity,
          staleness,
        }));
      }),
    );
  }

  countByStaleness(): Record<AnchorState, number> {
    return this.#ctx.read(() => {
      const counts = Object.fromEntries(anchorStates.map((state) => [state, 0])) as Record<
        AnchorState,
        number
      >;
      const rows = this.#ctx
        .statement(`SELECT lesson_seq, state FROM anchors ORDER BY lesson_seq`)
        .all() as { lesson_seq: number; state: AnchorState }[];
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
    });
  }
}
