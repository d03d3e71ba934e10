import { answerLessonSearch } from '@nellie/core';
import {
  lessonSearchQueryFields,
  requestedMode,
  resolveDeprecatedFields,
  scoreBreakdownSchema,
  searchResponseSchema,
  withUnlistedDeprecatedFields,
} from '@nellie/schemas';
import { z } from 'zod';
import { lessonHeadline, lessonPreview } from '../internal/describe-memory.ts';
import { formatScore, indent, plural } from '../internal/format.ts';
import { lessonViewSchema } from '../internal/schemas.ts';
import { defineTool, readOnly } from '../internal/tool.ts';

export const searchLessonsTool = defineTool({
  name: 'search_lessons',
  config: {
    title: 'Search lessons',
    description:
      'Find lessons relevant to a task. Call it before working in an area or when a failure feels familiar.',
    inputSchema: withUnlistedDeprecatedFields({
      ...lessonSearchQueryFields,
      tags: lessonSearchQueryFields.tags.describe('All must match.'),
    }),
    outputSchema: searchResponseSchema(
      z.object({ lesson: lessonViewSchema, score: z.number(), scores: scoreBreakdownSchema }),
    ),
    annotations: readOnly,
  },
  createHandler: (deps) => async (args, context) => {
    const { mode, ...filters } = resolveDeprecatedFields(args);
    const answer = await answerLessonSearch(deps, {
      ...filters,
      mode: requestedMode(mode),
      signal: context.signal,
    });
    const { hits } = answer;
    const lines =
      hits.length === 0
        ? [`No lesson matched "${args.query}". Try other words or fewer filters, or list_lessons.`]
        : [`${plural(hits.length, 'lesson')} for "${args.query}":`];
    if (answer.notice !== undefined) lines.push(answer.notice);
    hits.forEach((hit, index) => {
      lines.push(
        `${index + 1}. ${lessonHeadline(hit.lesson)} score ${formatScore(hit.score)}`,
        indent([lessonPreview(hit.lesson)]),
      );
    });
    return {
      text: lines.join('\n'),
      data: answer,
    };
  },
});
