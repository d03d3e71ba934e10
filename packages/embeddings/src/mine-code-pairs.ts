/**
 * Mines (description → code) training pairs from code chunks (the indexer's `chunkFile()`
 * output, or any code text): a documented function gives its doc comment's first sentence →
 * its code with every doc comment stripped, and its name → the same code; an undocumented
 * chunk's symbol gives its name → its code. Optionally test names and Markdown sentences too
 * (`internal/reference-pairs.ts`). Pure text work; no parser beyond the comment forms themselves.
 */

import type { CodePair } from './internal/code-pair.ts';
import { mineReferencePairs } from './internal/reference-pairs.ts';

export type { CodePair };

/** A piece of source code, e.g. one chunk of the indexer. */
export interface CodeText {
  /** The code, normally one function, method or class with the comment above it. */
  content: string;
  /** Language id as the indexer detects it (`typescript`, `python`, …); guessed when missing. */
  language?: string | null;
  /** Symbol the chunk defines, when the chunker knows it. */
  symbol?: string | null;
  /** The file's path; test and Markdown pairs need it to tell tests, docs and code apart. */
  path?: string | null;
}

export interface MineCodePairsOptions {
  /**
   * Also pair each definition's name (split into words) with its code: a documented one's from
   * its doc comment, an undocumented one's from the chunk's `symbol`. Default true.
   */
  namePairs?: boolean;
  /**
   * Also pair test names (`it('parses quoted headers', …)`, `test_parse_quoted_headers`) with the
   * definition the test calls whose name shares a word with the test's. Default false.
   */
  testPairs?: boolean;
  /** Also pair Markdown sentences naming a symbol in backticks with its definition. Default false. */
  markdownPairs?: boolean;
  /** Fewest words a doc sentence needs. Default 3. */
  minQueryWords?: number;
  /** Fewest non-blank code lines a pair needs. Default 3. */
  minCodeLines?: number;
  /** Longest code kept per pair, in characters (the rest is cut). Default 2,000. */
  maxCodeChars?: number;
}

const blockDocComment = /\/\*\*(?!\/)[\s\S]*?\*\//g;
/** Runs of `///` lines (Rust, C#, Swift, Dart). */
const slashDocLines = /(?:^[ \t]*\/\/\/(?!\/).*(?:\r?\n|$))+/gm;
/** A Python docstring right after a `def`/`class` line. */
const pythonDocstring =
  /^([ \t]*(?:async[ \t]+)?(?:def|class)[ \t]+([A-Za-z_]\w*)[^\n]*:[ \t]*\r?\n)([ \t]*)(?:[rRuU]?)("""|''')([\s\S]*?)\4[ \t]*\r?\n?/gm;
/** The name a definition right after a comment goes by. */
const definitionName =
  /^[ \t]*(?:@[\w.]+(?:\([^)]*\))?\s*)*(?:(?:export|default|public|private|protected|internal|static|async|abstract|override|final|virtual|readonly|declare|pub(?:\([^)]*\))?|unsafe|extern|const|inline|open|suspend)\s+)*(?:function\*?\s+|fn\s+|func\s+|fun\s+|def\s+|class\s+|interface\s+|struct\s+|enum\s+|trait\s+|type\s+|(?:let|const|var)\s+)?([A-Za-z_$][\w$]*)/;

/** The description part of a comment, as plain words (tags, markers and markup removed). */
function commentText(comment: string): string {
  const lines = comment
    .replace(/^\/\*\*+/, '')
    .replace(/\*+\/$/, '')
    .split(/\r?\n/)
    .map((line) => line.replace(/^\s*(?:\/\/\/|\*+)\s?/, '').trim());
  const description: string[] = [];
  for (const line of lines) {
    if (
      line.startsWith('@') ||
      /^#\s*(?:Examples?|Arguments|Returns|Panics|Errors|Safety)\b/.test(line)
    )
      break;
    if (line === '') {
      if (description.length > 0) break;
      continue;
    }
    description.push(line);
  }
  return description
    .join(' ')
    .replace(/\{@(?:link|linkcode|linkplain)\s+([^}|\s]+)(?:[|\s][^}]*)?\}/g, '$1')
    .replace(/<[^>]+>/g, ' ')
    .replace(/[`*_]/g, '')
    .replace(/\s+/g, ' ')
    .trim();
}

/** The first sentence of a description. */
export function firstSentence(text: string): string {
  const end = /(?<!\b(?:e\.g|i\.e|etc|vs|cf))[.!?](?=\s|$)/.exec(text);
  return (end ? text.slice(0, end.index) : text).trim();
}

/** `parseHTTPHeaderValue` → `parse http header value`; `snake_case` → `snake case`. */
export function splitIdentifier(name: string): string {
  return name
    .replace(/[$_]+/g, ' ')
    .replace(/([a-z0-9])([A-Z])/g, '$1 $2')
    .replace(/([A-Z]+)([A-Z][a-z])/g, '$1 $2')
    .toLowerCase()
    .trim()
    .replace(/\s+/g, ' ');
}

function wordCount(text: string): number {
  return text.split(/\s+/).filter((word) => /[a-z]/i.test(word)).length;
}

function codeLines(text: string): number {
  return text.split('\n').filter((line) => line.trim() !== '').length;
}

interface FoundDoc {
  /** Where the comment starts and the code it documents ends (the next doc comment, or the end). */
  start: number;
  end: number;
  description: string;
  name: string;
}

/** Doc comments in a text, each with the code that follows it. */
function findDocComments(content: string): FoundDoc[] {
  const found: { start: number; end: number; description: string }[] = [];
  for (const pattern of [blockDocComment, slashDocLines]) {
    pattern.lastIndex = 0;
    for (const match of content.matchAll(pattern)) {
      found.push({
        start: match.index,
        end: match.index + match[0].length,
        description: commentText(match[0]),
      });
    }
  }
  found.sort((a, b) => a.start - b.start);
  return found.map((comment, index) => {
    const next = found[index + 1]?.start ?? content.length;
    const following = content.slice(comment.end, next);
    const firstLine = following.split('\n').find((line) => line.trim() !== '') ?? '';
    return {
      start: comment.start,
      end: next,
      description: comment.description,
      name: definitionName.exec(firstLine)?.[1] ?? '',
    };
  });
}

/** Removes doc comments (block, `///` and Python docstrings) from code. */
export function stripDocComments(content: string): string {
  return content
    .replace(blockDocComment, '')
    .replace(slashDocLines, '')
    .replace(pythonDocstring, '$1')
    .replace(/\n{3,}/g, '\n\n')
    .trim();
}

/**
 * Pairs from one code text: every doc comment (`/** … *\/`, `///` runs, Python docstrings)
 * that is followed by code gives (first sentence → that code without doc comments) and,
 * optionally, (split name → the same code).
 */
export function mineCodePairs(
  texts: Iterable<CodeText>,
  options: MineCodePairsOptions = {},
): CodePair[] {
  const namePairs = options.namePairs ?? true;
  const minQueryWords = options.minQueryWords ?? 3;
  const minCodeLines = options.minCodeLines ?? 3;
  const maxCodeChars = options.maxCodeChars ?? 2000;
  const pairs: CodePair[] = [];
  const seen = new Set<string>();
  const add = (query: string, code: string, kind: CodePair['kind']): void => {
    const key = `${query}\u0000${code}`;
    if (seen.has(key)) return;
    seen.add(key);
    pairs.push({ query, code, kind });
  };
  const consider = (description: string, name: string, rawCode: string): void => {
    const code = stripDocComments(rawCode).slice(0, maxCodeChars);
    if (codeLines(code) < minCodeLines) return;
    const sentence = firstSentence(description);
    if (wordCount(sentence) >= minQueryWords) add(sentence, code, 'doc');
    if (namePairs && name) {
      const words = splitIdentifier(name);
      // A one-letter or one-word name says little; two words or more ("parse header") do.
      if (words.length >= 4 && words.includes(' ')) add(words, code, 'name');
    }
  };
  const all = [...texts];
  for (const text of all) {
    if (text.language === 'markdown') continue;
    const content = text.content;
    const python =
      text.language === 'python' || (!text.language && /^\s*(?:async\s+)?def\s/m.test(content));
    if (python) {
      pythonDocstring.lastIndex = 0;
      for (const match of content.matchAll(pythonDocstring)) {
        const description = commentText(match[5] ?? '');
        consider(description, match[2] ?? '', content.slice(match.index));
      }
      continue;
    }
    for (const doc of findDocComments(content)) {
      consider(doc.description, doc.name, content.slice(doc.start, doc.end));
    }
  }
  if (options.testPairs || options.markdownPairs || namePairs) {
    mineReferencePairs(
      all,
      {
        tests: options.testPairs ?? false,
        markdown: options.markdownPairs ?? false,
        undocumentedNames: namePairs,
        minQueryWords,
        prepareCode: (raw) => {
          const code = stripDocComments(raw).slice(0, maxCodeChars);
          return codeLines(code) >= minCodeLines ? code : null;
        },
        hasDocComment: (raw) => stripDocComments(raw) !== raw.trim(),
        split: splitIdentifier,
      },
      add,
    );
  }
  return pairs;
}
