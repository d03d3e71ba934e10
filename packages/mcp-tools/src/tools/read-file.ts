import { NellieError, codeMemories, describeCodeMemories, readFileLimits } from '@nellie/core';
import {
  codeMemoriesSchema,
  fileExcerptSchema,
  lineNumberSchema,
  repositoryFilePathSchema,
} from '@nellie/schemas';
import { z } from 'zod';
import { repositoryArgSchema } from '../internal/schemas.ts';
import { defineTool, readOnly } from '../internal/tool.ts';

export const readFileTool = defineTool({
  name: 'read_file',
  config: {
    title: 'Read an indexed file',
    description:
      `Read lines of an indexed file, e.g. around a search_code hit (at most ${readFileLimits.maxLines} ` +
      'lines / 64 KB per call; page with startLine using totalLines).',
    inputSchema: z.strictObject({
      repository: repositoryArgSchema,
      path: repositoryFilePathSchema,
      startLine: lineNumberSchema.optional().describe('1-based, default 1.'),
      endLine: lineNumberSchema.optional().describe('Inclusive.'),
    }),
    outputSchema: fileExcerptSchema.extend({ memories: codeMemoriesSchema.optional() }),
    annotations: readOnly,
  },
  createHandler: (deps) => async (args) => {
    if (!deps.store.readIndexedFile) {
      throw new NellieError('INVALID_OPTIONS', 'This server’s store cannot read files.');
    }
    const excerpt = await deps.store.readIndexedFile({
      repository: args.repository,
      path: args.path,
      ...(args.startLine === undefined ? {} : { startLine: args.startLine }),
      ...(args.endLine === undefined ? {} : { endLine: args.endLine }),
    });
    const notes = [
      excerpt.truncated
        ? `Stopped at the size limit; continue with startLine ${excerpt.endLine + 1}.`
        : null,
      excerpt.changedSinceIndexed ? 'The file changed on disk since it was indexed.' : null,
    ];
    const [anchored = []] = await deps.store.lessonsAnchoredAt([excerpt]);
    const memories = anchored.length === 0 ? undefined : codeMemories(anchored);
    if (memories !== undefined) {
      notes.push(
        `Lessons anchored here: ${describeCodeMemories(memories)}: ` +
          memories.lessons
            .map((lesson) => `[${lesson.severity}] ${lesson.title} (id ${lesson.id})`)
            .join('; '),
      );
    }
    const header =
      `${excerpt.repository}:${excerpt.path}:${excerpt.startLine}-${excerpt.endLine} ` +
      `of ${excerpt.totalLines} lines (${excerpt.absolutePath})`;
    return {
      text: [header, ...notes.filter((note) => note !== null), '', excerpt.content].join('\n'),
      data: memories === undefined ? excerpt : { ...excerpt, memories },
    };
  },
});
