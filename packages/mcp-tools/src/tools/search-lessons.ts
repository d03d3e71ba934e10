import { limits } from '@nellie/core';
import { z } from 'zod';
import { lessonHeadline, lessonPreview } from '../internal/describe-memory.ts';
import { formatScore, indent, plural } from '../internal/format.ts';
import { embedQuery } from '../internal/query-embedding.ts';
import {
  lessonViewSchema,
  limitSchema,
  querySchema,
  repoFilterSchema,
  scoreBreakdownSchema,
  searchModeSchema,
  severitySchema,
  tagSchema,
} from '../internal/schemas.ts';
import { defineTool, readOnly } from '../internal/tool.ts';

export const searchLessonsTool = defineTool({
  name: 'search_lessons',
  config: {
    title: 'Search lessons',
    description:
      'Find lessons learned (pitfalls, fixes, conventions, decisions) relevant to a task, by ' +
      'meaning and keywords. Call it before starting work in an area or when something fails in ' +
      'a way that feels familiar. Filter by tags (all must match), severity and repo. Returns ' +
      'each lesson’s id, severity, title, tags and a preview; get_lesson gives the full text. ' +
      'To browse without a query use list_lessons.',
    inputSchema: z.strictObject({
      query: querySchema,
      tags: z
        .array(tagSchema)
        .max(limits.lessonTags)
        .optional()
        .describe('Only lessons having every one of these tags.'),
      severity: severitySchema.optional().describe('Only lessons of this severity.'),
      repo: repoFilterSchema.optional(),
      limit: limitSchema(10, limits.searchResults),
    }),
    outputSchema: z.object({
      query: z.string(),
      mode: searchModeSchema,
      note: z.string().optional(),
      results: z.array(
        z.object({ lesson: lessonViewSchema, score: z.number(), scores: scoreBreakdownSchema }),
      ),
    }),
    annotations: { ...readOnly, title: 'Search lessons' },
  },
  createHandler: (deps) => async (args, context) => {
    const embedding = await embedQuery(deps, args.query, context.signal, 'search_lessons');
    const hits = await deps.store.searchLessons({
      query: args.query,
      limit: args.limit,
      ...(embedding.vector === undefined ? {} : { queryVector: embedding.vector }),
      ...(args.tags === undefined ? {} : { tags: args.tags }),
      ...(args.severity === undefined ? {} : { severity: args.severity }),
      ...(args.repo === undefined ? {} : { repo: args.repo }),
    });
    const lines =
      hits.length === 0
        ? [`No lesson matched "${args.query}". Try other words or fewer filters, or list_lessons.`]
        : [`${plural(hits.length, 'lesson')} for "${args.query}":`];
    if (embedding.note !== undefined) lines.push(embedding.note);
    hits.forEach((hit, index) => {
      lines.push(
        `${index + 1}. ${lessonHeadline(hit.lesson)} score ${formatScore(hit.score)}`,
        indent([lessonPreview(hit.lesson)]),
      );
    });
    return {
      text: lines.join('\n'),
      data: {
        query: args.query,
        mode: embedding.mode,
        ...(embedding.note === undefined ? {} : { note: embedding.note }),
        results: hits,
      },
    };
  },
});
