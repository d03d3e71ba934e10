import { readFile } from 'node:fs/promises';
import { NellieError, type Logger } from '@nellie/core';
import { mineCodePairs, type CodePair, type CodeText } from '@nellie/embeddings';
import { chunkFile, scanDirectory } from '@nellie/indexer';

export interface MinedPairs {
  pairs: CodePair[];
  /** How many pairs of each kind. */
  kinds: Partial<Record<CodePair['kind'], number>>;
  files: number;
  chunks: number;
  /** The directories scanned, resolved. */
  roots: string[];
}

export interface MineTuningPairsOptions {
  logger: Logger;
  /** Also pair test names with the functions they call (see `mineCodePairs()`). */
  testPairs?: boolean;
  /** Also pair Markdown sentences with the symbols they name (Markdown files are then read). */
  markdownPairs?: boolean;
  signal?: AbortSignal;
  onFile?: (done: number, total: number) => void;
}

/**
 * Mines (doc comment → code) training pairs from directories the way the indexer sees them: the
 * same scan (ignore files, built-in excludes, secrets skipped) and the same chunker, then the doc
 * comments of each chunk (and, when asked, test names and Markdown sentences).
 */
export async function mineTuningPairs(
  directories: readonly string[],
  options: MineTuningPairsOptions,
): Promise<MinedPairs> {
  const scan = await scanDirectory(directories, {
    logger: options.logger,
    ...(options.signal ? { signal: options.signal } : {}),
  });
  const texts: CodeText[] = [];
  let done = 0;
  for (const file of scan.files) {
    if (options.signal?.aborted) {
      throw new NellieError('ABORTED', 'Mining training pairs was interrupted.', {
        cause: options.signal.reason,
      });
    }
    done += 1;
    options.onFile?.(done, scan.files.length);
    if (file.language === null) continue;
    if (file.language === 'markdown' && options.markdownPairs !== true) continue;
    let content: string;
    try {
      content = await readFile(file.absolutePath, 'utf8');
    } catch {
      continue;
    }
    const chunks = await chunkFile({
      path: file.path,
      content,
      language: file.language,
      logger: options.logger,
    });
    for (const chunk of chunks) {
      texts.push({
        content: chunk.content,
        language: chunk.language ?? file.language,
        symbol: chunk.symbolName ?? null,
        path: file.path,
      });
    }
  }
  const pairs = mineCodePairs(texts, {
    testPairs: options.testPairs ?? false,
    markdownPairs: options.markdownPairs ?? false,
  });
  const kinds: MinedPairs['kinds'] = {};
  for (const pair of pairs) kinds[pair.kind] = (kinds[pair.kind] ?? 0) + 1;
  return {
    pairs,
    kinds,
    files: scan.files.length,
    chunks: texts.length,
    roots: scan.roots,
  };
}
