import { answerCheckpointSearch } from '@nellie/core';
import { z } from 'zod';
import { checkpointHeadline, checkpointStatePreview } from '../internal/describe-memory.ts';
import { formatScore, indent, plural } from '../internal/format.ts';
import {
  agentSchema,
  aliased,
  checkpointViewSchema,
  deprecatedArgument,
  withDeprecatedAliases,
  querySchema,
  repoFilterSchema,
  requestedMode,
  scoreBreakdownSchema,
  searchLimitSchema,
  searchModeSchema,
  searchRequestModeSchema,
} from '../internal/schemas.ts';
import { defineTool, readOnly } from '../internal/tool.ts';

export const searchCheckpointsTool = defineTool({
  name: 'search_checkpoints',
  config: {
    title: 'Search checkpoints',
    description: 'Find past checkpoints by topic, to learn whether a task was started and how.',
    inputSchema: withDeprecatedAliases(
      {
        query: querySchema,
        agent: agentSchema.optional().describe('Only this agent’s checkpoints.'),
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
        z.object({
          checkpoint: checkpointViewSchema,
          score: z.number(),
          scores: scoreBreakdownSchema,
        }),
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
    const answer = await answerCheckpointSearch(deps, {
      query: args.query,
      limit: args.limit,
      mode: requestedMode(args.mode),
      signal: context.signal,
      ...(args.agent === undefined ? {} : { agent: args.agent }),
      ...(repository === undefined ? {} : { repository }),
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
