/**
 * Pairs that need no doc comment: words written elsewhere about a function, paired with the
 * function's code, and the split names of functions without doc comments. A test's name (`it('parses quoted headers', …)`, `test_parse_quoted_headers`)
 * goes to the definition the test calls whose name it shares a word with; a Markdown sentence
 * that names a symbol in backticks goes to that symbol's definition. Definitions come from the
 * chunks' symbols in files that are neither tests nor Markdown, and a name defined in two files
 * is left out (the pair could point at the wrong one).
 */

import type { CodePair } from './code-pair.ts';

export interface ReferenceText {
  content: string;
  language?: string | null;
  symbol?: string | null;
  path?: string | null;
}

export interface ReferencePairsOptions {
  tests: boolean;
  markdown: boolean;
  /** Pair undocumented definitions' names (split into words) with their code, as documented ones are. */
  undocumentedNames: boolean;
  minQueryWords: number;
  /** A definition's code as pairs use it (doc comments stripped, cut), or null when too short. */
  prepareCode: (code: string) => string | null;
  /** Whether code holds a doc comment. */
  hasDocComment: (code: string) => boolean;
  split: (identifier: string) => string;
}

const testPath =
  /(?:^|[/\\])(?:tests?|specs?|__tests__|testing)[/\\]|(?:^|[/\\._-])(?:test|spec)s?[._-][^/\\]*$|[._-](?:test|spec)s?\.[^/\\]+$/i;
const markdownPath = /\.(?:md|markdown|mdx|rst)$/i;

/** Test cases named by a string: `it('…')`, `test "…" do`, Zig's `test "…" {`, Kotlin's `` fun `…`() ``. */
const stringTestCase =
  /\b(?:it|test|specify|scenario|should)\s*\(?\s*(['"`])((?:(?!\1)[^\n\\]){8,200})\1|\bfun\s+`([^`\n]{8,200})`/g;
/** Test cases named by their function: `def test_x`, `func TestX`, `fn test_x`, `function testX`, `#[test] fn x`, `@Test void x`. */
const namedTestCase =
  /\b(?:def|func|fn|function|void|fun)\s+((?:test|Test)_?[A-Za-z0-9]\w*)|#\[(?:tokio::)?test\]\s*(?:async\s+)?fn\s+(\w+)|@Test\b[\s\S]{0,80}?\b(?:void|fun)\s+(\w+)/g;
const identifierPattern = /[A-Za-z_$][\w$]*/g;
/** Most test or Markdown pairs one definition gets (each kind). */
const maxPairsPerDefinition = 3;
const shortWords = new Set(['the', 'and', 'for', 'with', 'test', 'should', 'when', 'that', 'not']);

function isTestText(text: ReferenceText): boolean {
  return typeof text.path === 'string' && testPath.test(text.path);
}

function isMarkdownText(text: ReferenceText): boolean {
  return (
    text.language === 'markdown' || (typeof text.path === 'string' && markdownPath.test(text.path))
  );
}

/** Lower-case word stems of a text, for matching a test's name with a callee's name. */
function stems(words: string): Set<string> {
  const result = new Set<string>();
  for (const word of words.toLowerCase().split(/[^a-z0-9]+/)) {
    if (word.length < 3 || shortWords.has(word)) continue;
    result.add(word.replace(/(?:ing|ed|es|s)$/, '') || word);
  }
  return result;
}

function wordCount(text: string): number {
  return text.split(/\s+/).filter((word) => /[a-z]/i.test(word)).length;
}

interface Definition {
  code: string;
  /** The chunk had doc comments (stripped from `code`): its name is paired already. */
  documented: boolean;
}

/** symbol → its code, for names defined in one file only. */
function collectDefinitions(
  texts: readonly ReferenceText[],
  options: ReferencePairsOptions,
): Map<string, Definition> {
  const found = new Map<string, { path: string | null; definition: Definition | null }>();
  const ambiguous = new Set<string>();
  for (const text of texts) {
    const symbol = text.symbol;
    if (!symbol || symbol.length < 3 || isTestText(text) || isMarkdownText(text)) continue;
    const path = text.path ?? null;
    const earlier = found.get(symbol);
    if (earlier) {
      if (earlier.path !== path) ambiguous.add(symbol);
      continue;
    }
    const code = options.prepareCode(text.content);
    const definition =
      code === null ? null : { code, documented: options.hasDocComment(text.content) };
    found.set(symbol, { path, definition });
  }
  const definitions = new Map<string, Definition>();
  for (const [symbol, { definition }] of found) {
    if (definition !== null && !ambiguous.has(symbol)) definitions.set(symbol, definition);
  }
  return definitions;
}

/** The defined identifier in `body` whose name shares the most word stems with `query`. */
function bestCallee(
  body: string,
  query: string,
  definitions: Map<string, Definition>,
  split: (identifier: string) => string,
  exclude: string,
): string | null {
  const queryStems = stems(query);
  let best: string | null = null;
  let bestShared = 0;
  const tried = new Set<string>();
  for (const match of body.matchAll(identifierPattern)) {
    const identifier = match[0];
    if (identifier === exclude || tried.has(identifier) || !definitions.has(identifier)) continue;
    tried.add(identifier);
    let shared = 0;
    for (const stem of stems(split(identifier))) if (queryStems.has(stem)) shared += 1;
    if (
      shared > bestShared ||
      (shared === bestShared && shared > 0 && identifier.length > best!.length)
    ) {
      best = identifier;
      bestShared = shared;
    }
  }
  return best;
}

function testPairs(
  text: ReferenceText,
  definitions: Map<string, Definition>,
  options: ReferencePairsOptions,
  add: (query: string, code: string, kind: CodePair['kind']) => void,
): void {
  const content = text.content;
  const cases: { index: number; query: string; name: string }[] = [];
  for (const match of content.matchAll(stringTestCase)) {
    cases.push({ index: match.index, query: (match[2] ?? match[3] ?? '').trim(), name: '' });
  }
  for (const match of content.matchAll(namedTestCase)) {
    const name = match[1] ?? match[2] ?? match[3] ?? '';
    const words = options.split(name.replace(/^test_?/i, ''));
    cases.push({ index: match.index, query: words, name });
  }
  cases.sort((a, b) => a.index - b.index);
  cases.forEach((testCase, position) => {
    if (wordCount(testCase.query) < options.minQueryWords) return;
    const body = content.slice(testCase.index, cases[position + 1]?.index ?? content.length);
    const callee = bestCallee(body, testCase.query, definitions, options.split, testCase.name);
    if (callee) add(testCase.query, definitions.get(callee)!.code, 'test');
  });
}

/** Markdown as plain sentences: code blocks dropped, links and emphasis reduced to their words. */
function markdownSentences(content: string): string[] {
  const prose = content.replace(/^(`{3,}|~{3,})[\s\S]*?^\1[ \t]*$/gm, '\n');
  const sentences: string[] = [];
  for (const block of prose.split(/\n[ \t]*\n|\n(?=[ \t]*(?:#|[-*+] |\d+\. ))/)) {
    const line = block
      .replace(/^[ \t]*(?:#+|[-*+]|\d+\.|>)[ \t]*/gm, '')
      .replace(/!?\[([^\]]*)\]\([^)]*\)/g, '$1')
      .replace(/<[^>]+>/g, ' ')
      .replace(/\s+/g, ' ')
      .trim();
    for (const sentence of line.split(/(?<=[.!?:])\s+(?=[A-Z`])/)) {
      if (sentence.includes('`')) sentences.push(sentence);
    }
  }
  return sentences;
}

function markdownPairs(
  text: ReferenceText,
  definitions: Map<string, Definition>,
  options: ReferencePairsOptions,
  add: (query: string, code: string, kind: CodePair['kind']) => void,
): void {
  for (const sentence of markdownSentences(text.content)) {
    // `nvm_remote_version()` reads as the words a user would type: nvm remote version.
    const query = sentence
      .replace(/`([^`\n]+)`/g, (_span, code: string) => options.split(code.replace(/\W+/g, ' ')))
      .replace(/(^|\s)[*_]+|[*_]+(?=\s|$|[.,;:!?])/g, '$1')
      .replace(/[.:]$/, '')
      .replace(/\s+/g, ' ')
      .trim();
    const words = wordCount(query);
    if (words < options.minQueryWords || words > 40) continue;
    for (const span of sentence.matchAll(/`([^`\n]+)`/g)) {
      // `client.parseHeaders(raw)` names parseHeaders.
      const name = /([A-Za-z_$][\w$]*)\s*(?:\(|$)/.exec(span[1]!.trim())?.[1];
      const code = name ? definitions.get(name)?.code : undefined;
      if (code) {
        add(query, code, 'prose');
        break;
      }
    }
  }
}

/** Test-name and Markdown pairs from a set of texts (see the module comment). */
export function mineReferencePairs(
  texts: readonly ReferenceText[],
  options: ReferencePairsOptions,
  add: (query: string, code: string, kind: CodePair['kind']) => void,
): void {
  const definitions = collectDefinitions(texts, options);
  if (definitions.size === 0) return;
  // A project's main function is named by half its README and called by most tests; more than a
  // few pairs with one code would mostly teach generic prose, and put copies of one code in a
  // batch as each other's negatives.
  const perCode = new Map<string, number>();
  const capped = (query: string, code: string, kind: CodePair['kind']): void => {
    const key = `${kind}\u0000${code}`;
    const count = perCode.get(key) ?? 0;
    if (count >= maxPairsPerDefinition) return;
    perCode.set(key, count + 1);
    add(query, code, kind);
  };
  if (options.undocumentedNames) {
    for (const [symbol, definition] of definitions) {
      const words = options.split(symbol);
      if (!definition.documented && words.length >= 4 && words.includes(' ')) {
        add(words, definition.code, 'name');
      }
    }
  }
  for (const text of texts) {
    if (options.tests && isTestText(text)) testPairs(text, definitions, options, capped);
    else if (options.markdown && isMarkdownText(text))
      markdownPairs(text, definitions, options, capped);
  }
}
