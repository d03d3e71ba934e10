import { limits } from '@nellie/core';
import {
  limitSchema,
  offsetSchema,
  repositoryFilterSchema,
  resolveDeprecatedFields,
  severitySchema,
  withUnlistedDeprecatedFields,
} from '@nellie/schemas';
import { z } from 'zod';
import { lessonHeadline, lessonPreview } from '../internal/describe-memory.ts';
import { indent } from '../internal/format.ts';
import { agentSchema, lessonViewSchema, tagSchema } from '../internal/schemas.ts';
import { defineTool, readOnly } from '../internal/tool.ts';

export const listLessonsTool = defineTool({
  name: 'list_lessons',
  config: {
    title: 'List lessons',
    description: 'Browse lessons newest first, with filters and paging.',
    inputSchema: withUnlistedDeprecatedFields({
      tags: z.array(tagSchema).max(limits.lessonTags).optional().describe('All must match.'),
      severity: severitySchema.optional().describe('Only this severity.'),
      repository: repositoryFilterSchema.optional(),
      agent: agentSchema.optional().describe('Only lessons recorded by this agent.'),
      limit: limitSchema(limits.pageSize, 20),
      offset: offsetSchema,
    }),
    outputSchema: z.object({
      lessons: z.array(lessonViewSchema),
      total: z.number(),
      offset: z.number(),
      nextOffset: z
        .number()
        .nullable()
        .describe('Offset of the next page, or null on the last page.'),
    }),
    annotations: readOnly,
  },
  createHandler: (deps) => async (args) => {
    const repository = resolveDeprecatedFields(args).repository;
    const page = await deps.store.listLessons({
      limit: args.limit,
      offset: args.offset,
      ...(args.tags === undefined ? {} : { tags: args.tags }),
      ...(args.severity === undefined ? {} : { severity: args.severity }),
      ...(repository === undefined ? {} : { repository }),
      ...(args.agent === undefined ? {} : { agent: args.agent }),
    });
    const end = args.offset + page.items.length;
    const nextOffset = end < page.total && page.items.length > 0 ? end : null;
    const lines: string[] = [];
    if (page.items.length === 0) {
      lines.push(
        page.total === 0
          ? 'No lessons match. Record one with add_lesson.'
          : `No lessons at offset ${args.offset}; there are ${page.total} in all.`,
      );
    } else {
      lines.push(`Lessons ${args.offset + 1}-${end} of ${page.total}, newest first:`);
      page.items.forEach((lesson, index) => {
        lines.push(
          `${args.offset + index + 1}. ${lessonHeadline(lesson)}`,
          indent([lessonPreview(lesson)]),
        );
      });
      if (nextOffset !== null) lines.push(`More: call again with offset ${nextOffset}.`);
    }
    return {
      text: lines.join('\n'),
      data: { lessons: page.items, total: page.total, offset: args.offset, nextOffset },
    };
  },
});
