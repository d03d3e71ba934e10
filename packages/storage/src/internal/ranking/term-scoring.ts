import { codeRanking } from './settings.ts';
import { splitWord, wordPattern } from '../tokens.ts';

/**
 * A light suffix stripper for comparing query words with symbol, path and body words in JS
 * (`parsing`, `parses`, `parse` → `pars`). Applied to both sides, so it only has to be consistent.
 */
export function stem(token: string): string {
  if (token.length > 4 && token.endsWith('ies')) return `${token.slice(0, -3)}y`;
  let value = token;
  let suffixRemoved = false;
  if (value.length > 5 && value.endsWith('ing')) {
    value = value.slice(0, -3);
    suffixRemoved = true;
  } else if (value.length > 4 && value.endsWith('ed')) {
    value = value.slice(0, -2);
    suffixRemoved = true;
  } else if (value.length > 4 && /(?:ss|x|z|ch|sh)es$/.test(value)) {
    value = value.slice(0, -2);
  } else if (value.length > 3 && value.endsWith('s') && !value.endsWith('ss')) {
    value = value.slice(0, -1);
  }
  if (value.length > 4 && value.endsWith('e')) value = value.slice(0, -1);
  // running → runn → run
  if (suffixRemoved && /([b-df-hj-np-tv-z])\1$/.test(value)) value = value.slice(0, -1);
  return value;
}

/** Stems of every word and word part of a text. */
export function stemmedSet(text: string | null | undefined): Set<string> {
  const set = new Set<string>();
  if (!text) return set;
  for (const match of text.matchAll(wordPattern)) {
    for (const stemmed of wordStems(match[0])) set.add(stemmed);
  }
  return set;
}

/** Stems per distinct word: symbols and paths repeat their words, so this saves most splitting. */
const wordStemCache = new Map<string, readonly string[]>();
const wordStemCacheSize = 50_000;

/** The stems of a word's whole form and of its parts (none for a word without letters or digits). */
function wordStems(word: string): readonly string[] {
  let stems = wordStemCache.get(word);
  if (stems === undefined) {
    const tokens = splitWord(word);
    stems = tokens ? [stem(tokens.whole), ...tokens.parts.map(stem)] : [];
    if (wordStemCache.size >= wordStemCacheSize) wordStemCache.clear();
    wordStemCache.set(word, stems);
  }
  return stems;
}

/** Share of `parts` found in `set`. */
export function coverage(parts: readonly string[], set: ReadonlySet<string>): number {
  if (parts.length === 0) return 0;
  let found = 0;
  for (const part of parts) if (set.has(part)) found += 1;
  return found / parts.length;
}

/**
 * Counts query words in text the way the index matches them: at word or camelCase boundaries,
 * any case, and by stem prefix (`pars` matches parse, parser, parsing). Used to score rows that
 * were fetched without FTS5 scoring.
 */
export class TermCounter {
  readonly parts: readonly string[];
  readonly #patterns: RegExp[];
  /**
   * Lowercase ASCII stems: a text whose lowercase form lacks one cannot match its pattern, and
   * `includes` is much cheaper than the Unicode-aware pattern (null for non-ASCII stems).
   */
  readonly #asciiStems: (string | null)[];
  /** Each stem with its first letter in upper case: the form that matches at a camelCase hump. */
  readonly #capitalised: string[];

  constructor(parts: readonly string[]) {
    this.parts = parts;
    this.#asciiStems = parts.map((part) => {
      const lower = stem(part).toLowerCase();
      return /^[\x20-\x7e]+$/.test(lower) ? lower : null;
    });
    this.#capitalised = parts.map((part) => {
      const stemmed = stem(part);
      return `${stemmed[0]!.toUpperCase()}${stemmed.slice(1)}`;
    });
    this.#patterns = parts.map((part) => {
      const stemmed = stem(part);
      const anyCase = [...stemmed]
        .map((char) => {
          const lower = char.toLowerCase();
          const upper = char.toUpperCase();
          return lower === upper ? escapeRegExp(char) : `[${lower}${upper}]`;
        })
        .join('');
      const first = stemmed[0]!;
      const capitalised = `${escapeRegExp(first.toUpperCase())}${escapeRegExp(stemmed.slice(1))}`;
      // At a word start (any case) or at a camelCase hump (Capitalised after a lowercase letter).
      return new RegExp(`(?<![\\p{L}\\p{N}])${anyCase}|(?<=\\p{Ll})${capitalised}`, 'gu');
    });
  }

  #idfStatistics: TermStatistics | null = null;
  #idf: (number | undefined)[] = [];

  /**
   * The inverse document frequency of part `index` under `statistics`, looked up once per
   * counter (a counter serves one search, whose statistics do not change).
   */
  inverseDocumentFrequency(index: number, statistics: TermStatistics): number {
    if (this.#idfStatistics !== statistics) {
      this.#idfStatistics = statistics;
      this.#idf = [];
    }
    let idf = this.#idf[index];
    if (idf === undefined) {
      const df = Math.min(statistics.documentFrequency(this.parts[index]!), statistics.documents);
      idf = Math.log(1 + (statistics.documents - df + 0.5) / (df + 0.5));
      this.#idf[index] = idf;
    }
    return idf;
  }

  /** Occurrences of each part in `text`. */
  count(text: string | null | undefined): number[] {
    if (!text) return this.#patterns.map(() => 0);
    const lower = text.toLowerCase();
    // Lower-casing kept every position (no `İ` → `i̇`): ASCII stems are found with `indexOf`.
    const aligned = lower.length === text.length;
    return this.#patterns.map((pattern, index) => {
      const ascii = this.#asciiStems[index];
      if (ascii !== null && ascii !== undefined) {
        if (!lower.includes(ascii)) return 0;
        if (aligned) return countAsciiStem(text, lower, ascii, this.#capitalised[index]!);
      }
      pattern.lastIndex = 0;
      let found = 0;
      while (pattern.exec(text) !== null) found += 1;
      return found;
    });
  }
}

/**
 * What the pattern of an ASCII stem counts, without a regular expression: the non-overlapping
 * places, left to right, where the text holds the stem in any case after something that is not
 * a letter or digit (or at the start), or holds it capitalised after a lowercase letter.
 * `lower` is `text` lower-cased, of the same length.
 */
function countAsciiStem(
  text: string,
  lower: string,
  stemLower: string,
  capitalised: string,
): number {
  const length = stemLower.length;
  let found = 0;
  let from = 0;
  for (;;) {
    const at = lower.indexOf(stemLower, from);
    if (at < 0) return found;
    if (asciiStemAt(text, at, stemLower, capitalised)) {
      found += 1;
      from = at + length;
    } else {
      from = at + 1;
    }
  }
}

function asciiStemAt(text: string, at: number, stemLower: string, capitalised: string): boolean {
  // Every character is the stem's, in either case (`K`, the Kelvin sign, lower-cases to `k`).
  for (let index = 0; index < stemLower.length; index += 1) {
    const code = text.charCodeAt(at + index);
    const wanted = stemLower.charCodeAt(index);
    if (code !== wanted && !(wanted >= 97 && wanted <= 122 && code === wanted - 32)) return false;
  }
  const before = codePointBefore(text, at);
  if (before === null || !isLetterOrDigit(before)) return true;
  return isLowercaseLetter(before) && text.startsWith(capitalised, at);
}

/** The code point that ends at `at` (a surrogate pair counts as one), null at the start. */
function codePointBefore(text: string, at: number): number | null {
  if (at === 0) return null;
  const last = text.charCodeAt(at - 1);
  if (last >= 0xdc00 && last <= 0xdfff && at >= 2) {
    const high = text.charCodeAt(at - 2);
    if (high >= 0xd800 && high <= 0xdbff) return text.codePointAt(at - 2)!;
  }
  return last;
}

const letterOrDigitPattern = /^[\p{L}\p{N}]$/u;
const lowercaseLetterPattern = /^\p{Ll}$/u;

function isLetterOrDigit(code: number): boolean {
  if (code < 128) {
    return (code >= 48 && code <= 57) || (code >= 65 && code <= 90) || (code >= 97 && code <= 122);
  }
  return letterOrDigitPattern.test(String.fromCodePoint(code));
}

function isLowercaseLetter(code: number): boolean {
  if (code < 128) return code >= 97 && code <= 122;
  return lowercaseLetterPattern.test(String.fromCodePoint(code));
}

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

/** Document counts for inverse document frequencies of query parts. */
export interface TermStatistics {
  documents: number;
  documentFrequency(part: string): number;
}

/** The fields of a code chunk that BM25 in JS reads. */
export interface ScoredFields {
  symbol_name: string | null;
  enclosing_symbol: string | null;
  path: string;
  content: string;
}

/**
 * BM25 over the symbol, container, path and body of a chunk, computed in JS with the same
 * column weights FTS5 uses.
 */
export function bm25InJs(
  row: ScoredFields,
  counter: TermCounter,
  statistics: TermStatistics,
): number {
  const [symbolWeight, containerWeight, pathWeight, bodyWeight] = codeRanking.columnWeights as [
    number,
    number,
    number,
    number,
  ];
  const { k1, b, averageChunkLength } = codeRanking.bm25;
  const symbol = counter.count(row.symbol_name);
  const container = counter.count(row.enclosing_symbol);
  const path = counter.count(row.path);
  const body = counter.count(row.content);
  const lengthNorm = 1 - b + (b * row.content.length) / averageChunkLength;
  let score = 0;
  for (let index = 0; index < counter.parts.length; index += 1) {
    const tf =
      symbolWeight * symbol[index]! +
      containerWeight * container[index]! +
      pathWeight * path[index]! +
      bodyWeight * body[index]!;
    if (tf === 0) continue;
    const idf = counter.inverseDocumentFrequency(index, statistics);
    score += (idf * tf * (k1 + 1)) / (tf + k1 * lengthNorm);
  }
  return score;
}
