import { anchorStates, lessonSeverities, limits, type AnchorInput } from '@nellie/core';
import { z } from 'zod';
import { storedTextSchema } from './fields.ts';

// Lessons anchored to code (@nellie/core `anchors.ts`): the staleness vocabulary shared by the
// lesson search request, the code search answer and the lesson views of every interface.

/** current: the code is as anchored; changed, moved or gone since. */
export const anchorStateSchema = z.enum(anchorStates);

/** The lesson search filter on the staleness of the lessons' anchored code. */
export const stalenessFilterSchema = z
  .array(anchorStateSchema)
  .max(anchorStates.length)
  .describe('Only lessons whose code is in these states.');

// The views below are read by every agent in MCP's `tools/list` (lessons are in several tools'
// answers), so they stay lean: plain numbers (zod's integers list ±2^53 bounds) and no field
// descriptions. REST's OpenAPI document adds both.

/** One anchor of a lesson, with the state of its code when last checked. */
export const anchorViewSchema = z.object({
  repository: z.string(),
  path: z.string(),
  symbol: z.string().nullable(),
  startLine: z.number(),
  endLine: z.number(),
  contentHash: z.string(),
  state: anchorStateSchema,
  change: z
    .object({
      linesAdded: z.number(),
      linesRemoved: z.number(),
      signatureChanged: z.boolean(),
    })
    .nullable(),
  movedFrom: z.string().nullable(),
  origin: z.enum(['explicit', 'automatic']),
  checkedAt: z.string(),
});

/** The lessons anchored to a code hit. */
export const codeMemoriesSchema = z
  .object({
    count: z.number(),
    severities: z.object({
      critical: z.number(),
      warning: z.number(),
      info: z.number(),
    }),
    lessons: z.array(
      z.object({
        id: z.string(),
        title: z.string(),
        severity: z.enum(lessonSeverities),
        staleness: anchorStateSchema,
      }),
    ),
  })
  .describe('Lessons anchored to this code (get_lesson reads one).');

/** Explicit anchors accepted per memory. */
export const maxAnchors = 20;

/** An anchor as a caller gives it (REST bodies and the stores' input). */
export const anchorInputSchema = z.strictObject({
  repository: storedTextSchema('repository', limits.repositoryLength).describe(
    'Name or root path of an indexed repository.',
  ),
  path: storedTextSchema('path', limits.globLength).describe('Indexed file, relative to the root.'),
  symbol: storedTextSchema('symbol', 512).nullish().describe('A symbol defined in that file.'),
  startLine: z.number().int().min(1).optional(),
  endLine: z.number().int().min(1).optional(),
});

export const anchorInputsSchema = z
  .array(anchorInputSchema)
  .max(maxAnchors, `at most ${maxAnchors} anchors`);

/** `repository:path[#symbol][:start[-end]]`, e.g. `shop:src/upload.ts#retryUpload`. */
const anchorPattern = /^([^:]+):([^#:]+)(?:#([^:]+))?(?::(\d+)(?:-(\d+))?)?$/;

/** Anchors written as `repository:path[#symbol][:start-end]` (MCP tools' compact form). */
export const anchorReferencesSchema = z
  // A refinement, not a listed `pattern`: the description shows the form in fewer bytes.
  .array(
    z
      .string()
      .refine((anchor) => anchorPattern.test(anchor), 'write repository:path[#symbol][:start-end]'),
  )
  .max(maxAnchors);

/** Reads `repository:path[#symbol][:start[-end]]` anchors (already checked by the schema). */
export function parseAnchorReferences(anchors: readonly string[]): AnchorInput[] {
  return anchors.map((anchor) => {
    const [, repository, path, symbol, start, end] = anchorPattern.exec(anchor)!;
    return {
      repository: repository!,
      path: path!,
      ...(symbol === undefined ? {} : { symbol }),
      ...(start === undefined ? {} : { startLine: Number(start) }),
      ...(end === undefined ? {} : { endLine: Number(end) }),
    };
  });
}
