import { searchGroupings, searchModes } from '@nellie/core';
import { z } from 'zod';
import { codeMemoriesSchema } from './anchors.ts';
import { codeLocationFields } from './fields.ts';

// The search answer vocabulary of @nellie/core (`SearchResponse`, `CodeSearchResponse`) as zod
// schemas: REST documents its responses with them, MCP declares them as tool output schemas.

export const searchModeSchema = z
  .enum(searchModes)
  .describe('hybrid: keyword and semantic ranking fused; keyword: keyword matches only.');

export const scoreBreakdownSchema = z.object({
  fused: z.number(),
  lexical: z.object({ rank: z.number().int(), score: z.number() }).optional(),
  vector: z.object({ rank: z.number().int(), similarity: z.number() }).optional(),
});

/** Fields every search answer has besides its hits. */
const searchAnswerFields = {
  query: z.string(),
  mode: searchModeSchema,
  notice: z.string().optional().describe('Why the search was keyword-only, when it was.'),
};

/** A search answer: the query, how it was ranked, why not semantically, and the hits. */
export function searchResponseSchema<Hit extends z.ZodType>(
  hit: Hit,
): z.ZodObject<typeof searchAnswerFields & { hits: z.ZodArray<Hit> }> {
  return z.object({ ...searchAnswerFields, hits: z.array(hit) });
}

function codeSearchSchemas<Content extends z.ZodType>(content: Content) {
  const hit = z.object({
    chunkId: z.number().int(),
    ...codeLocationFields,
    symbolName: z.string().nullable(),
    symbolKind: z.string().nullable(),
    enclosingSymbol: z.string().nullable(),
    language: z.string().nullable(),
    content,
    score: z.number(),
    scores: scoreBreakdownSchema,
    freshness: z.object({
      indexedAt: z.string(),
      changedSinceIndexed: z.boolean().nullable(),
    }),
    memories: codeMemoriesSchema.optional(),
  });
  const file = z.object({
    repository: z.string(),
    rootPath: z.string(),
    path: z.string(),
    absolutePath: z.string(),
    language: z.string().nullable(),
    score: z.number().describe("The score of the file's best chunk."),
    chunks: z.array(hit).describe("The file's best chunks, best first."),
  });
  const response = z.object({
    ...searchAnswerFields,
    groupBy: z.enum(searchGroupings),
    hits: z
      .union([z.array(hit), z.array(file)])
      .describe('Chunks (groupBy chunk) or files (groupBy file), best first.'),
  });
  return { hit, file, response };
}

const withContent = codeSearchSchemas(z.string());

/** One matching chunk with its full location, symbol, content and scores. */
export const codeSearchHitSchema = withContent.hit;
/** A file with its best chunks, when code results are grouped by file. */
export const codeFileHitSchema = withContent.file;
/** The code search answer. */
export const codeSearchResponseSchema = withContent.response;
/** The code search answer with chunk text optional: MCP leaves it out unless asked for. */
export const codeSearchOutlineResponseSchema = codeSearchSchemas(z.string().optional()).response;

/** The error body of every interface: REST answers it with a 4xx/5xx status, MCP in `isError`. */
export const errorBodySchema = z.object({
  error: z.object({
    code: z.string().describe('Stable machine-readable code, e.g. INVALID_INPUT, NOT_FOUND.'),
    message: z.string().describe('What went wrong and what to do, for a person to read.'),
  }),
});
