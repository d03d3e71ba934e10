import { NellieError, type CodeSearchHit } from '@nellie/core';
import type { CommandContext } from '../cli.ts';
import { openRuntime } from '../compose.ts';
import { exitCodes } from '../internal/exit-codes.ts';
import { printJson, writeStdout } from '../internal/output.ts';

function snippet(content: string, maxLines = 6): string {
  const lines = content.split('\n');
  const shown = lines.slice(0, maxLines).map((line) => `    ${line}`);
  if (lines.length > maxLines) shown.push(`    … ${lines.length - maxLines} more lines`);
  return shown.join('\n');
}

function formatHit(hit: CodeSearchHit, index: number): string {
  const symbol = hit.symbolName
    ? ` ${hit.enclosingSymbol ? `${hit.enclosingSymbol}.` : ''}${hit.symbolName}${hit.symbolKind ? ` (${hit.symbolKind})` : ''}`
    : '';
  const stale = hit.freshness.changedSinceIndexed ? ' [changed on disk since indexed]' : '';
  return `${index + 1}. ${hit.repository}:${hit.path}:${hit.startLine}-${hit.endLine}${symbol}  score ${hit.score.toFixed(4)}${stale}\n${snippet(hit.content)}`;
}

/** `nellie search <query>`: hybrid search when the model is available, keyword search otherwise. */
export async function runSearch(context: CommandContext, query: string): Promise<number> {
  const { config, logger, options } = context;
  if (query.trim() === '') {
    throw new NellieError(
      'INVALID_INPUT',
      'The search query is empty; give words, identifiers or a question.',
    );
  }
  const runtime = await openRuntime(config, { logger, indexer: false, existingStore: true });
  try {
    const model = await runtime.modelSettled;
    let queryVector: Float32Array | undefined;
    let mode: 'hybrid' | 'keyword' = 'keyword';
    let note: string | undefined;
    if (model.state === 'ready' && runtime.embedder) {
      try {
        [queryVector] = await runtime.embedder.embed([query], { priority: 'query' });
        mode = 'hybrid';
      } catch (error) {
        note = `Keyword results only: embedding the query failed (${NellieError.is(error) ? error.message : String(error)}).`;
      }
    } else {
      note = `Keyword results only: ${runtime.modelSummary()}.`;
    }
    const hits = await runtime.store.searchCode({
      query,
      ...(queryVector ? { queryVector } : {}),
      ...(typeof options.limit === 'number' ? { limit: options.limit } : {}),
      ...(typeof options.repo === 'string' ? { repository: options.repo } : {}),
      ...(typeof options.path === 'string' ? { pathGlob: options.path } : {}),
      ...(typeof options.language === 'string' ? { language: options.language } : {}),
    });
    if (options.json === true) {
      await printJson({ query, mode, ...(note ? { note } : {}), hits });
    } else if (hits.length === 0) {
      await writeStdout(`No results for "${query}".${note ? `\n${note}` : ''}\n`);
    } else {
      await writeStdout(
        `${hits.map(formatHit).join('\n\n')}\n\n${hits.length} result${hits.length === 1 ? '' : 's'} (${mode})${note ? `\n${note}` : ''}\n`,
      );
    }
    return exitCodes.ok;
  } finally {
    await runtime.close();
  }
}
