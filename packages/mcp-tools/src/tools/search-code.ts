import {
  answerCodeSearch,
  describeCodeMemories,
  limits,
  searchGroupings,
  type CodeFileHit,
  type CodeSearchHit,
  type CodeSearchResponse,
} from '@nellie/core';
import { z } from 'zod';
import { codeSnippet, formatScore, indent, plural } from '../internal/format.ts';
import {
  aliased,
  codeMemoriesViewSchema,
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

const globSchema = z.string().trim().min(1).max(limits.globLength);

const inputSchema = withDeprecatedAliases(
  {
    query: querySchema,
    repository: repoFilterSchema.optional(),
    pathGlob: globSchema.optional().describe('Glob over relative paths, e.g. src/**/*.ts.'),
    language: z
      .string()
      .trim()
      .min(1)
      .max(limits.languageLength)
      .optional()
      .describe('Language id, e.g. typescript.'),
    limit: searchLimitSchema,
    mode: searchRequestModeSchema,
    groupBy: z
      .enum(searchGroupings)
      .default('file')
      .describe('file: best chunks per file; chunk: one entry per chunk.'),
    includeContent: z.boolean().default(false).describe('Full chunk text instead of a few lines.'),
  },
  {
    repo: { current: 'repository', schema: repoFilterSchema },
    path_glob: { current: 'pathGlob', schema: globSchema },
  },
);

const chunkSchema = z.object({
  chunkId: z.number(),
  repository: z.string(),
  rootPath: z.string(),
  path: z.string(),
  absolutePath: z.string(),
  startLine: z.number(),
  endLine: z.number(),
  symbolName: z.string().nullable(),
  symbolKind: z.string().nullable(),
  enclosingSymbol: z.string().nullable(),
  language: z.string().nullable(),
  content: z.string().optional(),
  score: z.number(),
  scores: scoreBreakdownSchema,
  freshness: z.object({ indexedAt: z.string(), changedSinceIndexed: z.boolean().nullable() }),
  memories: codeMemoriesViewSchema.optional(),
});

const fileSchema = z.object({
  repository: z.string(),
  rootPath: z.string(),
  path: z.string(),
  absolutePath: z.string(),
  language: z.string().nullable(),
  score: z.number(),
  chunks: z.array(chunkSchema),
});

/** The code search answer of every interface (`content` is left out unless asked for). */
const outputSchema = z.object({
  query: z.string(),
  mode: searchModeSchema,
  notice: z.string().optional(),
  groupBy: z.enum(searchGroupings),
  hits: z.union([z.array(fileSchema), z.array(chunkSchema)]),
});

/** Lines of each chunk shown in the text answer unless the full content is asked for. */
const snippetLines = 3;

export const searchCodeTool = defineTool({
  name: 'search_code',
  config: {
    title: 'Search code',
    description:
      'Find code by meaning and keywords: describe behaviour or give identifiers. Use it before reading files. One entry per file (location, symbol, a few lines); read_file reads more. A filter matching nothing is an error listing what exists.',
    inputSchema,
    outputSchema,
    annotations: readOnly,
  },
  createHandler: (deps) => async (args, context) => {
    const repository = aliased(
      args.repository,
      deprecatedArgument(args, 'repo'),
      'repository and repo',
    );
    const pathGlob = aliased(
      args.pathGlob,
      deprecatedArgument(args, 'path_glob'),
      'pathGlob and path_glob',
    );
    const answer = await answerCodeSearch(deps, {
      query: args.query,
      limit: args.limit,
      mode: requestedMode(args.mode),
      groupBy: args.groupBy,
      signal: context.signal,
      ...(repository === undefined ? {} : { repository }),
      ...(pathGlob === undefined ? {} : { pathGlob }),
      ...(args.language === undefined ? {} : { language: args.language }),
    });
    return {
      text: formatAnswer(answer, args.includeContent),
      data: args.includeContent ? answer : withoutContent(answer),
    };
  },
});

function withoutContent(answer: CodeSearchResponse): CodeSearchResponse {
  const strip = (hit: CodeSearchHit) => {
    const { content: _content, ...rest } = hit;
    return rest as CodeSearchHit;
  };
  return answer.groupBy === 'file'
    ? { ...answer, hits: answer.hits.map((file) => ({ ...file, chunks: file.chunks.map(strip) })) }
    : { ...answer, hits: answer.hits.map(strip) };
}

function lines(hit: CodeSearchHit): string {
  return hit.startLine === hit.endLine ? `${hit.startLine}` : `${hit.startLine}-${hit.endLine}`;
}

function symbolLabel(hit: CodeSearchHit): string {
  if (hit.symbolName === null) return hit.symbolKind === null ? '' : ` (${hit.symbolKind})`;
  const name =
    hit.enclosingSymbol === null ? hit.symbolName : `${hit.enclosingSymbol}.${hit.symbolName}`;
  return hit.symbolKind === null ? ` ${name}` : ` ${name} (${hit.symbolKind})`;
}

function body(hit: CodeSearchHit, includeContent: boolean): string {
  return indent(
    includeContent ? hit.content.split('\n') : codeSnippet(hit.content, { maxLines: snippetLines }),
  );
}

const staleMark = (hit: CodeSearchHit): string =>
  hit.freshness.changedSinceIndexed === true ? ' (changed on disk since indexed)' : '';

/** `   Lessons here: 2 lessons, 1 critical — [critical] Title (id L1); …` (get_lesson reads one). */
function memoryLines(hit: CodeSearchHit): string[] {
  if (hit.memories === undefined) return [];
  const titles = hit.memories.lessons
    .slice(0, 3)
    .map((lesson) => `[${lesson.severity}] ${lesson.title} (id ${lesson.id})`);
  const more = hit.memories.count > 3 ? `; ${hit.memories.count - 3} more` : '';
  return [`   Lessons here: ${describeCodeMemories(hit.memories)}: ${titles.join('; ')}${more}`];
}

function formatFile(file: CodeFileHit, index: number, includeContent: boolean): string[] {
  const out = [`${index + 1}. ${file.repository}:${file.path} score ${formatScore(file.score)}`];
  for (const hit of file.chunks) {
    out.push(`   ${lines(hit)}${symbolLabel(hit)}${staleMark(hit)}`, ...memoryLines(hit));
    out.push(body(hit, includeContent));
  }
  return out;
}

function formatChunk(hit: CodeSearchHit, index: number, includeContent: boolean): string[] {
  return [
    `${index + 1}. ${hit.repository}:${hit.path}:${lines(hit)}${symbolLabel(hit)} score ${formatScore(hit.score)}${staleMark(hit)}`,
    ...memoryLines(hit),
    body(hit, includeContent),
  ];
}

function formatAnswer(answer: CodeSearchResponse, includeContent: boolean): string {
  const out: string[] = [];
  const ranking = answer.mode === 'hybrid' ? ' (keyword + semantic)' : ' (keyword)';
  if (answer.hits.length === 0) {
    out.push(
      `No code matched "${answer.query}". Try other words or identifiers, or fewer filters.`,
    );
  } else {
    const what = answer.groupBy === 'file' ? 'file' : 'result';
    out.push(`${plural(answer.hits.length, what)} for "${answer.query}"${ranking}:`);
  }
  if (answer.notice !== undefined) out.push(answer.notice);
  if (answer.groupBy === 'file') {
    answer.hits.forEach((file, index) => out.push(...formatFile(file, index, includeContent)));
  } else {
    answer.hits.forEach((hit, index) => out.push(...formatChunk(hit, index, includeContent)));
  }
  return out.join('\n');
}
