import type { ChunkInput } from '@nellie/core';

/** Symbol information attached to a chunk. */
export interface SymbolMeta {
  name: string | null;
  kind: string | null;
  enclosing: string | null;
}

export const noSymbol: SymbolMeta = { name: null, kind: null, enclosing: null };

/**
 * A file split into lines with the size of each line, answering "does this line range fit the
 * chunk budget?" in constant time. Size is counted in characters without indentation (plus one
 * per line break), so deeply nested code is not cut smaller than flat code.
 */
export class LineBudget {
  readonly lines: string[];
  /** Largest chunk, in characters. */
  readonly maxChars: number;
  private readonly prefix: Float64Array;

  constructor(content: string, maxChars: number) {
    this.maxChars = maxChars;
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
      this.prefix[index + 1] = this.prefix[index]! + lineSize(lines[index]!);
    }
  }

  get lineCount(): number {
    return this.lines.length;
  }

  /** Size of lines `start..end` (0-based, inclusive). */
  size(start: number, end: number): number {
    return this.prefix[end + 1]! - this.prefix[start]!;
  }

  fits(start: number, end: number): boolean {
    return this.size(start, end) <= this.maxChars;
  }

  /** Within the budget plus the slack allowed for a fragment joined to a neighbour. */
  fitsJoined(start: number, end: number): boolean {
    return this.size(start, end) <= this.maxChars * joinSlack;
  }

  isBlank(line: number): boolean {
    return this.lines[line]!.trim() === '';
  }

  text(start: number, end: number): string {
    return this.lines.slice(start, end + 1).join('\n');
  }
}

/** A fragment joined to a neighbour may take the chunk this far over the budget. */
const joinSlack = 1.25;

function lineSize(line: string): number {
  return line.trim().length + 1;
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
  let first = start;
  while (first <= end) {
    if (!budget.fits(first, first)) {
      chunks.push(...splitLongLine(budget, first, meta));
      first += 1;
      continue;
    }
    let last = first;
    while (last < end && budget.fits(first, last + 1)) last += 1;
    chunks.push({ start: first, end: last, meta });
    if (last >= end) break;
    const repeat = overlap > 0 ? Math.floor((last - first + 1) * overlap) : 0;
    let next = last + 1 - repeat;
    // Never repeat a line that would push the next window over budget or stall progress.
    while (next <= last && next > first && !budget.fits(next, last + 1)) next += 1;
    first = Math.max(first + 1, next);
  }
  return chunks;
}

/** Cuts one line into pieces within budget, preferring to cut at whitespace. */
function splitLongLine(budget: LineBudget, line: number, meta: SymbolMeta): RangeChunk[] {
  const text = budget.lines[line]!;
  const pieces: RangeChunk[] = [];
  let from = 0;
  while (from < text.length) {
    let to = Math.min(text.length, from + budget.maxChars);
    if (to < text.length) {
      const space = text.lastIndexOf(' ', to);
      if (space > from + (to - from) / 2) to = space + 1;
      // Never cut an emoji or other astral character in half.
      else if (isHighSurrogate(text.charCodeAt(to - 1))) to -= 1;
    }
    const content = text.slice(from, to);
    if (content.trim() !== '') pieces.push({ start: line, end: line, meta, content });
    from = to;
  }
  return pieces;
}

function isHighSurrogate(code: number): boolean {
  return code >= 0xd800 && code <= 0xdbff;
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
    if (budget.fitsJoined(start, end)) {
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

/**
 * Joins each range shorter than `minLines` (and a quarter of the budget) to the neighbour it fits
 * best with, so no chunk is a stray fragment unless the file itself is that small. The joined
 * range may exceed the budget by a quarter; it takes the symbol of the larger part.
 */
export function absorbSmallRanges(
  budget: LineBudget,
  ranges: readonly RangeChunk[],
  minLines: number,
): RangeChunk[] {
  // Ranges over budget (a long string or comment) are cut into windows first, so a fragment
  // next to one can still join its first or last window.
  const out = ranges.flatMap((range) =>
    range.content === undefined && !budget.fitsJoined(range.start, range.end)
      ? lineWindows(budget, range.start, range.end, range.meta)
      : [{ ...range }],
  );
  const isSmall = (range: RangeChunk): boolean =>
    range.content === undefined &&
    budget.size(range.start, range.end) < budget.maxChars / 4 &&
    countFilledLines(budget, range.start, range.end) < minLines;
  /** Size of the two ranges joined, or infinity when they cannot be. */
  const joinedSize = (range: RangeChunk, neighbour: RangeChunk | undefined): number => {
    if (!neighbour || neighbour.content !== undefined) return Number.POSITIVE_INFINITY;
    const start = Math.min(range.start, neighbour.start);
    const end = Math.max(range.end, neighbour.end);
    return budget.fitsJoined(start, end) ? budget.size(start, end) : Number.POSITIVE_INFINITY;
  };
  let index = 0;
  while (index < out.length) {
    const range = out[index]!;
    if (!isSmall(range)) {
      index += 1;
      continue;
    }
    const withPrevious = joinedSize(range, out[index - 1]);
    const withNext = joinedSize(range, out[index + 1]);
    if (withPrevious === Number.POSITIVE_INFINITY && withNext === Number.POSITIVE_INFINITY) {
      index += 1;
      continue;
    }
    // A closing brace or `end` belongs to what it closes.
    const closesPrevious =
      withPrevious !== Number.POSITIVE_INFINITY && !hasWords(budget, range.start, range.end);
    const at = closesPrevious || withPrevious <= withNext ? index - 1 : index + 1;
    const other = out[at]!;
    const larger =
      budget.size(other.start, other.end) >= budget.size(range.start, range.end) ? other : range;
    const joined: RangeChunk = {
      start: Math.min(range.start, other.start),
      end: Math.max(range.end, other.end),
      meta: larger.meta,
    };
    out.splice(Math.min(index, at), 2, joined);
    index = Math.min(index, at);
  }
  return out;
}

function countFilledLines(budget: LineBudget, start: number, end: number): number {
  let count = 0;
  for (let line = start; line <= end; line += 1) if (!budget.isBlank(line)) count += 1;
  return count;
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
