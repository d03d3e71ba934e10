import { idSchema } from '@nellie/schemas';
import { z } from 'zod';
import { lessonFull } from '../internal/describe-memory.ts';
import { lessonNotFound } from '../internal/not-found.ts';
import { lessonViewSchema } from '../internal/schemas.ts';
import { defineTool, readOnly } from '../internal/tool.ts';

export const getLessonTool = defineTool({
  name: 'get_lesson',
  config: {
    title: 'Read a lesson',
    description: 'Read one lesson in full by id.',
    inputSchema: z.strictObject({ id: idSchema }),
    outputSchema: z.object({ lesson: lessonViewSchema }),
    annotations: readOnly,
  },
  createHandler: (deps) => async (args) => {
    const lesson = await deps.store.getLesson(args.id);
    if (lesson === null) throw lessonNotFound(args.id);
    return { text: lessonFull(lesson), data: { lesson } };
  },
});
