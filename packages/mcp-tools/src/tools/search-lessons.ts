import { answerLessonSearch, limits } from '@nellie/core';
import { z } from 'zod';
import { lessonHeadline, lessonPreview } from '../internal/describe-memory.ts';
import { formatScore, indent, plural } from '../internal/format.ts';
import {
  aliased,
  deprecatedArgument,
  withDeprecatedAliases,
  lessonViewSchema,
  querySchema,
  repoFilterSchema,
  requestedMode,
  scoreBreakdownSchema,
  searchLimitSchema,
  searchModeSchema,
  searchRequestModeSchema,
  severitySchema,
  stalenessFilterSchema,
  tagSchema,
} from '../internal/schemas.ts';
import { defineTool, readOnly } from '../internal/tool.ts';

export const searchLessonsTool = defineTool({
  name: 'search_lessons',
  config: {
    title: 'Search lessons',
    description:
      'Find lessons relevant to a task. Call it before working in an area or when a failure feels familiar.',
    inputSchema: withDeprecatedAliases(
      {
        query: querySchema,
        tags: z.array(tagSchema).max(limits.lessonTags).optional().describe('All must match.'),
        severity: severitySchema.optional().describe('Only this severity.'),
        staleness: stalenessFilterSchema.optional(),
        repository: repoFilterSchema.optional(),
        limit: searchLimitSchema,
        mode: searchRequestModeSchema,
      },
      { repo: { current: 'repository', schema: repoFilterSchema } },
    ),
    outputSchema: z.object({
      query: z.string(),
      mode: searchModeSchema,
      notice: z.string().optional(),
      hits: z.array(
        z.object({ lesson: lessonViewSchema, score: z.number(), scores: scoreBreakdownSchema }),
      ),
    }),
    annotations: readOnly,
  },
  createHandler: (deps) => async (args, context) => {
    const repository = aliased(
      args.repository,
      deprecatedArgument(args, 'repo'),
      'repository and repo',
    );
    const answer = await answerLessonSearch(deps, {
      query: args.query,
      limit: args.limit,
      mode: requestedMode(args.mode),
      signal: context.signal,
      ...(args.tags === undefined ? {} : { tags: args.tags }),
      ...(args.severity === undefined ? {} : { severity: args.severity }),
      ...(args.staleness === undefined ? {} : { staleness: args.staleness }),
      ...(repository === undefined ? {} : { repository }),
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
