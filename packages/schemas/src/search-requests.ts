import {
  NellieError,
  deprecatedSearchFields,
  deprecatedSearchModes,
  lessonSeverities,
  limits,
  searchDefaults,
  searchGroupings,
  searchLimits,
  searchRequestModes,
  type SearchRequestMode,
} from '@nellie/core';
import { z } from 'zod';
import { stalenessFilterSchema } from './anchors.ts';
import { filterTextSchema, limitSchema, storedTextSchema } from './fields.ts';

// The search request vocabulary of @nellie/core (`search-vocabulary.ts`) as zod schemas: REST
// bodies, MCP tool arguments and `nellie search` flags are all parsed with these fields.

/** The search text: trimmed, 1..`searchLimits.queryLength` characters. */
export const queryTextSchema = z
  .string({ error: 'query must be a string' })
  .trim()
  .min(1, 'The search query is empty; give words, identifiers or a question.')
  .max(searchLimits.queryLength, `query must be at most ${searchLimits.queryLength} characters`)
  .describe('Natural language or identifiers.');

// Bounds and default show in JSON Schema; a description repeating them would only add bytes to
// MCP's `tools/list`.
export const searchLimitSchema = limitSchema(searchLimits.limit, searchDefaults.limit);

const deprecatedModeNames = Object.keys(
  deprecatedSearchModes,
) as (keyof typeof deprecatedSearchModes)[];

export const searchRequestModeSchema = z
  .enum([...searchRequestModes, ...deprecatedModeNames])
  .default(searchDefaults.mode)
  .describe('keyword: skip semantic ranking.');

/** The request mode with deprecated spellings (`lexical`) read as their current name. */
export function requestedMode(
  mode: SearchRequestMode | keyof typeof deprecatedSearchModes,
): SearchRequestMode {
  return mode in deprecatedSearchModes
    ? deprecatedSearchModes[mode as keyof typeof deprecatedSearchModes]
    : (mode as SearchRequestMode);
}

export const repositoryFilterSchema = filterTextSchema(
  'repository',
  limits.repositoryLength,
).describe('Repository name or absolute root path.');

export const pathGlobFilterSchema = filterTextSchema('pathGlob', limits.globLength).describe(
  'Glob over relative paths, e.g. src/**/*.ts.',
);

export const languageFilterSchema = filterTextSchema('language', limits.languageLength).describe(
  'Language id, e.g. typescript.',
);

export const agentFilterSchema = filterTextSchema('agent', limits.agentLength).describe(
  'Only this agent’s entries.',
);

export const tagsFilterSchema = z
  .array(storedTextSchema('tag', limits.tagLength), { error: 'tags must be a list of strings' })
  .max(limits.lessonTags, `at most ${limits.lessonTags} tags`)
  .describe('An entry matches when it has every one of these tags.');

export const severitySchema = z.enum(lessonSeverities);

export const groupBySchema = z
  .enum(searchGroupings)
  .describe('chunk: one entry per chunk; file: one entry per file with its best chunks.');

/** Fields of a code search query, in the order interfaces list them. */
export const codeSearchQueryFields = {
  query: queryTextSchema,
  repository: repositoryFilterSchema.optional(),
  pathGlob: pathGlobFilterSchema.optional(),
  language: languageFilterSchema.optional(),
  limit: searchLimitSchema,
  mode: searchRequestModeSchema,
  groupBy: groupBySchema.default('chunk'),
};

/** Fields of a lesson search query. */
export const lessonSearchQueryFields = {
  query: queryTextSchema,
  tags: tagsFilterSchema.optional(),
  severity: severitySchema.optional().describe('Only this severity.'),
  staleness: stalenessFilterSchema.optional(),
  repository: repositoryFilterSchema.optional().describe('As named when the lesson was recorded.'),
  agent: agentFilterSchema.optional(),
  limit: searchLimitSchema,
  mode: searchRequestModeSchema,
};

/** Fields of a checkpoint search query. */
export const checkpointSearchQueryFields = {
  query: queryTextSchema,
  agent: agentFilterSchema.optional(),
  repository: repositoryFilterSchema.optional().describe('As named when the checkpoint was saved.'),
  limit: searchLimitSchema,
  mode: searchRequestModeSchema,
};

// ---- deprecated field names -----------------------------------------------------------------

type DeprecatedField = keyof typeof deprecatedSearchFields;

/** Each deprecated field is validated exactly like the field that replaces it. */
const deprecatedFieldSchemas: Record<DeprecatedField, z.ZodString> = {
  repo: repositoryFilterSchema,
  path_glob: pathGlobFilterSchema,
};

/** The deprecated fields whose current name is in `shape`. */
function deprecatedFieldsOf(shape: z.ZodRawShape): DeprecatedField[] {
  return (Object.keys(deprecatedSearchFields) as DeprecatedField[]).filter(
    (name) => deprecatedSearchFields[name] in shape,
  );
}

/** The deprecated `repo` filter, listed as such (REST's OpenAPI marks it `deprecated`). */
export const deprecatedRepositoryFilterSchema = repositoryFilterSchema
  .optional()
  .meta({ deprecated: true })
  .describe('Deprecated alias of `repository`.');

/**
 * Request arguments that also accept the deprecated names of `shape`'s fields, validated by
 * their current fields' schemas but left out of the listed schema (MCP's `tools/list`, read by every agent
 * on every session). Any other unknown argument is refused. The parsed arguments keep the
 * deprecated fields, untyped, for {@link resolveDeprecatedFields} to fold in.
 */
export function withUnlistedDeprecatedFields<Shape extends z.ZodRawShape>(
  shape: Shape,
): z.ZodObject<Shape> {
  const deprecated = new Set<string>(deprecatedFieldsOf(shape));
  const object = z.looseObject(shape).superRefine((value, context) => {
    for (const [key, item] of Object.entries(value)) {
      if (key in shape) continue;
      if (!deprecated.has(key)) {
        context.addIssue({ code: 'custom', path: [key], message: `Unknown argument "${key}".` });
        continue;
      }
      const current = shape[deprecatedSearchFields[key as DeprecatedField]]!;
      const issues = z.safeParse(current, item).error?.issues;
      for (const issue of issues ?? []) {
        context.addIssue({ ...issue, path: [key, ...issue.path] });
      }
    }
  });
  // Listed without `additionalProperties: {}`: unknown arguments are refused above, so listing
  // them as allowed would mislead, and every tool would pay its bytes in `tools/list`.
  return object.meta({ additionalProperties: undefined });
}

/**
 * Folds deprecated fields into their current names. Both names at once must agree; throws
 * INVALID_INPUT otherwise.
 */
export function resolveDeprecatedFields<Request extends object>(
  request: Request,
): Omit<Request, DeprecatedField> {
  const resolved: Record<string, unknown> = { ...(request as Record<string, unknown>) };
  for (const name of Object.keys(deprecatedSearchFields) as DeprecatedField[]) {
    if (!(name in resolved)) continue;
    const given = resolved[name];
    delete resolved[name];
    if (given === undefined) continue;
    // Strings are read as their current field reads them (trimmed); other values (a null that
    // clears a stored repository) were validated by the request's own schema.
    const value = typeof given === 'string' ? deprecatedFieldSchemas[name].parse(given) : given;
    const current = deprecatedSearchFields[name];
    if (resolved[current] !== undefined && resolved[current] !== value) {
      throw new NellieError(
        'INVALID_INPUT',
        `Give ${current} and ${name} once (they are the same field).`,
      );
    }
    resolved[current] = value;
  }
  return resolved as Omit<Request, DeprecatedField>;
}

// ---- whole queries --------------------------------------------------------------------------
// A search query is what a caller of any interface asks (core's `CodeSearchQuery` and friends);
// the store's request adds the query vector.

/** A code search query (REST body, `nellie search`): unknown fields are refused. */
export const codeSearchQuerySchema = z.strictObject(codeSearchQueryFields);

/** A lesson search query; also accepts the deprecated `repo`. */
export const lessonSearchQuerySchema = z.strictObject({
  ...lessonSearchQueryFields,
  repo: deprecatedRepositoryFilterSchema,
});

/** A checkpoint search query; also accepts the deprecated `repo`. */
export const checkpointSearchQuerySchema = z.strictObject({
  ...checkpointSearchQueryFields,
  repo: deprecatedRepositoryFilterSchema,
});
