import type { Anchor, AnchorInput, AnchorState, AnchoredLesson, CodeLocation } from '@nellie/core';
import {
  anchorCodeWanted,
  anchorContentHash,
  anchorLocationValues,
  anchorOwners,
  anchorTables,
  automaticAnchors,
  confirmedAnchorValues,
  countLessonStaleness,
  lessonStalenessSql,
  locateStoredAnchor,
  parseAnchorInputs,
  parseAnchorRefresh,
  resolveAnchors,
  symbolKey,
  toAnchor,
  toResolvedAnchor,
  uniqueAnchors,
  type AnchorOwner,
  type AnchorRow,
  type ResolvedAnchor,
} from '@nellie/storage/store-kit';
import { FetchedAnchorCode } from './anchor-code.ts';
import type { CodeRepositoryStore } from './code-store.ts';
import type { Database, Queryable } from './database.ts';

/**
 * Anchors of lessons and checkpoints in PostgreSQL, resolved and re-checked by the store kit's
 * engine-independent logic against code fetched from this schema. Writes run inside the caller's
 * transaction (`db`), except `refresh`, which is its own.
 */
export class PostgresAnchors {
  readonly #database: Database;
  readonly #s: string;
  readonly #code: CodeRepositoryStore;

  constructor(database: Database, code: CodeRepositoryStore) {
    this.#database = database;
    this.#s = database.schema;
    this.#code = code;
  }

  /** SQL for a lesson's staleness (`l` is the lesson), the worst state of its anchors. */
  get lessonStalenessSql(): string {
    return lessonStalenessSql(`${this.#s}.anchors`);
  }

  #reader(db: Queryable): FetchedAnchorCode {
    return new FetchedAnchorCode(db, this.#s, this.#code);
  }

  /** Anchors of one kind of owner with their repository's name; `a.owner_seq` filters by owner. */
  #select(owner: AnchorOwner): string {
    const { table, owner: column } = anchorTables[owner];
    return `SELECT a.*, a.${column} AS owner_seq, r.name AS repository
      FROM ${this.#s}.${table} a JOIN ${this.#s}.repositories r ON r.id = a.repository_id`;
  }

  /** Resolves anchors given by a caller; anything that does not resolve is INVALID_INPUT. */
  async resolve(db: Queryable, inputs: readonly AnchorInput[]): Promise<ResolvedAnchor[]> {
    const parsed = parseAnchorInputs(inputs);
    if (parsed.length === 0) return [];
    const reader = this.#reader(db);
    await reader.fetchRepositories(parsed.map((input) => input.repository));
    await reader.fetchChunks(
      parsed.flatMap((input) => {
        const repository = reader.repositories(input.repository)[0];
        return repository ? [{ repositoryId: repository.id, path: input.path }] : [];
      }),
    );
    return resolveAnchors(parsed, reader);
  }

  /** Anchors for the files and symbols a text names (see the store kit's `automaticAnchors`). */
  async automatic(
    db: Queryable,
    text: string,
    repository: string | null,
  ): Promise<ResolvedAnchor[]> {
    const reader = this.#reader(db);
    let repositoryId: number | null = null;
    if (repository !== null) {
      await reader.fetchRepositories([repository]);
      const found = reader.repositories(repository)[0];
      if (!found) return [];
      repositoryId = found.id;
    }
    const wanted = anchorCodeWanted(text);
    await reader.fetchSymbols(repositoryId, wanted.identifiers);
    await reader.fetchFiles(repositoryId, wanted.paths);
    // Only a file named unambiguously is anchored to, so only its chunks are read.
    await reader.fetchChunks(
      wanted.paths.flatMap((path) => {
        const files = reader.filesNamed(repositoryId, path);
        return files.length === 1 ? files : [];
      }),
    );
    return automaticAnchors(text, repository, reader);
  }

  /** Replaces the anchors of a lesson or checkpoint (inside the caller's write). */
  async replace(
    db: Queryable,
    owner: AnchorOwner,
    ownerSeq: number,
    anchors: readonly ResolvedAnchor[],
  ): Promise<void> {
    const { table, owner: column } = anchorTables[owner];
    await db.query(`DELETE FROM ${this.#s}.${table} WHERE ${column} = $1`, [ownerSeq]);
    const unique = uniqueAnchors(anchors);
    if (unique.length === 0) return;
    const values = (pick: (anchor: ResolvedAnchor) => unknown) => unique.map(pick);
    await db.query(
      `INSERT INTO ${this.#s}.${table} (${column}, repository_id, path, symbol, symbol_key,
         start_line, end_line, content, content_hash, origin, state, checked_at)
       SELECT $1, a.repository_id, a.path, a.symbol, a.symbol_key, a.start_line, a.end_line,
         a.content, a.content_hash, a.origin, 'current', $11
       FROM unnest($2::int[], $3::text[], $4::text[], $5::text[],
         $6::int[], $7::int[], $8::text[], $9::text[], $10::text[]) WITH ORDINALITY
         AS a(repository_id, path, symbol, symbol_key, start_line, end_line, content,
           content_hash, origin, n)
       ORDER BY a.n`,
      [
        ownerSeq,
        values((anchor) => anchor.repositoryId),
        values((anchor) => anchor.path),
        values((anchor) => anchor.symbol),
        values((anchor) => symbolKey(anchor.symbol)),
        values((anchor) => anchor.startLine),
        values((anchor) => anchor.endLine),
        values((anchor) => anchor.content),
        values((anchor) => anchorContentHash(anchor.content)),
        values((anchor) => anchor.origin),
        new Date().toISOString(),
      ],
    );
  }

  /** Anchors of these lessons or checkpoints, by their seq. */
  async forOwners(
    db: Queryable,
    owner: AnchorOwner,
    seqs: readonly number[],
  ): Promise<Map<number, Anchor[]>> {
    const result = new Map<number, Anchor[]>(seqs.map((seq) => [seq, []]));
    if (seqs.length === 0) return result;
    const { owner: column } = anchorTables[owner];
    const { rows } = await db.query<AnchorRow>(
      `${this.#select(owner)} WHERE a.${column} = ANY($1::bigint[]) ORDER BY a.${column}, a.id`,
      [seqs],
    );
    for (const row of rows) result.get(row.owner_seq)?.push(toAnchor(row));
    return result;
  }

  /** Explicit anchors of a lesson, as resolved ones (to keep them when its text changes). */
  async explicitOf(db: Queryable, lessonSeq: number): Promise<ResolvedAnchor[]> {
    const { rows } = await db.query<AnchorRow>(
      `${this.#select('lesson')} WHERE a.lesson_seq = $1 AND a.origin = 'explicit' ORDER BY a.id`,
      [lessonSeq],
    );
    return rows.map(toResolvedAnchor);
  }

  /**
   * Compares anchors (of lessons and checkpoints) on these paths, and gone anchors whose symbol
   * they now define, with the code now; returns how many changed state. One transaction, with
   * the anchors locked, so servers refreshing the same files at once take turns.
   */
  refresh(repositoryId: number, paths: readonly string[]): Promise<number> {
    parseAnchorRefresh(repositoryId, paths);
    if (paths.length === 0) return Promise.resolve(0);
    return this.#database.write(async (db) => {
      let changed = 0;
      for (const owner of anchorOwners) {
        const { table } = anchorTables[owner];
        const { rows } = await db.query<AnchorRow>(
          `${this.#select(owner)} WHERE a.repository_id = $1 AND (a.path = ANY($2::text[])
             OR (a.state = 'gone' AND a.symbol_key IN (
               SELECT c.symbol_key FROM ${this.#s}.files f
                 JOIN ${this.#s}.chunks c ON c.file_id = f.id
               WHERE f.repository_id = $1 AND f.path = ANY($2::text[]))))
           ORDER BY a.id FOR UPDATE OF a`,
          [repositoryId, [...new Set(paths)]],
        );
        changed += await this.#recheck(db, table, rows);
      }
      return changed;
    });
  }

  /** Compares the anchors of a lesson or checkpoint with the code now (inside the caller's write). */
  async recheckOwner(db: Queryable, owner: AnchorOwner, ownerSeq: number): Promise<void> {
    const { table, owner: column } = anchorTables[owner];
    const { rows } = await db.query<AnchorRow>(
      `${this.#select(owner)} WHERE a.${column} = $1 ORDER BY a.id`,
      [ownerSeq],
    );
    await this.#recheck(db, table, rows);
  }

  /** A reader holding the code at each anchor's path and where each anchor's symbol is defined. */
  async #readerFor(db: Queryable, rows: readonly AnchorRow[]): Promise<FetchedAnchorCode> {
    const reader = this.#reader(db);
    await reader.fetchChunks(
      rows.map((row) => ({ repositoryId: row.repository_id, path: row.path })),
    );
    for (const repositoryId of new Set(rows.map((row) => row.repository_id))) {
      await reader.fetchSymbols(
        repositoryId,
        rows.flatMap((row) =>
          row.repository_id === repositoryId && row.symbol !== null ? [row.symbol] : [],
        ),
      );
    }
    return reader;
  }

  /** Records where each anchor's code is now; returns how many changed state. */
  async #recheck(db: Queryable, table: string, rows: readonly AnchorRow[]): Promise<number> {
    if (rows.length === 0) return 0;
    const reader = await this.#readerFor(db, rows);
    const now = new Date().toISOString();
    let changed = 0;
    for (const row of rows) {
      const location = locateStoredAnchor(row, reader);
      if (location.state !== row.state) changed += 1;
      await db.query(
        `UPDATE ${this.#s}.${table} SET state = $1, path = $2, start_line = $3, end_line = $4,
           moved_from = $5, lines_added = $6, lines_removed = $7, signature_changed = $8,
           checked_at = $9
         WHERE id = $10`,
        [...anchorLocationValues(location), now, row.id],
      );
    }
    return changed;
  }

  /**
   * Re-anchors a lesson or checkpoint to its code as it is now; anchors whose code is gone are
   * dropped (inside the caller's write).
   */
  async confirm(db: Queryable, owner: AnchorOwner, ownerSeq: number): Promise<void> {
    const { table, owner: column } = anchorTables[owner];
    const { rows } = await db.query<AnchorRow>(
      `${this.#select(owner)} WHERE a.${column} = $1 ORDER BY a.id FOR UPDATE OF a`,
      [ownerSeq],
    );
    if (rows.length === 0) return;
    const reader = await this.#readerFor(db, rows);
    const now = new Date().toISOString();
    for (const row of rows) {
      const confirmed = confirmedAnchorValues(locateStoredAnchor(row, reader));
      if (confirmed === null) {
        await db.query(`DELETE FROM ${this.#s}.${table} WHERE id = $1`, [row.id]);
        continue;
      }
      await db.query(
        `UPDATE ${this.#s}.${table} SET state = 'current', path = $1, start_line = $2,
           end_line = $3, moved_from = NULL, content = $4, content_hash = $5, lines_added = NULL,
           lines_removed = NULL, signature_changed = NULL, checked_at = $6 WHERE id = $7`,
        [...confirmed, now, row.id],
      );
    }
  }

  /** Lessons anchored to code overlapping each location. */
  anchoredAt(locations: readonly CodeLocation[]): Promise<AnchoredLesson[][]> {
    if (locations.length === 0) return Promise.resolve([]);
    return this.#database.read(async (db) => {
      const { rows } = await db.query<AnchoredLesson & { n: number }>(
        `SELECT DISTINCT q.n, l.id, l.title, l.severity, l.created_at, l.seq,
           ${this.lessonStalenessSql} AS staleness,
           CASE l.severity WHEN 'critical' THEN 0 WHEN 'warning' THEN 1 ELSE 2 END AS rank
         FROM unnest($1::text[], $2::text[], $3::int[], $4::int[]) WITH ORDINALITY
             AS q(repository, path, start_line, end_line, n)
           JOIN ${this.#s}.repositories r ON r.name = q.repository
           JOIN ${this.#s}.anchors a ON a.repository_id = r.id AND a.path = q.path
             AND a.start_line <= q.end_line AND a.end_line >= q.start_line
           JOIN ${this.#s}.lessons l ON l.seq = a.lesson_seq
         ORDER BY q.n, rank, l.created_at DESC, l.seq DESC`,
        [
          locations.map((location) => location.repository),
          locations.map((location) => location.path),
          locations.map((location) => location.startLine),
          locations.map((location) => location.endLine),
        ],
      );
      const result = locations.map((): AnchoredLesson[] => []);
      for (const { n, id, title, severity, staleness } of rows) {
        result[n - 1]!.push({ id, title, severity: severity, staleness });
      }
      return result;
    });
  }

  countByStaleness(): Promise<Record<AnchorState, number>> {
    return this.#database.read(async (db) => {
      const { rows } = await db.query<{ lesson_seq: number; state: AnchorState }>(
        `SELECT lesson_seq, state FROM ${this.#s}.anchors ORDER BY lesson_seq`,
      );
      return countLessonStaleness(rows);
    });
  }
}
