import { answerCheckpointSearch } from '@nellie/core';
import {
  checkpointSearchQueryFields,
  requestedMode,
  resolveDeprecatedFields,
  scoreBreakdownSchema,
  searchResponseSchema,
  withUnlistedDeprecatedFields,
} from '@nellie/schemas';
import { z } from 'zod';
import { checkpointHeadline, checkpointStatePreview } from '../internal/describe-memory.ts';
import { formatScore, indent, plural } from '../internal/format.ts';
import { checkpointViewSchema } from '../internal/schemas.ts';
import { defineTool, readOnly } from '../internal/tool.ts';

export const searchCheckpointsTool = defineTool({
  name: 'search_checkpoints',
  config: {
    title: 'Search checkpoints',
    description: 'Find past checkpoints by topic, to learn whether a task was started and how.',
    inputSchema: withUnlistedDeprecatedFields(checkpointSearchQueryFields),
    outputSchema: searchResponseSchema(
      z.object({
        checkpoint: checkpointViewSchema,
        score: z.number(),
        scores: scoreBreakdownSchema,
      }),
    ),
    annotations: readOnly,
  },
  createHandler: (deps) => async (args, context) => {
    const { mode, ...filters } = resolveDeprecatedFields(args);
    const answer = await answerCheckpointSearch(deps, {
      ...filters,
      mode: requestedMode(mode),
      signal: context.signal,
    });
    const { hits } = answer;
    const lines =
      hits.length === 0
        ? [`No checkpoint matched "${args.query}". Try other words, or get_recent_checkpoints.`]
        : [`${plural(hits.length, 'checkpoint')} for "${args.query}":`];
    if (answer.notice !== undefined) lines.push(answer.notice);
    hits.forEach((hit, index) => {
      lines.push(
        `${index + 1}. ${checkpointHeadline(hit.checkpoint)} score ${formatScore(hit.score)}`,
      );
      const state = checkpointStatePreview(hit.checkpoint);
      if (state !== null) lines.push(indent([state]));
    });
    return {
      text: lines.join('\n'),
      data: answer,
    };
  },
});
