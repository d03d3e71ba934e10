import { readFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { NellieError } from '@nellie/core';
import {
  LateInteractionQuery,
  rowNorms,
  type LateInteractionOptions,
  type TokenTable,
} from './internal/late-interaction.ts';
import {
  loadStaticModelTokenizer,
  readStaticQueryWeights,
  readStaticTable,
} from './internal/static-model-files.ts';
import { readStaticModelConfig, staticModelId } from './internal/static-model-format.ts';
import { meaningfulTokenIds, skipMask } from './internal/static-pooling.ts';

export type { LateInteractionOptions } from './internal/late-interaction.ts';

/** Scores texts against one query; NaN for a text it cannot score (no token, or not tokenised synchronously). */
export type TokenScores = (texts: readonly string[]) => Float64Array;

/**
 * Token-level scoring with a static model's table: `forQuery(query)` binds a query and returns
 * a synchronous scorer of candidate texts (late interaction, see `LateInteractionOptions`).
 */
export interface StaticTokenScorer {
  readonly modelId: string;
  forQuery(query: string, options?: Partial<LateInteractionOptions>): TokenScores;
}

export interface StaticTokenScorerOptions {
  /** A static model directory (`nellie-static.json`). */
  modelDir: string;
  /** Tokens of a text scored at most (its first ones). */
  maxTokens?: number;
}

export const defaultLateInteraction: LateInteractionOptions = {
  window: 0,
  symmetric: false,
  wordsOnly: false,
};

/** Loads a static model's table and tokenizer for token-level scoring. */
export async function createStaticTokenScorer(
  options: StaticTokenScorerOptions,
): Promise<StaticTokenScorer> {
  const maxTokens = options.maxTokens ?? 512;
  if (!Number.isInteger(maxTokens) || maxTokens < 1) {
    throw new NellieError(
      'INVALID_OPTIONS',
      `maxTokens must be a positive integer (got ${maxTokens}).`,
    );
  }
  const dir = resolve(options.modelDir);
  const config = await readStaticModelConfig(dir);
  const table = await readStaticTable(dir, config);
  const queryWeights = await readStaticQueryWeights(dir, config);
  const tokenize = await loadStaticModelTokenizer(dir, config);
  const skip = skipMask(config.rows, config.skipTokenIds);
  const tokens: TokenTable = {
    table,
    dimensions: config.dimensions,
    norms: rowNorms(table, config.dimensions),
  };
  const continuations = await continuationMask(dir, config.rows);
  const idsOf = (text: string, wordsOnly: boolean): Int32Array | null => {
    const ids = tokenize(text);
    if (!Array.isArray(ids)) return null;
    const kept = meaningfulTokenIds(ids, skip, maxTokens);
    return wordsOnly ? kept.filter((id) => continuations[id] !== 1) : kept;
  };
  return {
    modelId: staticModelId(config),
    forQuery(query, scoreOptions = {}) {
      const settings = { ...defaultLateInteraction, ...scoreOptions };
      const queryIds = idsOf(query, settings.wordsOnly);
      const bound = queryIds ? new LateInteractionQuery(tokens, queryIds, queryWeights) : null;
      return (texts) => {
        const scores = new Float64Array(texts.length).fill(Number.NaN);
        if (!bound) return scores;
        texts.forEach((text, index) => {
          const ids = idsOf(text, settings.wordsOnly);
          if (ids) scores[index] = bound.score(ids, settings);
        });
        return scores;
      };
    },
  };
}

/** Marks the WordPiece continuation tokens (`##…`) of the model's tokenizer vocabulary. */
async function continuationMask(dir: string, rows: number): Promise<Uint8Array> {
  const mask = new Uint8Array(rows);
  const parsed = JSON.parse(await readFile(join(dir, 'tokenizer.json'), 'utf8')) as {
    model?: { vocab?: Record<string, number>; continuing_subword_prefix?: string };
  };
  const prefix = parsed.model?.continuing_subword_prefix ?? '##';
  for (const [token, id] of Object.entries(parsed.model?.vocab ?? {})) {
    if (id < rows && token.startsWith(prefix)) mask[id] = 1;
  }
  return mask;
}
