import { idSchema } from '@nellie/schemas';
import { z } from 'zod';
import { audit } from '../internal/audit.ts';
import { lessonNotFound } from '../internal/not-found.ts';
import { defineTool } from '../internal/tool.ts';

export const deleteLessonTool = defineTool({
  name: 'delete_lesson',
  config: {
    title: 'Delete a lesson',
    description: 'Permanently delete a wrong or obsolete lesson (prefer update_lesson to fix one).',
    inputSchema: z.strictObject({ id: idSchema }),
    outputSchema: z.object({ id: z.string(), deleted: z.boolean() }),
    annotations: {
      readOnlyHint: false,
      destructiveHint: true,
      idempotentHint: true,
      openWorldHint: false,
    },
  },
  createHandler: (deps) => async (args, context) => {
    const deleted = await deps.store.deleteLesson(args.id);
    if (!deleted) throw lessonNotFound(args.id);
    await audit(deps, context, { action: 'lesson.delete', target: args.id, details: null });
    return { text: `Deleted lesson ${args.id}.`, data: { id: args.id, deleted } };
  },
});
