import { limits } from '@nellie/core';
import { z } from 'zod';
import { checkpointHeadline, checkpointStatePreview } from '../internal/describe-memory.ts';
import { formatScore, indent, plural } from '../internal/format.ts';
import { embedQuery } from '../internal/query-embedding.ts';
import {
  agentSchema,
  checkpointViewSchema,
  limitSchema,
  querySchema,
  repoFilterSchema,
  scoreBreakdownSchema,
  searchModeSchema,
} from '../internal/schemas.ts';
import { defineTool, readOnly } from '../internal/tool.ts';

export const searchCheckpointsTool = defineTool({
  name: 'search_checkpoints',
  config: {
    title: 'Search checkpoints',
    description:
      'Find past checkpoints by what was being worked on and their saved state, by meaning and ' +
      'keywords, optionally for one agent or repo. Use it to learn whether a task was already ' +
      'started or how it was approached ("migrate auth to OAuth"). For the latest checkpoints ' +
      'regardless of topic use get_recent_checkpoints.',
    inputSchema: z.strictObject({
      query: querySchema,
      agent: agentSchema.optional().describe('Only this agent’s checkpoints.'),
      repo: repoFilterSchema.optional(),
      limit: limitSchema(10, limits.searchResults),
    }),
    outputSchema: z.object({
      query: z.string(),
      mode: searchModeSchema,
      note: z.string().optional(),
      results: z.array(
        z.object({
          checkpoint: checkpointViewSchema,
          score: z.number(),
          scores: scoreBreakdownSchema,
        }),
      ),
    }),
    annotations: { ...readOnly, title: 'Search checkpoints' },
  },
  createHandler: (deps) => async (args, context) => {
    const embedding = await embedQuery(deps, args.query, context.signal, 'search_checkpoints');
    const hits = await deps.store.searchCheckpoints({
      query: args.query,
      limit: args.limit,
      ...(embedding.vector === undefined ? {} : { queryVector: embedding.vector }),
      ...(args.agent === undefined ? {} : { agent: args.agent }),
      ...(args.repo === undefined ? {} : { repo: args.repo }),
    });
    const lines =
      hits.length === 0
        ? [`No checkpoint matched "${args.query}". Try other words, or get_recent_checkpoints.`]
        : [`${plural(hits.length, 'checkpoint')} for "${args.query}":`];
    if (embedding.note !== undefined) lines.push(embedding.note);
    hits.forEach((hit, index) => {
      lines.push(
        `${index + 1}. ${checkpointHeadline(hit.checkpoint)} score ${formatScore(hit.score)}`,
      );
      const state = checkpointStatePreview(hit.checkpoint);
      if (state !== null) lines.push(indent([state]));
    });
    return {
      text: lines.join('\n'),
      data: {
        query: args.query,
        mode: embedding.mode,
        ...(embedding.note === undefined ? {} : { note: embedding.note }),
        results: hits,
      },
    };
  },
});
