import { NellieError, answerLessonSearch, type AnchorState } from '@nellie/core';
import { lessonSearchQuerySchema, requestedMode, resolveDeprecatedFields } from '@nellie/schemas';
import { signalOf } from '../internal/env.ts';
import type { RouteDeps } from '../internal/route-deps.ts';
import { defineRoute, type RouteDefinition } from '../internal/route-table.ts';
import {
  errorBodySchema,
  lessonCreateSchema,
  lessonIdParams,
  lessonListQuerySchema,
  lessonPageSchema,
  lessonPatchSchema,
  lessonSchema,
  lessonSearchResultSchema,
} from '../internal/schemas.ts';

const invalid = { description: 'Invalid request.', schema: errorBodySchema };
const notFound = { description: 'No lesson with this id.', schema: errorBodySchema };

export function lessonRoutes(deps: RouteDeps): RouteDefinition[] {
  const { store } = deps;
  return [
    defineRoute({
      method: 'post',
      path: '/lessons',
      operationId: 'createLesson',
      summary: 'Record a lesson',
      tag: 'lessons',
      body: lessonCreateSchema,
      responses: { 201: { description: 'The stored lesson.', schema: lessonSchema }, 400: invalid },
      async handler({ body, c }) {
        const lesson = await store.addLesson(resolveDeprecatedFields(body));
        await deps.audit(c, 'lesson.create', lesson.id, {
          severity: lesson.severity,
          tags: lesson.tags,
          repository: lesson.repository,
        });
        return { status: 201, body: lesson };
      },
    }),
    defineRoute({
      method: 'post',
      path: '/lessons/search',
      operationId: 'searchLessons',
      summary: 'Search lessons',
      tag: 'lessons',
      body: lessonSearchQuerySchema,
      responses: {
        200: { description: 'Matching lessons, best first.', schema: lessonSearchResultSchema },
        400: invalid,
      },
      async handler({ body, c }) {
        const { mode, ...filters } = resolveDeprecatedFields(body);
        const answer = await answerLessonSearch(deps, {
          ...filters,
          mode: requestedMode(mode),
          signal: signalOf(c),
        });
        return { status: 200, body: answer };
      },
    }),
    defineRoute({
      method: 'get',
      path: '/lessons',
      operationId: 'listLessons',
      summary: 'List lessons, newest first',
      tag: 'lessons',
      query: lessonListQuerySchema,
      responses: {
        200: { description: 'A page of lessons.', schema: lessonPageSchema },
        400: invalid,
      },
      async handler({ query }) {
        const { staleness, ...filters } = resolveDeprecatedFields(query);
        const page = await store.listLessons({
          ...filters,
          ...(staleness && staleness.length > 0 ? { staleness: staleness as AnchorState[] } : {}),
          tags: query.tags && query.tags.length > 0 ? query.tags : undefined,
        });
        return { status: 200, body: page };
      },
    }),
    defineRoute({
      method: 'get',
      path: '/lessons/:id',
      operationId: 'getLesson',
      summary: 'Get a lesson',
      tag: 'lessons',
      params: lessonIdParams,
      responses: { 200: { description: 'The lesson.', schema: lessonSchema }, 404: notFound },
      async handler({ params }) {
        const lesson = await store.getLesson(params.id);
        if (!lesson) throw lessonNotFound(params.id);
        return { status: 200, body: lesson };
      },
    }),
    defineRoute({
      method: 'patch',
      path: '/lessons/:id',
      operationId: 'updateLesson',
      summary: 'Change fields of a lesson',
      tag: 'lessons',
      params: lessonIdParams,
      body: lessonPatchSchema,
      responses: {
        200: { description: 'The updated lesson.', schema: lessonSchema },
        400: invalid,
        404: notFound,
      },
      async handler({ params, body, c }) {
        const patch = resolveDeprecatedFields(body);
        const lesson = await store.updateLesson(params.id, patch);
        await deps.audit(c, 'lesson.update', lesson.id, { fields: Object.keys(patch) });
        return { status: 200, body: lesson };
      },
    }),
    defineRoute({
      method: 'post',
      path: '/lessons/:id/confirm',
      operationId: 'confirmLesson',
      summary: 'Confirm a lesson still holds',
      description:
        'Re-anchors the lesson to its code as it is now (state current); anchors whose code is gone are dropped. A lesson that no longer holds is retired with DELETE.',
      tag: 'lessons',
      params: lessonIdParams,
      responses: {
        200: { description: 'The confirmed lesson.', schema: lessonSchema },
        404: notFound,
      },
      async handler({ params, c }) {
        let lesson;
        try {
          lesson = await store.confirmLesson(params.id);
        } catch (error) {
          if (NellieError.is(error) && error.code === 'NOT_FOUND') throw lessonNotFound(params.id);
          throw error;
        }
        await deps.audit(c, 'lesson.confirm', lesson.id, { anchors: lesson.anchors.length });
        return { status: 200, body: lesson };
      },
    }),
    defineRoute({
      method: 'delete',
      path: '/lessons/:id',
      operationId: 'deleteLesson',
      summary: 'Delete a lesson',
      tag: 'lessons',
      params: lessonIdParams,
      responses: { 204: { description: 'Deleted.' }, 404: notFound },
      async handler({ params, c }) {
        const deleted = await store.deleteLesson(params.id);
        if (!deleted) throw lessonNotFound(params.id);
        await deps.audit(c, 'lesson.delete', params.id);
        return { status: 204 };
      },
    }),
  ];
}

function lessonNotFound(id: string): NellieError {
  return new NellieError('NOT_FOUND', `No lesson with id ${id}.`);
}
