import { NellieError, noopLogger, type ChunkInput, type Logger } from '@nellie/core';
import { chunkLineWindows } from './chunk/line-window.ts';
import { chunkMarkdown } from './chunk/markdown.ts';
import { chunkWithTree } from './chunk/tree-sitter.ts';
import {
  absorbSmallRanges,
  finishChunks,
  LineBudget,
  type RangeChunk,
} from './internal/chunk-budget.ts';
import type { Parser } from 'web-tree-sitter';
import { grammarFor, loadParser, type GrammarId } from './internal/grammars.ts';
import { detectLanguage, extensionOf } from './language.ts';

/** The token window of all-MiniLM-L6-v2 as Nellie uses it. */
export const defaultMaxTokens = 256;

/**
 * Largest chunk in characters (indentation not counted). Chosen on the development half of
 * semble's code-search benchmark: 1,000 to 2,000 scored alike on keyword search, a little above the
 * old 256-token chunks; 1,500 keeps most definitions whole while the head of each chunk (path,
 * symbol, signature, doc) still falls inside a 256-token embedding window.
 */
export const defaultMaxChunkChars = 1500;

/**
 * Parser steps a file may take (see `maxParseSteps`). Ordinary code takes 3 to 12 steps per KB
 * (Scala up to 30), so files up to the indexer's 1 MiB limit parse; a file that drives the
 * parser into far more work than its size suggests is indexed as line windows. The slowest
 * grammar (Swift) takes about a millisecond per step on one core.
 */
export const defaultMaxParseSteps = 12_000;

/** Code chunks shorter than this many non-blank lines join a neighbour. */
const minChunkLines = 4;

export interface ChunkFileOptions {
  /** Path relative to the repository root, with `/` separators; it is part of each chunk's header. */
  path: string;
  /** The file's text. */
  content: string;
  /** Language id; detected from the path when omitted. */
  language?: string | null;
  /**
   * The embedder's token window. It no longer limits chunk size: the embedder truncates the
   * embedded text (path, symbol, then code) to its window. Validated for compatibility.
   */
  maxTokens?: number;
  /** Largest chunk in characters, indentation not counted: 80 to 100,000, default 1,500. */
  maxChars?: number;
  /**
   * Most parser steps (tree-sitter progress checks, about a hundred parse operations each) a
   * file may take before it falls back to line windows; default {@link defaultMaxParseSteps}.
   * A bound on work rather than on time keeps chunking a function of the file's content alone.
   */
  maxParseSteps?: number;
  logger?: Logger;
}

const failedGrammars = new Set<GrammarId>();

/**
 * Splits a file into chunks within the character budget. Code in a bundled tree-sitter grammar
 * is cut at function, method and class boundaries;
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
  const maxChars = options.maxChars ?? defaultMaxChunkChars;
  if (!Number.isInteger(maxChars) || maxChars < 80 || maxChars > 100_000) {
    throw new NellieError(
      'INVALID_INPUT',
      `maxChars must be an integer from 80 to 100000 (got ${String(options.maxChars)}).`,
    );
  }
  const maxParseSteps = options.maxParseSteps ?? defaultMaxParseSteps;
  if (!Number.isInteger(maxParseSteps) || maxParseSteps < 0) {
    throw new NellieError(
      'INVALID_INPUT',
      `maxParseSteps must be a non-negative integer (got ${String(options.maxParseSteps)}).`,
    );
  }
  if (typeof options.path !== 'string' || options.path === '') {
    throw new NellieError('INVALID_INPUT', 'chunkFile needs the relative path of the file.');
  }
  const logger = options.logger ?? noopLogger;
  const language =
    options.language === undefined
      ? detectLanguage(options.path, options.content)
      : options.language;
  const budget = new LineBudget(options.content, maxChars);
  if (budget.lineCount === 0 || options.content.trim() === '') return [];

  if (language === 'markdown') {
    return finishChunks(budget, chunkMarkdown(budget), language);
  }
  const grammar = grammarFor(language, extensionOf(options.path));
  const parser = grammar ? await parserFor(grammar, logger) : null;
  if (parser) {
    try {
      const ranges = chunkWithTree(parser, budget, options.content, {
        maxSteps: maxParseSteps,
        grammar,
      });
      if (ranges) return finishCode(budget, ranges, language);
      logger.warn(
        { path: options.path, language, maxParseSteps },
        'Parsing needed more than maxParseSteps steps; indexing the file as line windows.',
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

function finishCode(
  budget: LineBudget,
  ranges: readonly RangeChunk[],
  language: string | null,
): ChunkInput[] {
  return finishChunks(budget, absorbSmallRanges(budget, ranges, minChunkLines), language);
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
