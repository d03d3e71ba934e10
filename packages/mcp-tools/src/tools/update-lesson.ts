import { NellieError, limits, type LessonInput } from '@nellie/core';
import {
  idSchema,
  resolveDeprecatedFields,
  severitySchema,
  storedTextSchema,
  withUnlistedDeprecatedFields,
} from '@nellie/schemas';
import { z } from 'zod';
import { audit } from '../internal/audit.ts';
import { lessonHeadline } from '../internal/describe-memory.ts';
import {
  lessonContentSchema,
  lessonTagsSchema,
  lessonTitleSchema,
  lessonViewSchema,
} from '../internal/schemas.ts';
import { lessonNotFound } from '../internal/not-found.ts';
import { defineTool } from '../internal/tool.ts';

export const updateLessonTool = defineTool({
  name: 'update_lesson',
  config: {
    title: 'Update a lesson',
    description:
      'Change fields of a lesson (tags replace the old ones; repository null detaches it).',
    inputSchema: withUnlistedDeprecatedFields({
      id: idSchema,
      title: lessonTitleSchema.optional(),
      content: lessonContentSchema.optional(),
      tags: lessonTagsSchema.optional().describe('Replaces all tags of the lesson.'),
      severity: severitySchema.optional().describe('critical, warning or info.'),
      repository: storedTextSchema('repository', limits.repositoryLength)
        .nullable()
        .optional()
        .describe('Repository name or path; null to clear.'),
      confirm: z.boolean().optional().describe('true: it still holds; re-anchor to the code now.'),
    }),
    outputSchema: z.object({ lesson: lessonViewSchema, changed: z.array(z.string()) }),
    annotations: {
      readOnlyHint: false,
      destructiveHint: true,
      idempotentHint: true,
      openWorldHint: false,
    },
  },
  createHandler: (deps) => async (args, context) => {
    const patch: Partial<LessonInput> = {};
    if (args.title !== undefined) patch.title = args.title;
    if (args.content !== undefined) patch.content = args.content;
    if (args.tags !== undefined) patch.tags = args.tags;
    if (args.severity !== undefined) patch.severity = args.severity;
    const repository = resolveDeprecatedFields(args).repository;
    if (repository !== undefined) patch.repository = repository;
    const changed = Object.keys(patch);
    if (args.confirm === true) changed.push('confirm');
    if (changed.length === 0) {
      throw new NellieError(
        'INVALID_INPUT',
        'Nothing to update: give at least one of title, content, tags, severity, repository or confirm.',
      );
    }
    let lesson;
    try {
      if (Object.keys(patch).length > 0) lesson = await deps.store.updateLesson(args.id, patch);
      if (args.confirm === true) lesson = await deps.store.confirmLesson(args.id);
      if (lesson === undefined) throw lessonNotFound(args.id);
    } catch (error) {
      if (NellieError.is(error) && error.code === 'NOT_FOUND') throw lessonNotFound(args.id);
      throw error;
    }
    await audit(deps, context, {
      action: 'lesson.update',
      target: lesson.id,
      details: { fields: changed },
    });
    return {
      text: `Updated ${changed.join(', ')} of lesson ${lessonHeadline(lesson)}.`,
      data: { lesson, changed },
    };
  },
});
