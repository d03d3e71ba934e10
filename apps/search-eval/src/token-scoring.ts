/**
 * Token-level re-scoring of hybrid candidates (late interaction over a static table), switched
 * on by NELLIE_EVAL_TOKEN_SCORER=<static model dir> (see the README); the CPU it adds per query
 * is recorded and printed when the run ends.
 */
import type { CodeSearchRequest } from '@nellie/core';
import { createStaticTokenScorer, type StaticTokenScorer } from '@nellie/embeddings';

export interface TokenScoring {
  /** The request's `tokenScores` for a query. */
  forQuery(query: string): NonNullable<CodeSearchRequest['tokenScores']>;
}

const scorers = new Map<string, Promise<StaticTokenScorer>>();
const cpuMilliseconds: number[] = [];
let reported = false;

/**
 * `NELLIE_EVAL_TOKEN_SCORER=<dir>`, `NELLIE_EVAL_TOKEN_WINDOW=0|8|16` (0: single tokens),
 * `NELLIE_EVAL_TOKEN_SYMMETRIC=1`, `NELLIE_EVAL_TOKEN_WORDS=1` (whole-word tokens only), `NELLIE_EVAL_TOKEN_MAX=512` (tokens of a text scored).
 */
export async function tokenScoringFromEnv(
  env: NodeJS.ProcessEnv,
): Promise<TokenScoring | undefined> {
  const dir = env.NELLIE_EVAL_TOKEN_SCORER;
  if (!dir) return undefined;
  const window = Number(env.NELLIE_EVAL_TOKEN_WINDOW ?? 0);
  const maxTokens = Number(env.NELLIE_EVAL_TOKEN_MAX ?? 512);
  if (!Number.isInteger(window) || window < 0 || !Number.isInteger(maxTokens) || maxTokens < 1) {
    throw new Error('NELLIE_EVAL_TOKEN_WINDOW and NELLIE_EVAL_TOKEN_MAX take whole numbers.');
  }
  const symmetric = env.NELLIE_EVAL_TOKEN_SYMMETRIC === '1';
  const wordsOnly = env.NELLIE_EVAL_TOKEN_WORDS === '1';
  const key = `${dir}\n${maxTokens}`;
  if (!scorers.has(key)) scorers.set(key, createStaticTokenScorer({ modelDir: dir, maxTokens }));
  const scorer = await scorers.get(key)!;
  if (!reported) {
    reported = true;
    process.once('beforeExit', printCost);
  }
  return {
    forQuery(query) {
      const started = process.cpuUsage();
      const scores = scorer.forQuery(query, { window, symmetric, wordsOnly });
      const bound = process.cpuUsage(started);
      let spent = (bound.user + bound.system) / 1000;
      cpuMilliseconds.push(0);
      const slot = cpuMilliseconds.length - 1;
      return (texts) => {
        const start = process.cpuUsage();
        const result = scores(texts);
        const used = process.cpuUsage(start);
        spent += (used.user + used.system) / 1000;
        cpuMilliseconds[slot] = spent;
        return result;
      };
    },
  };
}

function printCost(): void {
  if (cpuMilliseconds.length === 0) return;
  const sorted = [...cpuMilliseconds].sort((a, b) => a - b);
  const at = (share: number): number =>
    sorted[Math.min(sorted.length - 1, Math.floor(share * sorted.length))]!;
  const mean = sorted.reduce((sum, value) => sum + value, 0) / sorted.length;
  process.stderr.write(
    `token scoring CPU per query (ms): mean ${mean.toFixed(2)}, p50 ${at(0.5).toFixed(2)}, p95 ${at(0.95).toFixed(2)} over ${sorted.length} queries\n`,
  );
}
