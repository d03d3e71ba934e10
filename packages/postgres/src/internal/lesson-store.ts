import {
  NellieError,
  type Lesson,
  type LessonFilters,
  type LessonHit,
  type LessonInput,
  type LessonSearchRequest,
  type Page,
} from '@nellie/core';
import {
  lessonHash,
  lessonInputSchema,
  lessonListSchema,
  lessonPatchSchema,
  type LessonRow,
  lessonSearchRequestSchema,
  newLesson,
  patchedLesson,
  tokenText,
  toLesson,
} from '@nellie/storage/store-kit';
import { idSchema as textIdSchema, parseInput } from '@nellie/schemas';
import { Parameters, type Queryable } from './database.ts';
import { queueContentHash, releaseContentHashes } from './embedding-queue.ts';
import { searchMemoryTable } from './memory-search.ts';
import { kindLesson } from './schema.ts';
import type { SearchContext } from './search-context.ts';

/**
 * Lessons and checkpoints here are not anchored to code: anchors are resolved against the SQLite
 * store's chunk and symbol tables. A request naming anchors or filtering on their staleness is
 * refused rather than answered as if it had been kept.
 */
export function refuseAnchors(
  request: {
    anchors?: readonly unknown[] | undefined;
    staleness?: readonly unknown[] | undefined;
  },
  memory: 'Lesson' | 'Checkpoint' = 'Lesson',
): void {
  const field =
    request.anchors && request.anchors.length > 0
      ? 'anchors'
      : request.staleness && request.staleness.length > 0
        ? 'staleness'
        : null;
  if (field === null) return;
  throw new NellieError(
    'INVALID_INPUT',
    `${memory} ${field}: anchors need the SQLite store; the PostgreSQL store keeps ${memory.toLowerCase()}s without anchors to code.`,
  );
}

/** Title A, tags B, content C: the SQLite store's bm25 weights 4, 2, 1. */
const rankWeights = '{0, 0.25, 0.5, 1}';

export class LessonStore {
  readonly #c: SearchContext;

  constructor(context: SearchContext) {
    this.#c = context;
  }

  /** The `tokens` value of a lesson, as SQL over parameters $n.. (title, tags, content). */
  #tokens(first: number): string {
    const c = this.#c.config;
    return `setweight(to_tsvector(${c}, $${first}), 'A') ||
      setweight(to_tsvector(${c}, $${first + 1}), 'B') ||
      setweight(to_tsvector(${c}, $${first + 2}), 'C')`;
  }

  #tokenValues(lesson: Pick<Lesson, 'title' | 'content' | 'tags'>): string[] {
    return [tokenText(lesson.title), tokenText(lesson.tags.join(' ')), tokenText(lesson.content)];
  }

  async add(input: LessonInput): Promise<Lesson> {
    const parsed = parseInput(lessonInputSchema, input, 'lesson');
    refuseAnchors(parsed);
    const lesson = newLesson(parsed);
    const now = lesson.createdAt;
    const hash = lessonHash(lesson);
    await this.#c.database.write(async (db) => {
      await db.query(
        `INSERT INTO ${this.#c.s}.lessons (id, title, content, tags, severity, repo, agent,
           created_at, updated_at, content_hash, tokens)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, ${this.#tokens(11)})`,
        [
          lesson.id,
          lesson.title,
          lesson.content,
          JSON.stringify(lesson.tags),
          lesson.severity,
          lesson.repository,
          lesson.agent,
          now,
          now,
          hash,
          ...this.#tokenValues(lesson),
        ],
      );
      await queueContentHash(db, this.#c.s, hash, kindLesson);
    });
    return lesson;
  }

  update(id: string, patch: Partial<LessonInput>): Promise<Lesson> {
    parseInput(textIdSchema, id, 'lesson id');
    const parsed = parseInput(lessonPatchSchema, patch, 'lesson update');
    refuseAnchors(parsed);
    return this.#c.database.write(async (db) => {
      const { rows } = await db.query<LessonRow & { content_hash: string }>(
        `SELECT * FROM ${this.#c.s}.lessons WHERE id = $1 FOR UPDATE`,
        [id],
      );
      const row = rows[0];
      if (!row) throw new NellieError('NOT_FOUND', `No lesson with id ${id}.`);
      const next = patchedLesson(toLesson(row), parsed);
      const hash = lessonHash(next);
      await db.query(
        `UPDATE ${this.#c.s}.lessons SET title = $1, content = $2, tags = $3, severity = $4,
           repo = $5, agent = $6, updated_at = $7, content_hash = $8, tokens = ${this.#tokens(10)}
         WHERE seq = $9`,
        [
          next.title,
          next.content,
          JSON.stringify(next.tags),
          next.severity,
          next.repository,
          next.agent,
          next.updatedAt,
          hash,
          row.seq,
          ...this.#tokenValues(next),
        ],
      );
      if (hash !== row.content_hash) {
        await releaseContentHashes(db, this.#c.s, [row.content_hash]);
        await queueContentHash(db, this.#c.s, hash, kindLesson);
      }
      return next;
    });
  }

  get(id: string): Promise<Lesson | null> {
    parseInput(textIdSchema, id, 'lesson id');
    return this.#c.database.read(async (db) => {
      const { rows } = await db.query<LessonRow>(
        `SELECT * FROM ${this.#c.s}.lessons WHERE id = $1`,
        [id],
      );
      return rows[0] ? toLesson(rows[0]) : null;
    });
  }

  async #filter(db: Queryable, filters: LessonFilters): Promise<(params: Parameters) => string> {
    refuseAnchors(filters);
    const repos = filters.repository
      ? await this.#c.code.repositoryAliases(db, filters.repository)
      : null;
    return (params) => {
      let sql = '';
      if (filters.tags && filters.tags.length > 0) {
        sql += ` AND NOT EXISTS (SELECT 1 FROM unnest(${params.p(filters.tags)}::text[]) wanted
          WHERE NOT EXISTS (SELECT 1 FROM jsonb_array_elements_text(l.tags::jsonb) held
            WHERE lower(held) = lower(wanted)))`;
      }
      if (filters.severity) sql += ` AND l.severity = ${params.p(filters.severity)}`;
      if (repos) sql += ` AND l.repo = ANY(${params.p(repos)}::text[])`;
      if (filters.agent) sql += ` AND l.agent = ${params.p(filters.agent)}`;
      return sql;
    };
  }

  list(request: LessonFilters & { limit?: number; offset?: number } = {}): Promise<Page<Lesson>> {
    const parsed = parseInput(lessonListSchema, request, 'lesson list request');
    return this.#c.database.read(async (db) => {
      const filter = await this.#filter(db, parsed);
      const countParams = new Parameters();
      const total = await db.query<{ count: number }>(
        `SELECT count(*) FROM ${this.#c.s}.lessons l WHERE true${filter(countParams)}`,
        countParams.values,
      );
      const params = new Parameters();
      const conditions = filter(params);
      const { rows } = await db.query<LessonRow>(
        `SELECT l.* FROM ${this.#c.s}.lessons l WHERE true${conditions}
         ORDER BY l.created_at DESC, l.seq DESC
         LIMIT ${params.p(parsed.limit)} OFFSET ${params.p(parsed.offset)}`,
        params.values,
      );
      return { items: rows.map((row) => toLesson(row)), total: total.rows[0]?.count ?? 0 };
    });
  }

  delete(id: string): Promise<boolean> {
    parseInput(textIdSchema, id, 'lesson id');
    return this.#c.database.write(async (db) => {
      const { rows } = await db.query<{ content_hash: string }>(
        `DELETE FROM ${this.#c.s}.lessons WHERE id = $1 RETURNING content_hash`,
        [id],
      );
      await releaseContentHashes(
        db,
        this.#c.s,
        rows.map((row) => row.content_hash),
      );
      return rows.length > 0;
    });
  }

  search(request: LessonSearchRequest): Promise<LessonHit[]> {
    const parsed = parseInput(lessonSearchRequestSchema, request, 'lesson search request');
    return searchMemoryTable<LessonRow>(
      this.#c,
      { table: 'lessons', alias: 'l', rankWeights },
      parsed,
      (db) => this.#filter(db, parsed),
    ).then((hits) =>
      hits.map(({ row, score, scores }) => ({ lesson: toLesson(row), score, scores })),
    );
  }
}
