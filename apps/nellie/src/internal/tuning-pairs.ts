import { readFile } from 'node:fs/promises';
import { NellieError, type Logger } from '@nellie/core';
import { mineCodePairs, type CodePair, type CodeText } from '@nellie/embeddings';
import { chunkFile, scanDirectory } from '@nellie/indexer';

export interface MinedPairs {
  pairs: CodePair[];
  files: number;
  chunks: number;
  /** The directories scanned, resolved. */
  roots: string[];
}

/**
 * Mines (doc comment → code) training pairs from directories the way the indexer sees them: the
 * same scan (ignore files, built-in excludes, secrets skipped) and the same chunker, then the doc
 * comments of each chunk.
 */
export async function mineTuningPairs(
  directories: readonly string[],
  options: { logger: Logger; signal?: AbortSignal; onFile?: (done: number, total: number) => void },
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
    if (file.language === null || file.language === 'markdown') continue;
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
      });
    }
  }
  return {
    pairs: mineCodePairs(texts),
    files: scan.files.length,
    chunks: texts.length,
    roots: scan.roots,
  };
}
