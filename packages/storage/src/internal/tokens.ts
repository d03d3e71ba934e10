/**
 * Identifier-aware token text. SQLite's FTS5 cannot run a JS tokenizer, so text is normalised
 * here, both for indexing and for queries: every word becomes its whole lowercase form (with `_`,
 * `$` and `-` removed) followed by its parts when it has several, so `getUserById`,
 * `get_user_by_id`, `GetUserByID` and `get-user-by-id` all index as
 * `getuserbyid get user by id`.
 */

/** A word, possibly compound: letters, digits, `_`, `$`, and `-` when a letter follows it. */
export const wordPattern = /[\p{L}\p{N}_$]+(?:-(?=[\p{L}_$])[\p{L}\p{N}_$]+)*/gu;

/** Parts of a word: camelCase, PascalCase and acronyms, digit runs, other letters. */
const partPattern =
  /\p{Lu}+(?=\p{Lu}\p{Ll})|\p{Lu}?[\p{Ll}\p{M}]+|[\p{Lu}\p{M}]+|\p{N}+|[\p{Lo}\p{Lm}\p{Lt}\p{M}]+/gu;

/** Longer words (hashes, base64, minified code) are kept whole only. */
const maxSplitLength = 64;
/** Words longer than this are cut; they are almost never searched for. */
const maxTokenLength = 128;

export interface WordTokens {
  /** Lowercase concatenation of the parts, e.g. `getuserbyid`. */
  whole: string;
  /** Lowercase parts, e.g. `get user by id`; a single entry for a simple word. */
  parts: string[];
}

/** Splits one word into its whole form and parts. Returns null for words without letters or digits. */
export function splitWord(word: string): WordTokens | null {
  if (word.length > maxSplitLength) {
    const whole = word
      .replace(/[_$-]+/g, '')
      .toLowerCase()
      .slice(0, maxTokenLength);
    return whole ? { whole, parts: [whole] } : null;
  }
  const parts: string[] = [];
  for (const segment of word.split(/[_$-]+/)) {
    for (const match of segment.matchAll(partPattern)) parts.push(match[0].toLowerCase());
  }
  if (parts.length === 0) return null;
  return { whole: parts.join(''), parts };
}

/** Every word of a text, in order. */
export function words(text: string): WordTokens[] {
  const result: WordTokens[] = [];
  for (const match of text.matchAll(wordPattern)) {
    const tokens = splitWord(match[0]);
    if (tokens) result.push(tokens);
  }
  return result;
}

/** Token text per distinct word; code repeats its identifiers, so this saves most splitting. */
const fragmentCache = new Map<string, string>();
const fragmentCacheSize = 50_000;

function fragment(word: string): string {
  let cached = fragmentCache.get(word);
  if (cached === undefined) {
    const tokens = splitWord(word);
    cached = tokens
      ? tokens.parts.length > 1
        ? `${tokens.whole} ${tokens.parts.join(' ')}`
        : tokens.whole
      : '';
    if (fragmentCache.size >= fragmentCacheSize) fragmentCache.clear();
    fragmentCache.set(word, cached);
  }
  return cached;
}

/** The normalised token text stored in the full-text index. */
export function tokenText(text: string | null | undefined): string {
  if (!text) return '';
  const out: string[] = [];
  for (const match of text.matchAll(wordPattern)) {
    const value = fragment(match[0]);
    if (value) out.push(value);
  }
  return out.join(' ');
}

/** The key of a symbol name for exact lookups: its words run together (`getuserbyid`). */
export function symbolKey(name: string | null | undefined): string | null {
  if (!name) return null;
  const key = words(name)
    .map((word) => word.whole)
    .join('');
  return key || null;
}

/** Token text for a relative path: directories, base name and extension. */
export function pathTokenText(path: string): string {
  return tokenText(path.replace(/[/\\.]+/g, ' '));
}

/**
 * Words that carry no meaning in a natural-language question about code. They are dropped from
 * queries that also contain other words; identifiers keep all their parts.
 */
const stopWords = new Set([
  'a',
  'able',
  'about',
  'all',
  'also',
  'an',
  'and',
  'another',
  'any',
  'are',
  'as',
  'at',
  'based',
  'be',
  'been',
  'being',
  'between',
  'both',
  'but',
  'by',
  'can',
  'certain',
  'code',
  'could',
  'depending',
  'did',
  'different',
  'do',
  'does',
  'doing',
  'done',
  'e',
  'each',
  'eg',
  'either',
  'else',
  'etc',
  'every',
  'find',
  'for',
  'from',
  'function',
  'functions',
  'g',
  'given',
  'has',
  'have',
  'having',
  'here',
  'how',
  'i',
  'ie',
  'if',
  'implement',
  'implementation',
  'implemented',
  'in',
  'instead',
  'into',
  'is',
  'it',
  'its',
  'just',
  'logic',
  'me',
  'method',
  'methods',
  'my',
  'need',
  'needs',
  'of',
  'on',
  'one',
  'onto',
  'or',
  'other',
  'others',
  'our',
  'same',
  'should',
  'show',
  'so',
  'some',
  'something',
  'such',
  'than',
  'that',
  'the',
  'their',
  'them',
  'then',
  'there',
  'these',
  'they',
  'thing',
  'things',
  'this',
  'those',
  'three',
  'through',
  'to',
  'two',
  'under',
  'upon',
  'us',
  'via',
  'vs',
  'want',
  'was',
  'way',
  'ways',
  'we',
  'were',
  'what',
  'when',
  'where',
  'whether',
  'which',
  'while',
  'who',
  'whose',
  'why',
  'will',
  'with',
  'within',
  'would',
  'you',
  'your',
]);

export function isStopWord(token: string): boolean {
  return stopWords.has(token);
}

/** Most query words used; the rest of a long query is ignored (documented). */
export const maxQueryTerms = 32;

/** A query analysed into full-text terms. */
export interface AnalyzedQuery {
  /** Words as typed (compound identifiers keep their parts), without stop words when others remain. */
  terms: WordTokens[];
  /**
   * The words run together (`get user by id` → `getuserbyid`), with and without stop words,
   * when the query has several words.
   */
  concatenations: string[];
  /** Distinct parts of all terms, without stop words (when others remain). */
  parts: string[];
  /**
   * Forms that name a symbol exactly: compound identifiers (`getUserById`), the words run
   * together, and the word itself for a one-word query.
   */
  symbolNames: Set<string>;
  /** Adjacent meaningful words, as phrases that reward words appearing together. */
  bigrams: string[];
}

export function analyzeQuery(query: string): AnalyzedQuery {
  const all = words(query).slice(0, maxQueryTerms);
  const meaningful = all.filter((word) => word.parts.length > 1 || !isStopWord(word.whole));
  const kept = meaningful.length > 0 ? meaningful : all;
  const seen = new Set<string>();
  const terms: WordTokens[] = [];
  for (const word of kept) {
    if (seen.has(word.whole)) continue;
    seen.add(word.whole);
    terms.push(word);
  }
  const allParts = [...new Set(terms.flatMap((term) => term.parts))];
  const meaningfulParts = allParts.filter((part) => !isStopWord(part));
  const parts = meaningfulParts.length > 0 ? meaningfulParts : allParts;
  const concatenations =
    all.length > 1
      ? [
          ...new Set([
            all.map((word) => word.whole).join(''),
            terms.map((word) => word.whole).join(''),
          ]),
        ].filter((value) => value.length <= 128)
      : [];
  const symbolNames = new Set(concatenations);
  for (const term of terms) {
    if (term.parts.length > 1 || terms.length === 1) symbolNames.add(term.whole);
  }
  const bigrams: string[] = [];
  for (let index = 1; index < terms.length; index += 1) {
    bigrams.push(`${terms[index - 1]!.parts.at(-1)!} ${terms[index]!.parts[0]!}`);
  }
  return { terms, concatenations, parts, symbolNames, bigrams };
}

/** Quotes a token as an FTS5 string; tokens hold only letters and digits, quotes are doubled anyway. */
export function ftsString(token: string): string {
  return `"${token.replaceAll('"', '""')}"`;
}
