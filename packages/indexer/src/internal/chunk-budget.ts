import { formatChunkForEmbedding, type ChunkInput } from '@nellie/core';
import { estimateTokensRaw, specialTokens } from './token-count.ts';

/** Symbol information attached to a chunk. */
export interface SymbolMeta {
  name: string | null;
  kind: string | null;
  enclosing: string | null;
}

export const noSymbol: SymbolMeta = { name: null, kind: null, enclosing: null };

/**
 * A file split into lines with per-line token estimates, answering "does this line range, with
 * its embedding header, fit the budget?" in constant time.
 */
export class LineBudget {
  readonly lines: string[];
  readonly budget: number;
  private readonly prefix: Float64Array;
  private readonly path: string;
  private readonly headerCache = new Map<string, number>();

  constructor(path: string, content: string, budget: number) {
    this.path = path;
    this.budget = budget;
    const lines = content.split('\n');
    for (let index = 0; index < lines.length; index += 1) {
      const line = lines[index]!;
      if (line.endsWith('\r')) lines[index] = line.slice(0, -1);
    }
    // A final newline does not start another line.
    if (lines.length > 1 && lines.at(-1) === '') lines.pop();
    this.lines = lines;
    this.prefix = new Float64Array(lines.length + 1);
    for (let index = 0; index < lines.length; index += 1) {
      this.prefix[index + 1] = this.prefix[index]! + estimateTokensRaw(lines[index]!);
    }
  }

  get lineCount(): number {
    return this.lines.length;
  }

  /** Estimated tokens of lines `start..end` (0-based, inclusive) without header. */
  rangeTokens(start: number, end: number): number {
    return this.prefix[end + 1]! - this.prefix[start]!;
  }

  headerTokens(meta: SymbolMeta): number {
    const key = `${meta.enclosing ?? ''}\u0000${meta.name ?? ''}`;
    let cost = this.headerCache.get(key);
    if (cost === undefined) {
      const header = formatChunkForEmbedding({
        path: this.path,
        content: '',
        symbolName: meta.name,
        enclosingSymbol: meta.enclosing,
      });
      cost = estimateTokensRaw(header);
      this.headerCache.set(key, cost);
    }
    return cost;
  }

  /** Tokens available for code under the given header. */
  room(meta: SymbolMeta): number {
    return this.budget - specialTokens - this.headerTokens(meta);
  }

  fits(start: number, end: number, meta: SymbolMeta): boolean {
    return Math.ceil(this.rangeTokens(start, end)) <= this.room(meta);
  }

  isBlank(line: number): boolean {
    return this.lines[line]!.trim() === '';
  }

  text(start: number, end: number): string {
    return this.lines.slice(start, end + 1).join('\n');
  }
}

/** A line range (0-based, inclusive) with its symbol, before conversion to `ChunkInput`. */
export interface RangeChunk {
  start: number;
  end: number;
  meta: SymbolMeta;
  /** Set when one over-long line is cut into character ranges. */
  content?: string;
}

/**
 * Greedy line windows over `start..end`, each within budget. `overlap` is the fraction of a
 * window's lines repeated at the start of the next one (0 for none). Lines too long for any
 * window are cut into character pieces.
 */
export function lineWindows(
  budget: LineBudget,
  start: number,
  end: number,
  meta: SymbolMeta,
  overlap = 0,
): RangeChunk[] {
  const chunks: RangeChunk[] = [];
  const room = budget.room(meta);
  let first = start;
  while (first <= end) {
    if (Math.ceil(budget.rangeTokens(first, first)) > room) {
      chunks.push(...splitLongLine(budget, first, meta));
      first += 1;
      continue;
    }
    let last = first;
    while (last < end && Math.ceil(budget.rangeTokens(first, last + 1)) <= room) last += 1;
    chunks.push({ start: first, end: last, meta });
    if (last >= end) break;
    const repeat = overlap > 0 ? Math.floor((last - first + 1) * overlap) : 0;
    let next = last + 1 - repeat;
    // Never repeat a line that would push the next window over budget or stall progress.
    while (next <= last && next > first && budget.rangeTokens(next, last + 1) > room) next += 1;
    first = Math.max(first + 1, next);
  }
  return chunks;
}

/** Cuts one line into pieces within budget, preferring to cut at whitespace. */
function splitLongLine(budget: LineBudget, line: number, meta: SymbolMeta): RangeChunk[] {
  const text = budget.lines[line]!;
  const room = budget.room(meta);
  const pieces: RangeChunk[] = [];
  let from = 0;
  while (from < text.length) {
    let low = from + 1;
    let high = text.length;
    // Largest end with estimate(from, end) <= room, by binary search on the monotone estimate.
    while (low < high) {
      const middle = Math.ceil((low + high) / 2);
      if (Math.ceil(estimateTokensRaw(text, from, middle)) <= room) low = middle;
      else high = middle - 1;
    }
    let to = low;
    if (to < text.length) {
      const space = text.lastIndexOf(' ', to);
      if (space > from + (to - from) / 2) to = space + 1;
    }
    const content = text.slice(from, to);
    if (content.trim() !== '') pieces.push({ start: line, end: line, meta, content });
    from = to;
  }
  return pieces;
}

/** Drops blank edge lines, enforces the budget and converts to `ChunkInput`s. */
export function finishChunks(
  budget: LineBudget,
  ranges: readonly RangeChunk[],
  language: string | null,
): ChunkInput[] {
  const chunks: ChunkInput[] = [];
  for (const range of ranges) {
    if (range.content !== undefined) {
      chunks.push(toChunk(range, range.content, language));
      continue;
    }
    let { start, end } = range;
    while (start <= end && budget.isBlank(start)) start += 1;
    while (end >= start && budget.isBlank(end)) end -= 1;
    if (start > end || !hasWords(budget, start, end)) continue;
    if (budget.fits(start, end, range.meta)) {
      chunks.push(toChunk({ ...range, start, end }, budget.text(start, end), language));
      continue;
    }
    for (const window of lineWindows(budget, start, end, range.meta)) {
      if (window.content !== undefined) {
        chunks.push(toChunk(window, window.content, language));
        continue;
      }
      let first = window.start;
      let last = window.end;
      while (first <= last && budget.isBlank(first)) first += 1;
      while (last >= first && budget.isBlank(last)) last -= 1;
      if (first <= last && hasWords(budget, first, last)) {
        chunks.push(
          toChunk({ ...window, start: first, end: last }, budget.text(first, last), language),
        );
      }
    }
  }
  return chunks;
}

/** False for ranges of bare punctuation such as a lone closing brace. */
function hasWords(budget: LineBudget, start: number, end: number): boolean {
  for (let line = start; line <= end; line += 1) {
    if (/[\p{L}\p{N}]/u.test(budget.lines[line]!)) return true;
  }
  return false;
}

function toChunk(range: RangeChunk, content: string, language: string | null): ChunkInput {
  return {
    startLine: range.start + 1,
    endLine: range.end + 1,
    content,
    symbolName: range.meta.name,
    symbolKind: range.meta.kind,
    enclosingSymbol: range.meta.enclosing,
    language,
  };
}
