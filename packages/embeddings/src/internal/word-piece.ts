/**
 * BERT WordPiece tokenisation without the transformers.js runtime: the BertNormalizer (clean
 * text, space around CJK ideographs, lowercase, strip accents), the BertPreTokenizer (split on
 * whitespace and punctuation) and greedy longest-match subwords, with a cache of words already
 * seen. Printable ASCII (nearly all source code) skips the Unicode normalisation. It returns the
 * same ids as transformers.js does for the tokenizer.json it is built from; a text holding an
 * added token written out (such as `[CLS]`) returns undefined and goes through the full tokenizer.
 */

export type FastTokenize = (text: string) => number[] | undefined;

interface TokenizerJson {
  normalizer?: {
    type?: string;
    lowercase?: boolean;
    clean_text?: boolean;
    handle_chinese_chars?: boolean;
    strip_accents?: boolean | null;
  } | null;
  pre_tokenizer?: { type?: string } | null;
  model?: {
    type?: string;
    vocab?: Record<string, number>;
    unk_token?: string;
    continuing_subword_prefix?: string;
    max_input_chars_per_word?: number;
  };
  added_tokens?: { content: string }[];
}

const wordCacheLimit = 100_000;
/** Printable ASCII plus tab and line breaks, which need no Unicode normalisation. */
const plainAscii = /^[\t\n\r\x20-\x7E]*$/;
// The same character classes as transformers.js's BertNormalizer and BertPreTokenizer.
const controlCharacters = /[\0\uFFFD\p{Cc}\p{Cf}\p{Co}\p{Cs}]/gu;
const keptControls = new Set(['\t', '\n', '\r']);
const whitespace = /\s/gu;
const cjkIdeographs = /[\u4E00-\u9FFF\u3400-\u4DBF\uF900-\uFAFF]/g;
const combiningMarks = /\p{Mn}/gu;
const punctuationClass = '\\p{P}\\u0021-\\u002F\\u003A-\\u0040\\u005B-\\u0060\\u007B-\\u007E';
const preTokens = new RegExp(`[^\\s${punctuationClass}]+|[${punctuationClass}]`, 'gu');

/**
 * Builds the fast path, or returns undefined when the tokenizer is not a plain BERT WordPiece.
 * `extraWords` (a static model's vocabulary extension) gives whole words their own id before
 * WordPiece would cut them into pieces; with it, a written-out special token is read as text,
 * so every text takes this path.
 */
export function createFastWordPiece(
  tokenizer: unknown,
  extraWords?: ReadonlyMap<string, number>,
): FastTokenize | undefined {
  if (typeof tokenizer !== 'object' || tokenizer === null) return undefined;
  const json = tokenizer as TokenizerJson;
  const model = json.model;
  if (
    json.normalizer?.type !== 'BertNormalizer' ||
    json.pre_tokenizer?.type !== 'BertPreTokenizer' ||
    model?.type !== 'WordPiece' ||
    !model.vocab ||
    model.unk_token === undefined
  ) {
    return undefined;
  }
  const normalizer = json.normalizer;
  const lowercase = normalizer.lowercase !== false;
  const stripAccents = lowercase
    ? normalizer.strip_accents !== false
    : normalizer.strip_accents === true;
  const normalize = (text: string): string => {
    let result = text;
    if (normalizer.clean_text !== false) {
      result = result
        .replace(controlCharacters, (char) => (keptControls.has(char) ? char : ''))
        .replace(whitespace, ' ');
    }
    if (normalizer.handle_chinese_chars !== false) result = result.replace(cjkIdeographs, ' $& ');
    if (lowercase) result = result.toLowerCase();
    if (stripAccents) result = result.normalize('NFD').replace(combiningMarks, '');
    return result;
  };
  const vocabulary = new Map(Object.entries(model.vocab));
  const unknown = vocabulary.get(model.unk_token);
  if (unknown === undefined) return undefined;
  const prefix = model.continuing_subword_prefix ?? '##';
  const maxWordChars = model.max_input_chars_per_word ?? 100;
  const addedTokens =
    extraWords && extraWords.size > 0
      ? []
      : (json.added_tokens ?? []).map((token) => token.content).filter(Boolean);
  const cache = new Map<string, readonly number[]>();

  const wordPiece = (word: string): readonly number[] => {
    const cached = cache.get(word);
    if (cached) return cached;
    // Code points, not UTF-16 units, as the reference implementation counts and cuts.
    const chars = plainAscii.test(word) ? word : [...word];
    let ids: number[];
    const extra = extraWords?.get(word);
    if (extra !== undefined) ids = [extra];
    else if (chars.length > maxWordChars) ids = [unknown];
    else {
      ids = [];
      let start = 0;
      while (start < chars.length) {
        let end = chars.length;
        let found: number | undefined;
        while (end > start) {
          const part =
            typeof chars === 'string' ? chars.slice(start, end) : chars.slice(start, end).join('');
          const piece = start === 0 ? part : prefix + part;
          found = vocabulary.get(piece);
          if (found !== undefined) break;
          end -= 1;
        }
        if (found === undefined) {
          ids = [unknown];
          break;
        }
        ids.push(found);
        start = end;
      }
    }
    if (cache.size >= wordCacheLimit) cache.clear();
    // A substring of 13+ characters is a view into the whole text in V8; store a copy so the
    // cache never keeps the texts it has seen alive.
    cache.set(word.length < 13 ? word : Buffer.from(word, 'utf8').toString('utf8'), ids);
    return ids;
  };

  const general = (text: string): number[] => {
    const ids: number[] = [];
    for (const word of normalize(text).trim().match(preTokens) ?? []) {
      for (const id of wordPiece(word)) ids.push(id);
    }
    return ids;
  };

  return (text) => {
    for (const token of addedTokens) if (text.includes(token)) return undefined;
    if (!plainAscii.test(text)) return general(text);
    const source = lowercase ? text.toLowerCase() : text;
    const ids: number[] = [];
    let wordStart = -1;
    for (let index = 0; index <= source.length; index += 1) {
      const code = index < source.length ? source.charCodeAt(index) : 32;
      const space = code === 32 || code === 9 || code === 10 || code === 13;
      const punctuation =
        (code >= 33 && code <= 47) ||
        (code >= 58 && code <= 64) ||
        (code >= 91 && code <= 96) ||
        (code >= 123 && code <= 126);
      if (space || punctuation) {
        if (wordStart >= 0) {
          for (const id of wordPiece(source.slice(wordStart, index))) ids.push(id);
          wordStart = -1;
        }
        if (punctuation) for (const id of wordPiece(source[index]!)) ids.push(id);
      } else if (wordStart < 0) wordStart = index;
    }
    return ids;
  };
}
