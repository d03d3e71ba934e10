import {
  NellieError,
  answerCodeSearch,
  type CodeFileHit,
  type CodeSearchHit,
  type CodeSearchQuery,
  type CodeSearchResponse,
} from '@nellie/core';
import { codeSearchQuerySchema, requestedMode } from '@nellie/schemas';
import type { CommandContext } from '../cli.ts';
import { openRuntime } from '../compose.ts';
import { exitCodes } from '../internal/exit-codes.ts';
import { printJson, writeStderr, writeStdout } from '../internal/output.ts';

function snippet(content: string, maxLines = 6): string {
  const lines = content.split('\n');
  const shown = lines.slice(0, maxLines).map((line) => `    ${line}`);
  if (lines.length > maxLines) shown.push(`    … ${lines.length - maxLines} more lines`);
  return shown.join('\n');
}

function symbolOf(hit: CodeSearchHit): string {
  return hit.symbolName
    ? ` ${hit.enclosingSymbol ? `${hit.enclosingSymbol}.` : ''}${hit.symbolName}${hit.symbolKind ? ` (${hit.symbolKind})` : ''}`
    : '';
}

function staleOf(hit: CodeSearchHit): string {
  return hit.freshness.changedSinceIndexed ? ' [changed on disk since indexed]' : '';
}

function formatHit(hit: CodeSearchHit, index: number): string {
  return `${index + 1}. ${hit.repository}:${hit.path}:${hit.startLine}-${hit.endLine}${symbolOf(hit)}  score ${hit.score.toFixed(4)}${staleOf(hit)}\n${snippet(hit.content)}`;
}

function formatFile(file: CodeFileHit, index: number): string {
  const chunks = file.chunks.map(
    (hit) =>
      `  ${hit.startLine}-${hit.endLine}${symbolOf(hit)}${staleOf(hit)}\n${snippet(hit.content, 3)}`,
  );
  return `${index + 1}. ${file.repository}:${file.path}  score ${file.score.toFixed(4)}\n${chunks.join('\n')}`;
}

function formatAnswer(answer: CodeSearchResponse): string {
  const notice = answer.notice ? `\n${answer.notice}` : '';
  if (answer.hits.length === 0) return `No results for "${answer.query}".${notice}\n`;
  const entries =
    answer.groupBy === 'file' ? answer.hits.map(formatFile) : answer.hits.map(formatHit);
  const what = answer.groupBy === 'file' ? 'file' : 'result';
  const count = `${answer.hits.length} ${what}${answer.hits.length === 1 ? '' : 's'}`;
  return `${entries.join('\n\n')}\n\n${count} (${answer.mode})${notice}\n`;
}

/** The flag that sets each field of the search query, to name it in errors. */
const flags: Record<string, string> = {
  repository: '--repository',
  pathGlob: '--path',
  language: '--language',
  limit: '--limit',
  groupBy: '--group-by',
  mode: '--mode',
};

/** The search query of the command line, checked by the schema every interface uses. */
function searchQueryOf(query: string, options: Record<string, unknown>): CodeSearchQuery {
  const result = codeSearchQuerySchema.safeParse({
    query,
    repository: repositoryOption(options),
    pathGlob: options.path,
    language: options.language,
    limit: options.limit,
    groupBy: options.groupBy,
    mode: options.mode,
  });
  if (!result.success) {
    const problems = result.error.issues.map((issue) => {
      const flag = flags[String(issue.path[0])];
      return flag === undefined ? issue.message : `${flag}: ${issue.message}`;
    });
    throw new NellieError('INVALID_INPUT', problems.join('\n'), { cause: result.error });
  }
  return { ...result.data, mode: requestedMode(result.data.mode) };
}

/** `--repository`, or its deprecated spelling `--repo`; both at once must agree. */
function repositoryOption(options: Record<string, unknown>): string | undefined {
  const current = typeof options.repository === 'string' ? options.repository : undefined;
  const deprecated = typeof options.repo === 'string' ? options.repo : undefined;
  if (current !== undefined && deprecated !== undefined && current !== deprecated) {
    throw new NellieError(
      'INVALID_INPUT',
      'Give --repository and --repo once (they are the same option).',
    );
  }
  return current ?? deprecated;
}

/**
 * `nellie search <query>`: hybrid search when the model is available, keyword search otherwise.
 * `--json` prints the answer REST and MCP give (query, mode, notice, groupBy, hits). A filter that
 * matches nothing indexed exits 2 with the error, as `{ error: { code, message } }` under --json.
 */
export async function runSearch(context: CommandContext, query: string): Promise<number> {
  const { config, logger, options } = context;
  const request = searchQueryOf(query, options);
  const runtime = await openRuntime(config, { logger, indexer: false, existingStore: true });
  try {
    // A one-shot search waits for the model rather than answering keyword-only while it loads.
    await runtime.modelSettled;
    let answer: CodeSearchResponse;
    try {
      answer = await answerCodeSearch(
        {
          store: runtime.store,
          embedder: runtime.embedder,
          modelStatus: () => runtime.modelStatus(),
          logger,
        },
        request,
      );
    } catch (error) {
      // Filters that match nothing are the caller's to fix, like any bad argument.
      if (!NellieError.is(error) || error.code !== 'NOT_FOUND') throw error;
      if (options.json === true) {
        await printJson({ error: { code: error.code, message: error.message } });
      }
      await writeStderr(`nellie: ${error.message}\n`);
      return exitCodes.usage;
    }
    if (options.json === true) await printJson(answer);
    else await writeStdout(formatAnswer(answer));
    return exitCodes.ok;
  } finally {
    await runtime.close();
  }
}
