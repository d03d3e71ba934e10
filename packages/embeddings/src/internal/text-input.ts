import {
  NellieError,
  throwIfAborted,
  type EmbedOptions,
  type EmbeddingPriority,
} from '@nellie/core';
import { prepareModelText, type TextPreparation } from './text-preparation.ts';

const loneSurrogates = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/g;
// eslint-disable-next-line no-control-regex -- control characters are exactly what is removed
const controlCharacters = /[\u0000-\u0008\u000B\u000C\u000E-\u001F\u007F]/g;

export interface PrepareTextsOptions {
  /** Prepended to every text, e.g. `query: ` for E5-style models. */
  prefix: string;
  /** Texts are cut to this many characters before tokenisation; the tokenizer truncates again. */
  maxChars: number;
  /** The model's rewriting of the cleaned text (after the check for empty texts, before the prefix). */
  preparation?: TextPreparation;
}

/**
 * Validates and cleans texts before they are queued. Lone UTF-16 surrogates (what broken UTF-8
 * turns into) become U+FFFD and control characters become spaces; a text left empty is rejected
 * with `INVALID_INPUT` naming its index. Very long texts are cut, never rejected.
 */
export function prepareTexts(texts: unknown, options: PrepareTextsOptions): string[] {
  if (!Array.isArray(texts)) {
    throw new NellieError('INVALID_INPUT', 'embed() takes an array of strings.');
  }
  const prepared: string[] = [];
  const empty: number[] = [];
  texts.forEach((text: unknown, index) => {
    if (typeof text !== 'string') {
      throw new NellieError(
        'INVALID_INPUT',
        `texts[${index}] is ${text === null ? 'null' : `a ${typeof text}`}, not a string.`,
      );
    }
    const clean = text.replace(loneSurrogates, '\uFFFD').replace(controlCharacters, ' ');
    if (clean.trim() === '') {
      empty.push(index);
      return;
    }
    const rewritten = options.preparation ? prepareModelText(clean, options.preparation) : clean;
    prepared.push(cut(options.prefix + rewritten, options.maxChars));
  });
  if (empty.length > 0) {
    const listed = empty.slice(0, 10).map((index) => `texts[${index}]`);
    const more = empty.length > 10 ? ` and ${empty.length - 10} more` : '';
    throw new NellieError(
      'INVALID_INPUT',
      `${listed.join(', ')}${more} ${empty.length === 1 ? 'is' : 'are'} empty (or only ` +
        'whitespace and control characters); there is nothing to embed. Leave empty texts out ' +
        'of the call.',
    );
  }
  return prepared;
}

function cut(text: string, maxChars: number): string {
  if (text.length <= maxChars) return text;
  const code = text.charCodeAt(maxChars - 1);
  const end = code >= 0xd800 && code <= 0xdbff ? maxChars - 1 : maxChars;
  return text.slice(0, end);
}

/**
 * What every embedder does before queueing: checks the priority and the signal, then cleans the
 * texts with the prefix for that priority (queries and documents may be prefixed differently).
 */
export function prepareEmbedRequest(
  texts: unknown,
  options: EmbedOptions | undefined,
  config: {
    queryPrefix: string;
    documentPrefix: string;
    maxChars: number;
    preparation?: TextPreparation;
  },
): { texts: string[]; priority: EmbeddingPriority } {
  const priority = options?.priority ?? 'bulk';
  if (priority !== 'query' && priority !== 'bulk') {
    throw new NellieError('INVALID_INPUT', `Unknown priority "${String(priority)}".`);
  }
  throwIfAborted(options?.signal);
  const prefix = priority === 'query' ? config.queryPrefix : config.documentPrefix;
  return {
    texts: prepareTexts(texts, {
      prefix,
      maxChars: config.maxChars,
      ...(config.preparation ? { preparation: config.preparation } : {}),
    }),
    priority,
  };
}
