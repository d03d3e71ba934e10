import { codeRanking } from './settings.ts';

/**
 * Which chunks define a symbol a query names. Identifier-like queries want the definition, not
 * the places that use the name; the definition is found by a definition keyword before the name
 * (`class Session`, `pub trait IntoResponse`, `defmodule Phoenix.Router`), which also covers
 * chunks whose symbol the chunker did not record.
 */

const definitionKeywords = [
  'class',
  'module',
  'defmodule',
  'def',
  'interface',
  'struct',
  'enum',
  'trait',
  'type',
  'typealias',
  'func',
  'function',
  'object',
  'fn',
  'fun',
  'package',
  'namespace',
  'protocol',
  'record',
  'typedef',
  'extension',
  'actor',
  'const',
  'let',
  'var',
  'val',
  'macro_rules!',
];

const keywordAlternatives = definitionKeywords
  .map((keyword) => keyword.replace(/[.*+?^${}()|[\]\\!]/g, '\\$&'))
  .join('|');

/** The names a symbol query asks for: `Phoenix.Router` → Router and Phoenix.Router. */
export function queriedSymbols(query: string): string[] {
  const trimmed = query.trim();
  const last = trimmed.split(/::|\\|->|\.|#/).at(-1) ?? trimmed;
  return [...new Set([last, trimmed])].filter((name) => /^[\w$]+$/.test(name));
}

/** Compound identifiers (camelCase, PascalCase, snake_case) inside a natural-language query. */
export function embeddedSymbols(query: string): string[] {
  const found = query.match(
    /\b(?:[A-Z][a-z][\w$]*[A-Z][\w$]*|[a-z][\w$]*[A-Z][\w$]+|[a-z]+_[\w$]+)\b/g,
  );
  return [...new Set(found ?? [])];
}

const patternCache = new Map<string, RegExp>();

function definitionPattern(name: string): RegExp {
  let pattern = patternCache.get(name);
  if (!pattern) {
    // Case matters: `Module` in prose or `Class` calls are not definitions.
    pattern = new RegExp(
      `(?:^|(?<=[\\s(]))(?:${keywordAlternatives})\\s+(?:[\\w$]+(?:\\.|::))*${name.replace(/\$/g, '\\$')}(?=[\\s<({:\\[;=,]|$)`,
      'gm',
    );
    if (patternCache.size >= 256) patternCache.clear();
    patternCache.set(name, pattern);
  }
  return pattern;
}

/**
 * A line that is a comment up to the match: `#`, `//`, `/*`, `*`, `--`, `;` or `%` first (not
 * Rust's `#[attribute]`).
 */
const commentLinePrefix = /^[ \t]*(?:#(?!\[)|\/\/|\/\*|\*|--|;|%)/;

/** A name without regular-expression syntax: the definition pattern holds it as it is. */
const plainName = /^[\w$]+$/;

/**
 * True when the text defines one of the names. With `definitionsInComments` off, a definition
 * in a comment does not count: doc comments show examples (`#   class Engine < Rails::Engine`),
 * which made every chunk of a long comment look like the definition.
 */
export function definesSymbol(content: string, names: readonly string[]): boolean {
  return names.some((name) => {
    // The pattern holds a plain name as it is: text without it has no match.
    if (plainName.test(name) && !content.includes(name)) return false;
    const pattern = definitionPattern(name);
    pattern.lastIndex = 0;
    for (const match of content.matchAll(pattern)) {
      if (codeRanking.definitionsInComments) return true;
      const lineStart = content.lastIndexOf('\n', match.index - 1) + 1;
      if (!commentLinePrefix.test(content.slice(lineStart, match.index))) return true;
    }
    return false;
  });
}

/** True when a file's name (without extension) is the symbol, in any case, plural or snake_case. */
export function fileNamedAfter(path: string, names: readonly string[]): boolean {
  const stem = (path.split('/').at(-1) ?? path).replace(/\..*$/, '').toLowerCase();
  const flat = stem.replaceAll('_', '').replaceAll('-', '');
  return names.some((name) => {
    const wanted = name.toLowerCase();
    return [stem, flat].some((form) => form === wanted || form.replace(/s$/, '') === wanted);
  });
}
