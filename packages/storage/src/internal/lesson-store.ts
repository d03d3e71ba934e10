import { randomUUID } from 'node:crypto';
import {
  NellieError,
  formatLessonForEmbedding,
  lessonSeverities,
  anchorStates,
  limits,
  memoryStaleness,
  stalenessScoreFactor,
  type Anchor,
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
  anchorInputsSchema,
  idSchema,
  limitSchema,
  offsetSchema,
  parseInput,
  storedTextSchema,
} from '@nellie/schemas';
import { z } from 'zod';
import type { ResolvedAnchor } from './anchor-code.ts';
import { lessonStalenessSql, type AnchorStore } from './anchor-store.ts';
import { sha256 } from './code-input.ts';
import type { CodeRepositoryStore } from './code-store.ts';
import type { StoreContext } from './context.ts';
import { searchMemoryTable } from './memory-search.ts';
import { lessonColumnWeights } from './ranking/settings.ts';
import { tokenText } from './tokens.ts';
import { checkQuery, lessonSearchRequestSchema } from './validation.ts';

export interface LessonRow {
  seq: number;
  id: string;
  title: string;
  content: string;
  tags: string;
  severity: Lesson['severity'];
  repo: string | null;
  agent: string | null;
  created_at: string;
  updated_at: string;
}

/** A lesson row as a lesson; `anchors` are the SQLite store's (the PostgreSQL store has none). */
export function toLesson(row: LessonRow, anchors: Anchor[] = []): Lesson {
  return {
    id: row.id,
    title: row.title,
    content: row.content,
    tags: JSON.parse(row.tags) as string[],
    severity: row.severity,
    repository: row.repo,
    agent: row.agent,
    anchors,
    staleness: memoryStaleness(anchors),
    createdAt: row.created_at,
    updatedAt: row.updated_at,
  };
}

const tagSchema = storedTextSchema('tag', limits.tagLength);
const tagsSchema = z.array(tagSchema).max(limits.lessonTags, `at most ${limits.lessonTags} tags`);

const lessonFields = {
  title: storedTextSchema('title', limits.lessonTitleLength),
  content: storedTextSchema('content', limits.lessonContentLength),
  tags: tagsSchema,
  severity: z.enum(lessonSeverities),
  repository: storedTextSchema('repository', limits.repositoryLength).nullable(),
  agent: storedTextSchema('agent', limits.agentLength).nullable(),
};

export const lessonInputSchema = z.strictObject({
  title: lessonFields.title,
  content: lessonFields.content,
  tags: lessonFields.tags.optional(),
  severity: lessonFields.severity.optional(),
  repository: lessonFields.repository.optional(),
  agent: lessonFields.agent.optional(),
  anchors: anchorInputsSchema.optional(),
  autoAnchor: z.boolean().optional(),
});

export const lessonPatchSchema = lessonInputSchema.partial();

export const lessonListSchema = z.strictObject({
  tags: tagsSchema.optional(),
  severity: z.enum(lessonSeverities).optional(),
  repository: z.string().min(1).max(limits.repositoryLength).optional(),
  agent: z.string().min(1).max(limits.agentLength).optional(),
  staleness: z.array(z.enum(anchorStates)).max(anchorStates.length).optional(),
  limit: limitSchema(limits.pageSize, 50),
  offset: offsetSchema,
});

/** Hashes lessons apart from code, so a lesson never shares a vector with a chunk. */
export function lessonHash(lesson: {
  title: string;
  content: string;
  tags: readonly string[];
}): string {
  return sha256(`lesson\n${formatLessonForEmbedding(lesson)}`);
}

export function uniqueTags(tags: readonly string[]): string[] {
  const seen = new Set<string>();
  const result: string[] = [];
  for (const tag of tags) {
    const key = tag.toLowerCase();
    if (seen.has(key)) continue;
    seen.add(key);
    result.push(tag);
  }
  return result;
}

/** A new lesson from validated input: a fresh id, unique tags, defaults filled in. */
export function newLesson(parsed: z.output<typeof lessonInputSchema>): Lesson {
  const now = new Date().toISOString();
  return {
    id: randomUUID(),
    title: parsed.title,
    content: parsed.content,
    tags: uniqueTags(parsed.tags ?? []),
    severity: parsed.severity ?? 'info',
    repository: parsed.repository ?? null,
    agent: parsed.agent ?? null,
    anchors: [],
    staleness: null,
    createdAt: now,
    updatedAt: now,
  };
}

/** `current` with a validated patch applied and a new update time. */
export function patchedLesson(current: Lesson, parsed: z.output<typeof lessonPatchSchema>): Lesson {
  return {
    ...current,
    title: parsed.title ?? current.title,
    content: parsed.content ?? current.content,
    tags: parsed.tags ? uniqueTags(parsed.tags) : current.tags,
    severity: parsed.severity ?? current.severity,
    repository: parsed.repository === undefined ? current.repository : parsed.repository,
    agent: parsed.agent === undefined ? current.agent : parsed.agent,
    updatedAt: new Date().toISOString(),
  };
}

interface FilterSql {
  sql: string;
  params: Record<string, unknown>;
}

export class SqliteLessons {
  readonly #ctx: StoreContext;
  readonly #code: CodeRepositoryStore;
  readonly #anchors: AnchorStore;

  constructor(ctx: StoreContext, code: CodeRepositoryStore, anchors: AnchorStore) {
    this.#ctx = ctx;
    this.#code = code;
    this.#anchors = anchors;
  }

  /** Lessons with their anchors. */
  #hydrate(rows: readonly LessonRow[]): Lesson[] {
    const anchors = this.#anchors.forOwners(
      'lesson',
      rows.map((row) => row.seq),
    );
    return rows.map((row) => toLesson(row, anchors.get(row.seq) ?? []));
  }

  /** Explicit anchors plus, unless turned off, those the lesson's text names. */
  #anchorsFor(
    lesson: { title: string; content: string; repository: string | null },
    explicit: readonly ResolvedAnchor[],
    autoAnchor: boolean,
  ): ResolvedAnchor[] {
    const automatic = autoAnchor
      ? this.#anchors.automatic(`${lesson.title}\n${lesson.content}`, lesson.repository)
      : [];
    return [...explicit, ...automatic];
  }

  #row(id: string): LessonRow | undefined {
    return this.#ctx.statement(`SELECT * FROM lessons WHERE id = ?`).get(id) as
      LessonRow | undefined;
  }

  #index(seq: number, lesson: { title: string; content: string; tags: readonly string[] }): void {
    this.#ctx
      .statement(`INSERT INTO lessons_fts (rowid, title, tags, content) VALUES (?, ?, ?, ?)`)
      .run(
        seq,
        tokenText(lesson.title),
        tokenText(lesson.tags.join(' ')),
        tokenText(lesson.content),
      );
  }

  add(input: LessonInput): Lesson {
    const parsed = parseInput(lessonInputSchema, input, 'lesson');
    const lesson = newLesson(parsed);
    const now = lesson.createdAt;
    return this.#ctx.write(() => {
      const seq = this.#ctx
        .statement(
          `INSERT INTO lessons (id, title, content, tags, severity, repo, agent, created_at, updated_at, content_hash)
           VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
        )
        .run(
          lesson.id,
          lesson.title,
          lesson.content,
          JSON.stringify(lesson.tags),
          lesson.severity,
          lesson.repository,
          lesson.agent,
          now,
          now,
          lessonHash(lesson),
        ).lastInsertRowid;
      this.#index(Number(seq), lesson);
      const explicit = this.#anchors.resolve(parsed.anchors ?? []);
      this.#anchors.replace(
        'lesson',
        Number(seq),
        this.#anchorsFor(lesson, explicit, parsed.autoAnchor ?? true),
      );
      return this.#hydrate([this.#row(lesson.id)!])[0]!;
    });
  }

  update(id: string, patch: Partial<LessonInput>): Lesson {
    parseInput(idSchema, id, 'lesson id');
    const parsed = parseInput(lessonPatchSchema, patch, 'lesson update');
    return this.#ctx.write(() => {
      const row = this.#row(id);
      if (!row) throw new NellieError('NOT_FOUND', `No lesson with id ${id}.`);
      const current = toLesson(row);
      const next = patchedLesson(current, parsed);
      this.#ctx
        .statement(
          `UPDATE lessons SET title = ?, content = ?, tags = ?, severity = ?, repo = ?, agent = ?,
             updated_at = ?, content_hash = ? WHERE seq = ?`,
        )
        .run(
          next.title,
          next.content,
          JSON.stringify(next.tags),
          next.severity,
          next.repository,
          next.agent,
          next.updatedAt,
          lessonHash(next),
          row.seq,
        );
      this.#ctx.statement(`DELETE FROM lessons_fts WHERE rowid = ?`).run(row.seq);
      this.#index(row.seq, next);
      const textChanged = next.title !== current.title || next.content !== current.content;
      if (parsed.anchors !== undefined || parsed.autoAnchor !== undefined || textChanged) {
        const explicit =
          parsed.anchors === undefined
            ? this.#anchors.explicitOf(row.seq)
            : this.#anchors.resolve(parsed.anchors);
        const hadAutomatic = this.#anchors
          .forOwners('lesson', [row.seq])
          .get(row.seq)!
          .some((anchor) => anchor.origin === 'automatic');
        const autoAnchor = parsed.autoAnchor ?? (hadAutomatic || textChanged);
        this.#anchors.replace('lesson', row.seq, this.#anchorsFor(next, explicit, autoAnchor));
        this.#anchors.recheckOwner('lesson', row.seq);
      }
      return this.#hydrate([this.#row(id)!])[0]!;
    });
  }

  get(id: string): Lesson | null {
    parseInput(idSchema, id, 'lesson id');
    return this.#ctx.read(() => {
      const row = this.#row(id);
      return row ? this.#hydrate([row])[0]! : null;
    });
  }

  #filters(filters: LessonFilters): FilterSql {
    const conditions: string[] = [];
    const params: Record<string, unknown> = {};
    if (filters.tags && filters.tags.length > 0) {
      conditions.push(
        `NOT EXISTS (SELECT 1 FROM json_each($tags) wanted WHERE NOT EXISTS (
           SELECT 1 FROM json_each(l.tags) held WHERE lower(held.value) = lower(wanted.value)))`,
      );
      params.tags = JSON.stringify(filters.tags);
    }
    if (filters.severity) {
      conditions.push('l.severity = $severity');
      params.severity = filters.severity;
    }
    if (filters.repository) {
      conditions.push('l.repo IN (SELECT value FROM json_each($repos))');
      params.repos = JSON.stringify(this.#code.repositoryAliases(filters.repository));
    }
    if (filters.agent) {
      conditions.push('l.agent = $agent');
      params.agent = filters.agent;
    }
    if (filters.staleness && filters.staleness.length > 0) {
      conditions.push(`${lessonStalenessSql} IN (SELECT value FROM json_each($staleness))`);
      params.staleness = JSON.stringify(filters.staleness);
    }
    return { sql: conditions.map((condition) => ` AND ${condition}`).join(''), params };
  }

  list(request: LessonFilters & { limit?: number; offset?: number } = {}): Page<Lesson> {
    const parsed = parseInput(lessonListSchema, request, 'lesson list request');
    return this.#ctx.read(() => {
      const filter = this.#filters(parsed);
      const total = this.#ctx
        .statement(`SELECT count(*) FROM lessons l WHERE 1${filter.sql}`)
        .pluck()
        .get(filter.params) as number;
      const rows = this.#ctx
        .statement(
          `SELECT l.* FROM lessons l WHERE 1${filter.sql}
           ORDER BY l.created_at DESC, l.seq DESC LIMIT $limit OFFSET $offset`,
        )
        .all({ ...filter.params, limit: parsed.limit, offset: parsed.offset }) as LessonRow[];
      return { items: this.#hydrate(rows), total };
    });
  }

  delete(id: string): boolean {
    parseInput(idSchema, id, 'lesson id');
    return this.#ctx.write(
      () => this.#ctx.statement(`DELETE FROM lessons WHERE id = ?`).run(id).changes > 0,
    );
  }

  search(request: LessonSearchRequest): LessonHit[] {
    const parsed = parseInput(lessonSearchRequestSchema, request, 'lesson search request');
    checkQuery(
      parsed.query,
      parsed.queryVector,
      this.#ctx.embeddingModel,
      this.#ctx.options.maxQueryLength,
    );
    return this.#ctx.read(() => {
      const found = searchMemoryTable<LessonRow>(
        this.#ctx,
        { table: 'lessons', alias: 'l', columnWeights: lessonColumnWeights },
        parsed,
        this.#filters(parsed),
      );
      const lessons = this.#hydrate(found.map(({ row }) => row));
      return found
        .map(({ score, scores }, index) => {
          const lesson = lessons[index]!;
          const factor = lesson.staleness === null ? 1 : stalenessScoreFactor[lesson.staleness];
          return { lesson, score: score * factor, scores };
        })
        .sort((a, b) => b.score - a.score);
    });
  }

  confirm(id: string): Lesson {
    parseInput(idSchema, id, 'lesson id');
    return this.#ctx.write(() => {
      const row = this.#row(id);
      if (!row) throw new NellieError('NOT_FOUND', `No lesson with id ${id}.`);
      this.#anchors.confirm('lesson', row.seq);
      return this.#hydrate([row])[0]!;
    });
  }

  anchoredAt(locations: readonly CodeLocation[]): AnchoredLesson[][] {
    return this.#anchors.anchoredAt(locations);
  }

  countByStaleness(): Record<AnchorState, number> {
    return this.#anchors.countByStaleness();
  }
}
