/**
 * Finds functions and methods with a JSDoc comment in JavaScript and TypeScript sources with
 * tree-sitter (the grammars Nellie's indexer bundles), and blanks doc comments out of a file
 * while keeping every line where it was.
 */
import { readFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { Language, Parser, type Node } from 'web-tree-sitter';

export type GrammarName = 'javascript' | 'typescript' | 'tsx';

/** A function or method and the doc comment written right above it. */
export interface DocumentedFunction {
  /** The function's own name, or the name it is assigned to; '' when anonymous. */
  name: string;
  /** 1-based, inclusive: the declaration without its doc comment. */
  startLine: number;
  endLine: number;
  /** The raw doc comment, `/**` to `*\/`. */
  docComment: string;
}

export interface ParsedSource {
  functions: DocumentedFunction[];
  /** `[start, end)` offsets of every `/** … *\/` comment in the file. */
  docCommentRanges: [number, number][];
}

const grammarFiles: Record<GrammarName, string> = {
  javascript: '@vscode/tree-sitter-wasm/wasm/tree-sitter-javascript.wasm',
  typescript: '@vscode/tree-sitter-wasm/wasm/tree-sitter-typescript.wasm',
  tsx: '@vscode/tree-sitter-wasm/wasm/tree-sitter-tsx.wasm',
};

const require = createRequire(import.meta.url);
let runtime: Promise<void> | undefined;
const parsers = new Map<GrammarName, Promise<Parser>>();

function parserFor(grammar: GrammarName): Promise<Parser> {
  let parser = parsers.get(grammar);
  if (!parser) {
    parser = (async () => {
      runtime ??= Parser.init();
      await runtime;
      const language = await Language.load(await readFile(require.resolve(grammarFiles[grammar])));
      const instance = new Parser();
      instance.setLanguage(language);
      return instance;
    })();
    parsers.set(grammar, parser);
  }
  return parser;
}

/** The grammar for a file name, or null for files that are not JavaScript or TypeScript source. */
export function grammarForPath(path: string): GrammarName | null {
  if (/\.d\.[cm]?ts$/.test(path)) return null;
  if (/\.[cm]?jsx?$/.test(path)) return 'javascript';
  if (/\.tsx$/.test(path)) return 'tsx';
  if (/\.[cm]?ts$/.test(path)) return 'typescript';
  return null;
}

const declarations = new Set(['function_declaration', 'generator_function_declaration']);
const functionValues = new Set([
  'function_expression',
  'function',
  'arrow_function',
  'generator_function',
]);
const fields = new Set(['field_definition', 'public_field_definition']);

function isDocComment(node: Node | null): node is Node {
  return (
    node !== null && node.type === 'comment' && node.text.startsWith('/**') && node.text !== '/**/'
  );
}

function lastName(node: Node | null): string {
  if (!node) return '';
  if (node.type === 'member_expression') return node.childForFieldName('property')?.text ?? '';
  return node.text;
}

/**
 * The node a doc comment sits above (an export, a `const` declaration, an assignment statement, an
 * object property, a class member) and the name the function goes by; null for functions that
 * cannot carry a doc comment of their own (callbacks, arguments, nested expressions).
 */
function anchorOf(fn: Node): { anchor: Node; name: string } | null {
  const parent = fn.parent;
  if (!parent) return null;
  const ownName = fn.childForFieldName('name')?.text ?? '';
  if (fn.type === 'method_definition') return { anchor: fn, name: ownName };
  if (declarations.has(fn.type)) {
    return { anchor: parent.type === 'export_statement' ? parent : fn, name: ownName };
  }
  if (!functionValues.has(fn.type)) return null;
  if (parent.type === 'export_statement') return { anchor: parent, name: ownName };
  if (parent.type === 'variable_declarator' && parent.childForFieldName('value')?.equals(fn)) {
    const declaration = parent.parent;
    if (!declaration || !declaration.firstNamedChild?.equals(parent)) return null;
    const anchor =
      declaration.parent?.type === 'export_statement' ? declaration.parent : declaration;
    return { anchor, name: parent.childForFieldName('name')?.text ?? ownName };
  }
  if (parent.type === 'assignment_expression' && parent.childForFieldName('right')?.equals(fn)) {
    const statement = parent.parent;
    if (statement?.type !== 'expression_statement') return null;
    return { anchor: statement, name: lastName(parent.childForFieldName('left')) || ownName };
  }
  if (parent.type === 'pair' && parent.childForFieldName('value')?.equals(fn)) {
    return { anchor: parent, name: parent.childForFieldName('key')?.text ?? ownName };
  }
  if (fields.has(parent.type)) {
    const key = parent.childForFieldName('property') ?? parent.childForFieldName('name');
    return { anchor: parent, name: key?.text ?? ownName };
  }
  return null;
}

/** The doc comment right above the anchor (decorators in between are allowed), or null. */
function docCommentOf(anchor: Node): { comment: Node; startRow: number } | null {
  let startRow = anchor.startPosition.row;
  let previous = anchor.previousNamedSibling;
  while (previous?.type === 'decorator') {
    startRow = previous.startPosition.row;
    previous = previous.previousNamedSibling;
  }
  if (!isDocComment(previous)) return null;
  // Adjacent only: no blank line (or other code) between the comment and the declaration.
  if (previous.endPosition.row < startRow - 1) return null;
  return { comment: previous, startRow };
}

/** Parses one source file; the result is empty when tree-sitter cannot parse it. */
export async function parseSource(content: string, grammar: GrammarName): Promise<ParsedSource> {
  const parser = await parserFor(grammar);
  const tree = parser.parse(content);
  if (!tree) return { functions: [], docCommentRanges: [] };
  try {
    const functions: DocumentedFunction[] = [];
    const docCommentRanges: [number, number][] = [];
    const cursor = tree.walk();
    let descending = true;
    for (;;) {
      if (descending) {
        const node = cursor.currentNode;
        if (isDocComment(node)) docCommentRanges.push([node.startIndex, node.endIndex]);
        const anchored = node.type === 'comment' ? null : anchorOf(node);
        const documented = anchored ? docCommentOf(anchored.anchor) : null;
        if (anchored && documented) {
          functions.push({
            name: anchored.name,
            startLine: documented.startRow + 1,
            endLine: anchored.anchor.endPosition.row + 1,
            docComment: documented.comment.text,
          });
        }
      }
      if (descending && cursor.gotoFirstChild()) continue;
      if (cursor.gotoNextSibling()) {
        descending = true;
        continue;
      }
      if (!cursor.gotoParent()) break;
      descending = false;
    }
    cursor.delete();
    return { functions, docCommentRanges };
  } finally {
    tree.delete();
  }
}

/** Replaces every character of the given ranges except line breaks with spaces. */
export function blankRanges(content: string, ranges: readonly [number, number][]): string {
  if (ranges.length === 0) return content;
  const parts: string[] = [];
  let position = 0;
  for (const [start, end] of [...ranges].sort((a, b) => a[0] - b[0])) {
    if (start < position) continue;
    parts.push(content.slice(position, start), content.slice(start, end).replace(/[^\r\n]/g, ' '));
    position = end;
  }
  parts.push(content.slice(position));
  return parts.join('');
}

/**
 * The first sentence of a doc comment's description, as plain words: tags (`@param …`) and the
 * comment markers dropped, `{@link X}` and `` `X` `` reduced to X, HTML tags removed.
 */
export function firstSentence(docComment: string): string {
  const body = docComment
    .replace(/^\/\*\*+/, '')
    .replace(/\*+\/$/, '')
    .split(/\r?\n/)
    .map((line) => line.replace(/^\s*\*+ ?/, '').trim());
  const description: string[] = [];
  for (const line of body) {
    if (line.startsWith('@')) break;
    if (line === '') {
      if (description.length > 0) break;
      continue;
    }
    description.push(line);
  }
  const text = description
    .join(' ')
    .replace(/\{@(?:link|linkcode|linkplain)\s+([^}|\s]+)(?:[|\s][^}]*)?\}/g, '$1')
    .replace(/<[^>]+>/g, ' ')
    .replace(/`/g, '')
    .replace(/\s+/g, ' ')
    .trim();
  const end = /(?<!\b(?:e\.g|i\.e|etc|vs|cf))[.!?](?=\s|$)/.exec(text);
  return (end ? text.slice(0, end.index) : text).trim();
}
