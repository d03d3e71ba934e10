import {
  NellieError,
  stalenessScoreFactor,
  type AnchorState,
  type AnchoredLesson,
  type CodeLocation,
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
  type ResolvedAnchor,
} from '@nellie/storage/store-kit';
import { idSchema as textIdSchema, parseInput } from '@nellie/schemas';
import type { PostgresAnchors } from './anchor-store.ts';
import { Parameters, type Queryable } from './database.ts';
import { queueContentHash, releaseContentHashes } from './embedding-queue.ts';
import { searchMemoryTable } from './memory-search.ts';
import { kindLesson } from './schema.ts';
import type { SearchContext } from './search-context.ts';

/** Title A, tags B, content C: the SQLite store's bm25 weights 4, 2, 1. */
const rankWeights = '{0, 0.25, 0.5, 1}';

export class LessonStore {
  readonly #c: SearchContext;
  readonly #anchors: PostgresAnchors;

  constructor(context: SearchContext, anchors: PostgresAnchors) {
    this.#c = context;
    this.#anchors = anchors;
  }

  /** Lessons with their anchors. */
  async #hydrate(db: Queryable, rows: readonly LessonRow[]): Promise<Lesson[]> {
    const anchors = await this.#anchors.forOwners(
      db,
      'lesson',
      rows.map((row) => row.seq),
    );
    return rows.map((row) => toLesson(row, anchors.get(row.seq) ?? []));
  }

  /** Explicit anchors plus, unless turned off, those the lesson's text names. */
  async #anchorsFor(
    db: Queryable,
    lesson: { title: string; content: string; repository: string | null },
    explicit: readonly ResolvedAnchor[],
    autoAnchor: boolean,
  ): Promise<ResolvedAnchor[]> {
    const automatic = autoAnchor
      ? await this.#anchors.automatic(db, `${lesson.title}\n${lesson.content}`, lesson.repository)
      : [];
    return [...explicit, ...automatic];
  }

  async #row(
    db: Queryable,
    id: string,
    lock = '',
  ): Promise<(LessonRow & { content_hash: string }) | undefined> {
    const { rows } = await db.query<LessonRow & { content_hash: string }>(
      `SELECT * FROM ${this.#c.s}.lessons WHERE id = $1${lock}`,
      [id],
    );
    return rows[0];
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
    const lesson = newLesson(parsed);
    const now = lesson.createdAt;
    const hash = lessonHash(lesson);
    return this.#c.database.write(async (db) => {
      const { rows } = await db.query<LessonRow>(
        `INSERT INTO ${this.#c.s}.lessons (id, title, content, tags, severity, repo, agent,
           created_at, updated_at, content_hash, tokens)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, ${this.#tokens(11)})
         RETURNING *`,
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
      const row = rows[0]!;
      const explicit = await this.#anchors.resolve(db, parsed.anchors ?? []);
      await this.#anchors.replace(
        db,
        'lesson',
        row.seq,
        await this.#anchorsFor(db, lesson, explicit, parsed.autoAnchor ?? true),
      );
      return (await this.#hydrate(db, [row]))[0]!;
    });
  }

  update(id: string, patch: Partial<LessonInput>): Promise<Lesson> {
    parseInput(textIdSchema, id, 'lesson id');
    const parsed = parseInput(lessonPatchSchema, patch, 'lesson update');
    return this.#c.database.write(async (db) => {
      const row = await this.#row(db, id, ' FOR UPDATE');
      if (!row) throw new NellieError('NOT_FOUND', `No lesson with id ${id}.`);
      const current = toLesson(row);
      const next = patchedLesson(current, parsed);
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
      const textChanged = next.title !== current.title || next.content !== current.content;
      if (parsed.anchors !== undefined || parsed.autoAnchor !== undefined || textChanged) {
        const explicit =
          parsed.anchors === undefined
            ? await this.#anchors.explicitOf(db, row.seq)
            : await this.#anchors.resolve(db, parsed.anchors);
        const hadAutomatic = (await this.#anchors.forOwners(db, 'lesson', [row.seq]))
          .get(row.seq)!
          .some((anchor) => anchor.origin === 'automatic');
        const autoAnchor = parsed.autoAnchor ?? (hadAutomatic || textChanged);
        await this.#anchors.replace(
          db,
          'lesson',
          row.seq,
          await this.#anchorsFor(db, next, explicit, autoAnchor),
        );
        await this.#anchors.recheckOwner(db, 'lesson', row.seq);
      }
      return (await this.#hydrate(db, [(await this.#row(db, id))!]))[0]!;
    });
  }

  get(id: string): Promise<Lesson | null> {
    parseInput(textIdSchema, id, 'lesson id');
    return this.#c.database.read(async (db) => {
      const row = await this.#row(db, id);
      return row ? (await this.#hydrate(db, [row]))[0]! : null;
    });
  }

  async #filter(db: Queryable, filters: LessonFilters): Promise<(params: Parameters) => string> {
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
      if (filters.staleness && filters.staleness.length > 0) {
        sql += ` AND ${this.#anchors.lessonStalenessSql} = ANY(${params.p(filters.staleness)}::text[])`;
      }
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
      return { items: await this.#hydrate(db, rows), total: total.rows[0]?.count ?? 0 };
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
      this.#c.database.read(async (db) => {
        const lessons = await this.#hydrate(
          db,
          hits.map(({ row }) => row),
        );
        return hits
          .map(({ score, scores }, index) => {
            const lesson = lessons[index]!;
            const factor = lesson.staleness === null ? 1 : stalenessScoreFactor[lesson.staleness];
            return { lesson, score: score * factor, scores };
          })
          .sort((a, b) => b.score - a.score);
      }),
    );
  }

  /** Re-anchors a lesson to its code as it is now (see `PostgresAnchors.confirm`). */
  confirm(id: string): Promise<Lesson> {
    parseInput(textIdSchema, id, 'lesson id');
    return this.#c.database.write(async (db) => {
      const row = await this.#row(db, id, ' FOR UPDATE');
      if (!row) throw new NellieError('NOT_FOUND', `No lesson with id ${id}.`);
      await this.#anchors.confirm(db, 'lesson', row.seq);
      return (await this.#hydrate(db, [row]))[0]!;
    });
  }

  anchoredAt(locations: readonly CodeLocation[]): Promise<AnchoredLesson[][]> {
    return this.#anchors.anchoredAt(locations);
  }

  countByStaleness(): Promise<Record<AnchorState, number>> {
    return this.#anchors.countByStaleness();
  }
}
