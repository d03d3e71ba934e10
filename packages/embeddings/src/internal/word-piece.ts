/**
 * A fast path for BERT WordPiece tokenizers on ASCII text (nearly all source code): lowercase,
 * split on whitespace and punctuation, greedy longest-match subwords, with a cache of words
 * already seen. It returns the same ids as the tokenizer.json it is built from; texts it does not
 * handle exactly (non-ASCII or control characters, added tokens such as `[CLS]` written in the text) return undefined
 * and go through the full tokenizer.
 */

export type FastTokenize = (text: string) => number[] | undefined;

interface TokenizerJson {
  normalizer?: {
    type?: string;
    lowercase?: boolean;
    clean_text?: boolean;
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

const wordCacheLimit = 200_000;
/** Printable ASCII plus tab and line breaks; anything else takes the full tokenizer. */
const plainAscii = /^[\t\n\r\x20-\x7E]*$/;

/** Builds the fast path, or returns undefined when the tokenizer is not a plain BERT WordPiece. */
export function createFastWordPiece(tokenizer: unknown): FastTokenize | undefined {
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
  const lowercase = json.normalizer.lowercase !== false;
  const vocabulary = new Map(Object.entries(model.vocab));
  const unknown = vocabulary.get(model.unk_token);
  if (unknown === undefined) return undefined;
  const prefix = model.continuing_subword_prefix ?? '##';
  const maxWordChars = model.max_input_chars_per_word ?? 100;
  const addedTokens = (json.added_tokens ?? []).map((token) => token.content).filter(Boolean);
  const cache = new Map<string, readonly number[]>();

  const wordPiece = (word: string): readonly number[] => {
    const cached = cache.get(word);
    if (cached) return cached;
    let ids: number[];
    if (word.length > maxWordChars) ids = [unknown];
    else {
      ids = [];
      let start = 0;
      while (start < word.length) {
        let end = word.length;
        let found: number | undefined;
        while (end > start) {
          const piece = start === 0 ? word.slice(start, end) : prefix + word.slice(start, end);
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
    cache.set(word, ids);
    return ids;
  };

  return (text) => {
    if (!plainAscii.test(text)) return undefined;
    for (const token of addedTokens) if (text.includes(token)) return undefined;
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
