import {
  answerCodeSearch,
  describeCodeMemories,
  type CodeFileHit,
  type CodeSearchHit,
  type CodeSearchResponse,
} from '@nellie/core';
import {
  codeSearchOutlineResponseSchema,
  codeSearchQueryFields,
  requestedMode,
  resolveDeprecatedFields,
  withUnlistedDeprecatedFields,
} from '@nellie/schemas';
import { z } from 'zod';
import { codeSnippet, formatScore, indent, plural } from '../internal/format.ts';
import { defineTool, readOnly } from '../internal/tool.ts';

const inputSchema = withUnlistedDeprecatedFields({
  ...codeSearchQueryFields,
  groupBy: codeSearchQueryFields.groupBy.removeDefault().default('file'),
  includeContent: z.boolean().default(false).describe('Full chunk text instead of a few lines.'),
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
    outputSchema: codeSearchOutlineResponseSchema,
    annotations: readOnly,
  },
  createHandler: (deps) => async (args, context) => {
    const { includeContent: _includeContent, mode, ...query } = resolveDeprecatedFields(args);
    const answer = await answerCodeSearch(deps, {
      ...query,
      mode: requestedMode(mode),
      signal: context.signal,
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
