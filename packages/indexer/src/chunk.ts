import { NellieError, noopLogger, type ChunkInput, type Logger } from '@nellie/core';
import { chunkLineWindows } from './chunk/line-window.ts';
import { chunkMarkdown } from './chunk/markdown.ts';
import { chunkWithTree } from './chunk/tree-sitter.ts';
import { finishChunks, LineBudget } from './internal/chunk-budget.ts';
import type { Parser } from 'web-tree-sitter';
import { grammarFor, loadParser, type GrammarId } from './internal/grammars.ts';
import { detectLanguage, extensionOf } from './language.ts';

/** The token window of all-MiniLM-L6-v2 as Nellie uses it. */
export const defaultMaxTokens = 256;

export interface ChunkFileOptions {
  /** Path relative to the repository root, with `/` separators; it is part of each chunk's header. */
  path: string;
  /** The file's text. */
  content: string;
  /** Language id; detected from the path when omitted. */
  language?: string | null;
  /**
   * Token budget of the embedded text (header plus code), usually the embedder's `maxTokens`.
   * Defaults to 256.
   */
  maxTokens?: number;
  /** Parsing a file longer than this falls back to line windows. Defaults to 5000 ms. */
  parseTimeoutMs?: number;
  logger?: Logger;
}

const failedGrammars = new Set<GrammarId>();

/**
 * Splits a file into chunks that each fit the token budget once the embedding header is added.
 * Code in a bundled tree-sitter grammar is cut at function, method and class boundaries;
 * Markdown at headings; anything else into overlapping line windows. Each chunk holds the exact
 * source lines with 1-based line numbers. Parser failures fall back to line windows.
 */
export async function chunkFile(options: ChunkFileOptions): Promise<ChunkInput[]> {
  const maxTokens = options.maxTokens ?? defaultMaxTokens;
  if (!Number.isInteger(maxTokens) || maxTokens < 32) {
    throw new NellieError(
      'INVALID_INPUT',
      `maxTokens must be an integer of at least 32 (got ${String(options.maxTokens)}).`,
    );
  }
  if (typeof options.path !== 'string' || options.path === '') {
    throw new NellieError('INVALID_INPUT', 'chunkFile needs the relative path of the file.');
  }
  const logger = options.logger ?? noopLogger;
  const language = options.language === undefined ? detectLanguage(options.path) : options.language;
  const budget = new LineBudget(options.path, options.content, maxTokens);
  if (budget.lineCount === 0 || options.content.trim() === '') return [];

  if (language === 'markdown') {
    return finishChunks(budget, chunkMarkdown(budget), language);
  }
  const grammar = grammarFor(language, extensionOf(options.path));
  const parser = grammar ? await parserFor(grammar, logger) : null;
  if (parser) {
    try {
      const ranges = chunkWithTree(parser, budget, options.content, {
        timeoutMs: options.parseTimeoutMs,
      });
      if (ranges) return finishChunks(budget, ranges, language);
      logger.warn(
        { path: options.path, language },
        'Parsing took too long; indexing the file as line windows.',
      );
    } catch (error) {
      logger.warn(
        { path: options.path, language, error: errorMessage(error) },
        'Could not parse the file; indexing it as line windows.',
      );
    }
  }
  return finishChunks(budget, chunkLineWindows(budget), language);
}

async function parserFor(grammar: GrammarId, logger: Logger): Promise<Parser | null> {
  if (failedGrammars.has(grammar)) return null;
  try {
    return await loadParser(grammar);
  } catch (error) {
    if (!failedGrammars.has(grammar)) {
      failedGrammars.add(grammar);
      logger.warn(
        { grammar, error: errorMessage(error) },
        'Could not load a tree-sitter grammar; its files are indexed as line windows.',
      );
    }
    return null;
  }
}

function errorMessage(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
