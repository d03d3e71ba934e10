import type { CodeSearchHit } from '@nellie/core';
import { limits } from '@nellie/core';
import { z } from 'zod';
import { codeSnippet, formatScore, indent, plural, sampleList } from '../internal/format.ts';
import { embedQuery } from '../internal/query-embedding.ts';
import {
  limitSchema,
  querySchema,
  repoFilterSchema,
  scoreBreakdownSchema,
  searchModeSchema,
} from '../internal/schemas.ts';
import { defineTool, readOnly } from '../internal/tool.ts';

const inputSchema = z.strictObject({
  query: querySchema,
  limit: limitSchema(10, limits.searchResults),
  repo: repoFilterSchema.optional(),
  path_glob: z
    .string()
    .trim()
    .min(1)
    .max(limits.globLength)
    .optional()
    .describe(
      'Glob over paths relative to the repository root, e.g. `src/**/*.ts` or `**/auth/**`.',
    ),
  language: z
    .string()
    .trim()
    .min(1)
    .max(limits.languageLength)
    .optional()
    .describe('Language id, e.g. `typescript`, `python`, `go`, `markdown`.'),
});

const hitSchema = z.object({
  location: z.string().describe('`repository:path:startLine-endLine`'),
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
  score: z.number(),
  scores: scoreBreakdownSchema,
  content: z.string().describe('The exact source of the lines.'),
  freshness: z.object({
    indexedAt: z.string(),
    changedSinceIndexed: z
      .boolean()
      .nullable()
      .describe('True when the file on disk changed since it was indexed; null if unknown.'),
  }),
});

const outputSchema = z.object({
  query: z.string(),
  mode: searchModeSchema,
  note: z.string().optional(),
  results: z.array(hitSchema),
});

export const searchCodeTool = defineTool({
  name: 'search_code',
  config: {
    title: 'Search code',
    description:
      'Search the indexed source code of your repositories by meaning and by keywords (hybrid ' +
      'ranking). Use it to find where something is implemented or used before reading files: ' +
      'describe the behaviour ("where are sessions expired") or give identifiers ("getUserById"). ' +
      'Filter with repo, path_glob and language. Each result gives `repo:path:startLine-endLine`, the ' +
      'symbol, a score (comparable only within one answer), a short snippet and whether the file ' +
      'changed since it was indexed; structured content holds the full chunk text and absolute ' +
      'path; read more lines with read_file. For remembered ' +
      'advice use search_lessons; for past work use search_checkpoints.',
    inputSchema,
    outputSchema,
    annotations: { ...readOnly, title: 'Search code' },
  },
  createHandler: (deps) => async (args, context) => {
    const embedding = await embedQuery(deps, args.query, context.signal, 'search_code');
    const hits = await deps.store.searchCode({
      query: args.query,
      limit: args.limit,
      ...(embedding.vector === undefined ? {} : { queryVector: embedding.vector }),
      ...(args.repo === undefined ? {} : { repository: args.repo }),
      ...(args.path_glob === undefined ? {} : { pathGlob: args.path_glob }),
      ...(args.language === undefined ? {} : { language: args.language }),
      signal: context.signal,
    });
    let text = formatHits(args, hits, embedding.mode, embedding.note);
    if (hits.length === 0 && args.repo !== undefined) {
      const repository = await deps.store.getRepository(args.repo);
      if (repository === null) {
        const known = (await deps.store.listRepositories()).map((item) => item.name);
        text +=
          `\nNo repository is named or rooted at "${args.repo}". ` +
          (known.length > 0
            ? `Indexed repositories: ${sampleList(known, 20)}.`
            : 'No repository is indexed yet.');
      }
    }
    return {
      text,
      data: {
        query: args.query,
        mode: embedding.mode,
        ...(embedding.note === undefined ? {} : { note: embedding.note }),
        results: hits.map((hit) => ({ ...hit, location: location(hit) })),
      },
    };
  },
});

function location(hit: CodeSearchHit): string {
  return `${hit.repository}:${hit.path}:${hit.startLine}-${hit.endLine}`;
}

function symbolLabel(hit: CodeSearchHit): string {
  if (hit.symbolName === null) return hit.symbolKind === null ? '' : ` (${hit.symbolKind})`;
  const name =
    hit.enclosingSymbol === null ? hit.symbolName : `${hit.enclosingSymbol}.${hit.symbolName}`;
  return hit.symbolKind === null ? ` ${name}` : ` ${name} (${hit.symbolKind})`;
}

function formatHits(
  args: { query: string; repo?: string; path_glob?: string; language?: string },
  hits: readonly CodeSearchHit[],
  mode: 'hybrid' | 'keyword',
  note: string | undefined,
): string {
  const filters = [
    args.repo === undefined ? null : `repo ${args.repo}`,
    args.path_glob === undefined ? null : `path ${args.path_glob}`,
    args.language === undefined ? null : `language ${args.language}`,
  ].filter((item): item is string => item !== null);
  const scope = filters.length > 0 ? ` (${filters.join(', ')})` : '';
  const lines: string[] = [];
  if (hits.length === 0) {
    lines.push(
      `No code matched "${args.query}"${scope}. Try other words or identifiers, drop filters, ` +
        'or check with get_index_status that the repository is indexed.',
    );
  } else {
    const ranking = mode === 'hybrid' ? ', keyword + semantic ranking' : '';
    lines.push(`${plural(hits.length, 'result')} for "${args.query}"${scope}${ranking}:`);
  }
  if (note !== undefined) lines.push(note);
  hits.forEach((hit, index) => {
    const stale =
      hit.freshness.changedSinceIndexed === true ? ' (changed on disk since indexed)' : '';
    lines.push(
      '',
      `${index + 1}. ${location(hit)}${symbolLabel(hit)} score ${formatScore(hit.score)}${stale}`,
      indent(codeSnippet(hit.content)),
    );
  });
  return lines.join('\n');
}
