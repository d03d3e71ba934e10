/* eslint-disable @typescript-eslint/require-await -- an in-memory fake of asynchronous contracts */
import {
  anchorStates,
  formatLessonForEmbedding,
  limits,
  NellieError,
  stalenessScoreFactor,
  type Lesson,
  type LessonInput,
} from '@nellie/core';
import type { MemoryAnchors } from './anchors.ts';
import { checkQuery, fuse } from './hybrid-search.ts';
import type { LessonRecord, MemoryState, StoreMethods } from './state.ts';
import {
  checkKeys,
  invalid,
  limitOf,
  offsetOf,
  optionalText,
  severityOf,
  sha256,
  tagsOf,
  text,
} from './validation.ts';

export type LessonMethod =
  | 'addLesson'
  | 'updateLesson'
  | 'getLesson'
  | 'listLessons'
  | 'deleteLesson'
  | 'searchLessons'
  | 'confirmLesson'
  | 'lessonsAnchoredAt'
  | 'countLessonsByStaleness'
  | 'refreshAnchors';

/** The lesson as the store answers it: a copy, with its anchors and staleness. */
export function publicLessonOf(anchors: MemoryAnchors): (record: LessonRecord) => Lesson {
  return ({ seq: _seq, contentHash: _hash, ...lesson }) => ({
    ...lesson,
    tags: [...lesson.tags],
    anchors: anchors.anchorsOf(lesson.id),
    staleness: anchors.stalenessOf(lesson.id),
  });
}

/** Lessons, their anchors to code and lesson search. */
export function lessonMethods(state: MemoryState): StoreMethods<LessonMethod> {
  const { lessons, anchors, newId, nextSeq, now, repositoryFor, collectVectors } = state;
  const publicLesson = publicLessonOf(anchors);
  const matchesLesson = (
    lesson: Lesson,
    filters: {
      tags?: readonly string[];
      severity?: string;
      repository?: string;
      agent?: string;
      staleness?: readonly string[];
    },
  ): boolean =>
    (filters.tags ?? []).every((tag) =>
      lesson.tags.some((own) => own.toLowerCase() === tag.toLowerCase()),
    ) &&
    (filters.severity === undefined || lesson.severity === filters.severity) &&
    (filters.repository === undefined || lesson.repository === filters.repository) &&
    (filters.agent === undefined || lesson.agent === filters.agent) &&
    (filters.staleness === undefined ||
      filters.staleness.length === 0 ||
      filters.staleness.includes(anchors.stalenessOf(lesson.id) ?? ''));
  const checkStaleness = (staleness: unknown): void => {
    if (staleness === undefined) return;
    if (
      !Array.isArray(staleness) ||
      staleness.some((value) => !(anchorStates as readonly unknown[]).includes(value))
    ) {
      throw invalid(`staleness must be a list of ${anchorStates.join(', ')}.`);
    }
  };

  const lessonRecord = (lesson: Lesson): Lesson & { seq: number; contentHash: string } => ({
    ...lesson,
    seq: nextSeq(),
    contentHash: sha256(`lesson\n${formatLessonForEmbedding(lesson)}`),
  });

  return {
    async addLesson(input: LessonInput) {
      if (typeof input !== 'object' || input === null) throw invalid('Give a lesson.');
      checkKeys(
        input,
        ['title', 'content', 'tags', 'severity', 'repository', 'agent', 'anchors', 'autoAnchor'],
        'lesson',
      );
      const at = now();
      const lesson = lessonRecord({
        id: `lesson_${newId().toString().padStart(6, '0')}`,
        title: text(input.title, 'title', limits.lessonTitleLength),
        content: text(input.content, 'content', limits.lessonContentLength),
        tags: tagsOf(input.tags),
        severity: input.severity === undefined ? 'info' : severityOf(input.severity),
        repository: optionalText(input.repository, 'repository', limits.repositoryLength),
        agent: optionalText(input.agent, 'agent', limits.agentLength),
        anchors: [],
        staleness: null,
        createdAt: at,
        updatedAt: at,
      });
      const explicit = anchors.resolve(input.anchors);
      const automatic =
        input.autoAnchor === false
          ? []
          : anchors.automatic(`${lesson.title}\n${lesson.content}`, lesson.repository);
      lessons.set(lesson.id, lesson);
      anchors.replace(lesson.id, [...explicit, ...automatic]);
      return publicLesson(lesson);
    },
    async updateLesson(id, patch) {
      const lesson = lessons.get(id);
      if (!lesson) throw new NellieError('NOT_FOUND', `No lesson with id ${id}.`);
      if (typeof patch !== 'object' || patch === null) throw invalid('Give the fields to change.');
      checkKeys(
        patch,
        ['title', 'content', 'tags', 'severity', 'repository', 'agent', 'anchors', 'autoAnchor'],
        'lesson',
      );
      const explicit =
        patch.anchors === undefined ? anchors.explicitOf(id) : anchors.resolve(patch.anchors);
      const updated = lessonRecord({
        ...publicLesson(lesson),
        ...(patch.title === undefined
          ? {}
          : { title: text(patch.title, 'title', limits.lessonTitleLength) }),
        ...(patch.content === undefined
          ? {}
          : { content: text(patch.content, 'content', limits.lessonContentLength) }),
        ...(patch.tags === undefined ? {} : { tags: tagsOf(patch.tags) }),
        ...(patch.severity === undefined ? {} : { severity: severityOf(patch.severity) }),
        ...(patch.repository === undefined
          ? {}
          : { repository: optionalText(patch.repository, 'repository', limits.repositoryLength) }),
        ...(patch.agent === undefined
          ? {}
          : { agent: optionalText(patch.agent, 'agent', limits.agentLength) }),
        updatedAt: now(),
      });
      if (updated.contentHash === lesson.contentHash) updated.seq = lesson.seq;
      lessons.set(id, updated);
      const textChanged = updated.title !== lesson.title || updated.content !== lesson.content;
      if (patch.anchors !== undefined || patch.autoAnchor !== undefined || textChanged) {
        const autoAnchor = patch.autoAnchor ?? (anchors.hasAutomatic(id) || textChanged);
        const automatic = autoAnchor
          ? anchors.automatic(`${updated.title}\n${updated.content}`, updated.repository)
          : [];
        anchors.replace(id, [...explicit, ...automatic]);
      }
      collectVectors();
      return publicLesson(updated);
    },
    async getLesson(id) {
      const lesson = lessons.get(id);
      return lesson ? publicLesson(lesson) : null;
    },
    async listLessons(request = {}) {
      checkKeys(
        request,
        ['tags', 'severity', 'repository', 'agent', 'staleness', 'limit', 'offset'],
        'lesson list',
      );
      checkStaleness(request.staleness);
      const limit = limitOf(request.limit, limits.pageSize, 50);
      const offset = offsetOf(request.offset);
      const all = [...lessons.values()]
        .filter((lesson) => matchesLesson(lesson, request))
        .sort((a, b) => (a.createdAt === b.createdAt ? 0 : a.createdAt < b.createdAt ? 1 : -1));
      return { items: all.slice(offset, offset + limit).map(publicLesson), total: all.length };
    },
    async deleteLesson(id) {
      const existed = lessons.delete(id);
      anchors.delete(id);
      collectVectors();
      return existed;
    },
    async searchLessons(request) {
      if (typeof request !== 'object' || request === null) throw invalid('Give a search request.');
      checkKeys(
        request,
        ['query', 'queryVector', 'limit', 'tags', 'severity', 'repository', 'agent', 'staleness'],
        'lesson search',
      );
      checkStaleness(request.staleness);
      const queryVector = checkQuery(state, request.query, request.queryVector);
      const limit = limitOf(request.limit, limits.searchResults, 10);
      if (request.severity !== undefined) severityOf(request.severity);
      const candidates = [...lessons.values()].filter((lesson) => matchesLesson(lesson, request));
      return fuse(
        state,
        request.query,
        queryVector,
        candidates,
        (lesson) => lesson.id,
        (lesson) => `${lesson.title} ${lesson.content} ${lesson.tags.join(' ')}`,
        (lesson) => lesson.contentHash,
        limit,
      )
        .map(({ item, score, scores }) => {
          const lesson = publicLesson(item);
          const factor = lesson.staleness === null ? 1 : stalenessScoreFactor[lesson.staleness];
          return { lesson, score: score * factor, scores };
        })
        .sort((a, b) => b.score - a.score);
    },
    async confirmLesson(id) {
      const lesson = lessons.get(id);
      if (!lesson) throw new NellieError('NOT_FOUND', `No lesson with id ${id}.`);
      anchors.confirm(id);
      return publicLesson(lesson);
    },
    async lessonsAnchoredAt(locations) {
      const rank = { critical: 0, warning: 1, info: 2 } as const;
      return locations.map((location) =>
        anchors
          .lessonsAt(location)
          .map((id) => lessons.get(id)!)
          .sort((a, b) =>
            rank[a.severity] !== rank[b.severity]
              ? rank[a.severity] - rank[b.severity]
              : a.createdAt < b.createdAt
                ? 1
                : -1,
          )
          .map((lesson) => ({
            id: lesson.id,
            title: lesson.title,
            severity: lesson.severity,
            staleness: anchors.stalenessOf(lesson.id)!,
          })),
      );
    },
    async countLessonsByStaleness() {
      return anchors.countByStaleness();
    },
    async refreshAnchors(repositoryId, paths) {
      repositoryFor(repositoryId);
      return (
        anchors.refresh(repositoryId, paths) + state.checkpointAnchors.refresh(repositoryId, paths)
      );
    },
  };
}
