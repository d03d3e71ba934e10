import type {
  AnchorInput,
  AnchorState,
  AnchoredLesson,
  Anchor,
  CodeLocation,
  LessonSeverity,
} from '@nellie/core';
import {
  anchorContentHash,
  anchorLocationValues,
  anchorOwners,
  anchorTables,
  automaticAnchors,
  confirmedAnchorValues,
  countLessonStaleness,
  lessonStalenessSql as stalenessSqlOf,
  locateStoredAnchor,
  parseAnchorInputs,
  parseAnchorRefresh,
  resolveAnchors,
  toAnchor,
  toResolvedAnchor,
  uniqueAnchors,
  type AnchorOwner,
  type AnchorRow,
  type ResolvedAnchor,
} from './anchor-code.ts';
import { SqliteAnchorCode } from './anchor-reader.ts';
import type { CodeRepositoryStore } from './code-store.ts';
import type { StoreContext } from './context.ts';
import { symbolKey } from './tokens.ts';

/** SQL for a lesson's staleness (`l` is the lesson), the worst state of its anchors. */
export const lessonStalenessSql = stalenessSqlOf('anchors');

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
  readonly #code: SqliteAnchorCode;

  constructor(ctx: StoreContext, code: CodeRepositoryStore) {
    this.#ctx = ctx;
    this.#code = new SqliteAnchorCode(ctx, code);
  }

  /** Resolves anchors given by a caller; anything that does not resolve is INVALID_INPUT. */
  resolve(inputs: readonly AnchorInput[]): ResolvedAnchor[] {
    return resolveAnchors(parseAnchorInputs(inputs), this.#code);
  }

  /** Anchors for the files and symbols a text names (see `automaticAnchors`). */
  automatic(text: string, repository: string | null): ResolvedAnchor[] {
    return automaticAnchors(text, repository, this.#code);
  }

  /** Replaces the anchors of a lesson or checkpoint (inside the caller's write). */
  replace(owner: AnchorOwner, ownerSeq: number, anchors: readonly ResolvedAnchor[]): void {
    const { table, owner: column } = anchorTables[owner];
    this.#ctx.statement(`DELETE FROM ${table} WHERE ${column} = ?`).run(ownerSeq);
    const now = new Date().toISOString();
    for (const anchor of uniqueAnchors(anchors)) {
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
          anchorContentHash(anchor.content),
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
    ).map(toResolvedAnchor);
  }

  /**
   * Compares anchors (of lessons and checkpoints) on these paths, and gone anchors whose symbol
   * they now define.
   */
  refresh(repositoryId: number, paths: readonly string[]): number {
    parseAnchorRefresh(repositoryId, paths);
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
      const location = locateStoredAnchor(row, this.#code);
      if (location.state !== row.state) changed += 1;
      this.#ctx
        .statement(
          `UPDATE ${table} SET state = ?, path = ?, start_line = ?, end_line = ?, moved_from = ?,
             lines_added = ?, lines_removed = ?, signature_changed = ?, checked_at = ?
           WHERE id = ?`,
        )
        .run(...anchorLocationValues(location), now, row.id);
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
      const confirmed = confirmedAnchorValues(locateStoredAnchor(row, this.#code));
      if (confirmed === null) {
        this.#ctx.statement(`DELETE FROM ${table} WHERE id = ?`).run(row.id);
        continue;
      }
      this.#ctx
        .statement(
          `UPDATE ${table} SET state = 'current', path = ?, start_line = ?, end_line = ?,
             moved_from = NULL, content = ?, content_hash = ?, lines_added = NULL,
             lines_removed = NULL, signature_changed = NULL, checked_at = ? WHERE id = ?`,
        )
        .run(...confirmed, now, row.id);
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
    return this.#ctx.read(() =>
      countLessonStaleness(
        this.#ctx.statement(`SELECT lesson_seq, state FROM anchors ORDER BY lesson_seq`).all() as {
          lesson_seq: number;
          state: AnchorState;
        }[],
      ),
    );
  }
}
