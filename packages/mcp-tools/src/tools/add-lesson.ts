import { z } from 'zod';
import { audit } from '../internal/audit.ts';
import { lessonHeadline } from '../internal/describe-memory.ts';
import {
  agentSchema,
  lessonContentSchema,
  lessonRepoSchema,
  lessonTagsSchema,
  lessonTitleSchema,
  lessonViewSchema,
  severitySchema,
} from '../internal/schemas.ts';
import { defineTool } from '../internal/tool.ts';

export const addLessonTool = defineTool({
  name: 'add_lesson',
  config: {
    title: 'Record a lesson',
    description:
      'Save a lesson learned so that you and other agents find it later with search_lessons: a ' +
      'pitfall, a fix that worked, a convention, a decision and its reason. Write the title as ' +
      'the advice itself and the content so it makes sense without today’s context. Severity: ' +
      '`critical` (breaks things if ignored), `warning`, `info` (default). Returns the new lesson ' +
      'and its id. To change an existing lesson use update_lesson instead of adding a duplicate.',
    inputSchema: z.strictObject({
      title: lessonTitleSchema,
      content: lessonContentSchema,
      tags: lessonTagsSchema.default([]),
      severity: severitySchema.default('info').describe('critical, warning or info (default).'),
      repo: lessonRepoSchema.optional(),
      agent: agentSchema.optional().describe('Who learned it (your agent name), if known.'),
    }),
    outputSchema: z.object({ lesson: lessonViewSchema }),
    annotations: {
      title: 'Record a lesson',
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
      repo: args.repo ?? null,
      agent: args.agent ?? null,
    });
    await audit(deps, context, {
      action: 'lesson.create',
      target: lesson.id,
      details: { severity: lesson.severity, tags: lesson.tags.length, repo: lesson.repo },
    });
    return { text: `Saved lesson ${lessonHeadline(lesson)}.`, data: { lesson } };
  },
});
