import {
  lineWindows,
  noSymbol,
  type LineBudget,
  type RangeChunk,
} from '../internal/chunk-budget.ts';

/** Share of a window's lines repeated at the start of the next, so no passage loses context. */
export const lineWindowOverlap = 0.15;

/** Overlapping line windows over the whole file, for text without a grammar. */
export function chunkLineWindows(budget: LineBudget): RangeChunk[] {
  if (budget.lineCount === 0) return [];
  return lineWindows(budget, 0, budget.lineCount - 1, noSymbol, lineWindowOverlap);
}
