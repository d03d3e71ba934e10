import {
  parseAnchorReferences,
  resolveDeprecatedFields,
  severitySchema,
  withUnlistedDeprecatedFields,
} from '@nellie/schemas';
import { z } from 'zod';
import { audit } from '../internal/audit.ts';
import { lessonHeadline } from '../internal/describe-memory.ts';
import {
  agentSchema,
  lessonAnchorsSchema,
  lessonContentSchema,
  lessonRepoSchema,
  lessonTagsSchema,
  lessonTitleSchema,
  lessonViewSchema,
} from '../internal/schemas.ts';
import { defineTool } from '../internal/tool.ts';

export const addLessonTool = defineTool({
  name: 'add_lesson',
  config: {
    title: 'Record a lesson',
    description:
      "Record a lesson learned (pitfall, fix, convention, decision) for search_lessons. Title: the advice; content: readable without today's context.",
    inputSchema: withUnlistedDeprecatedFields({
      title: lessonTitleSchema,
      content: lessonContentSchema,
      tags: lessonTagsSchema.default([]),
      severity: severitySchema.default('info').describe('critical, warning or info (default).'),
      repository: lessonRepoSchema.optional(),
      agent: agentSchema.optional().describe('Who learned it (your agent name), if known.'),
      anchors: lessonAnchorsSchema.optional(),
    }),
    outputSchema: z.object({ lesson: lessonViewSchema }),
    annotations: {
      readOnlyHint: false,
      destructiveHint: false,
      idempotentHint: false,
      openWorldHint: false,
    },
  },
  createHandler: (deps) => async (args, context) => {
    const lesson = await deps.store.addLesson({
      title: args.title,
      content: args.content,
      tags: args.tags,
      severity: args.severity,
      repository: resolveDeprecatedFields(args).repository ?? null,
      agent: args.agent ?? null,
      ...(args.anchors === undefined ? {} : { anchors: parseAnchorReferences(args.anchors) }),
    });
    await audit(deps, context, {
      action: 'lesson.create',
      target: lesson.id,
      details: {
        severity: lesson.severity,
        tags: lesson.tags.length,
        repository: lesson.repository,
      },
    });
    return { text: `Saved lesson ${lessonHeadline(lesson)}.`, data: { lesson } };
  },
});
