import type { Node, Parser } from 'web-tree-sitter';
import type { GrammarId } from '../internal/grammars.ts';
import { definitionOf, isLeading, type Definition } from './definitions.ts';
import { languageRulesFor, type LanguageRules } from './language-rules.ts';
import {
  noSymbol,
  type LineBudget,
  type RangeChunk,
  type SymbolMeta,
} from '../internal/chunk-budget.ts';

interface Piece {
  start: number;
  end: number;
  /** Last line of the node itself, before blank lines are attached. */
  ownEnd: number;
  meta: SymbolMeta;
  /** The piece is a whole definition (its own symbol), not a part of one. */
  definition: boolean;
  leading: boolean;
  /** Characters, as the budget counts them. */
  size: number;
  /** Id of the innermost definition that was split to produce this piece (0 for top level). */
  container: number;
}

function metaOf(definition: Definition): SymbolMeta {
  return {
    name: definition.name,
    kind: definition.kind,
    enclosing: definition.scope.length > 0 ? definition.scope.join('.') : null,
  };
}

function lastRow(node: Node): number {
  const end = node.endPosition;
  const start = node.startPosition.row;
  return end.column === 0 && end.row > start ? end.row - 1 : end.row;
}

/**
 * Walks the syntax tree top-down: a node that fits the budget becomes one piece, a node that
 * does not is replaced by its children. Definitions carry their own symbol; other nodes carry
 * the symbol of the definition they are part of.
 */
interface CollectState {
  budget: LineBudget;
  rules: LanguageRules | null;
  out: Piece[];
  containers: number;
}

function collect(
  node: Node,
  context: SymbolMeta,
  scope: string[],
  container: number,
  state: CollectState,
): void {
  const { budget, out, rules } = state;
  // Error recovery inserts zero-width nodes (a missing `}`), possibly after the final line break,
  // on a row the budget does not have: they hold no text.
  if (node.startIndex === node.endIndex) return;
  const start = node.startPosition.row;
  const end = Math.min(lastRow(node), budget.lineCount - 1);
  if (start > end) return;
  const definition = definitionOf(node, scope, rules);
  const meta = definition ? metaOf(definition) : context;
  if (node.childCount === 0 || budget.fits(start, end)) {
    out.push({
      start,
      end,
      ownEnd: end,
      meta,
      definition: definition !== null,
      leading: isLeading(node, rules),
      size: 0,
      container,
    });
    return;
  }
  let childContext = context;
  let childScope = scope;
  let childContainer = container;
  if (definition) {
    childContext = meta;
    if (definition.opensScope) childScope = [...definition.scope, definition.name];
    if (definition.opensScope) {
      state.containers += 1;
      childContainer = state.containers;
    }
  }
  for (const child of node.children) {
    if (child) collect(child, childContext, childScope, childContainer, state);
  }
}

/** Makes pieces disjoint and contiguous: shared lines go to the earlier piece. */
function normalize(pieces: Piece[], budget: LineBudget): Piece[] {
  const result: Piece[] = [];
  for (const piece of pieces) {
    const last = result.at(-1);
    if (last && piece.start <= last.end) {
      if (piece.end <= last.end) {
        // Fully on a header line such as `export class Foo {`: the line belongs to what it opens.
        if (!last.definition && last.start === last.end) {
          last.meta = piece.meta;
          last.definition = piece.definition;
          last.container = piece.container;
        }
        continue;
      }
      if (!last.definition && last.start === last.end && last.end === piece.start) {
        // A header line such as `export class Foo {` belongs to what it opens.
        piece.start = last.start;
        result.pop();
      } else {
        piece.start = last.end + 1;
      }
    }
    result.push(piece);
  }
  for (let index = 0; index < result.length - 1; index += 1) {
    result[index]!.end = result[index + 1]!.start - 1;
  }
  for (const piece of result) piece.size = budget.size(piece.start, piece.end);
  return result;
}

/** Comments and attributes directly above a definition join it when they fit. */
function attachLeading(pieces: Piece[], budget: LineBudget): Piece[] {
  const result: Piece[] = [];
  for (let index = pieces.length - 1; index >= 0; index -= 1) {
    const piece = pieces[index]!;
    const next = result.at(-1);
    if (
      piece.leading &&
      next &&
      (next.definition || next.leading || next.container !== piece.container) &&
      // Many code bases leave one blank line between a doc comment and what it documents.
      piece.ownEnd + 2 >= next.start
    ) {
      if (budget.fits(piece.start, next.end)) {
        // A comment above a split definition goes with its first part.
        next.start = piece.start;
        next.size += piece.size;
        continue;
      }
      // Too long to share a chunk: it still documents that symbol.
      piece.meta = next.meta;
    }
    result.push(piece);
  }
  return result.reverse();
}

interface Group {
  start: number;
  end: number;
  container: number;
  pieces: Piece[];
  definitions: number;
  substantial: boolean;
}

function groupMeta(group: Group): SymbolMeta {
  const definitions = group.pieces.filter((piece) => piece.definition);
  const first = definitions[0];
  if (first && definitions.every((piece) => sameSymbol(piece.meta, first.meta))) return first.meta;
  if (definitions.length === 0) {
    let best = group.pieces[0]!;
    for (const piece of group.pieces) if (piece.size > best.size) best = piece;
    return best.meta;
  }
  // Several small definitions (Haskell's one-line functions, a run of constants): the block is
  // named after the largest, counting a definition's pieces (signature, equations) together.
  const sizes = new Map<string, number>();
  let largest = definitions[0]!;
  for (const piece of definitions) {
    const key = `${piece.meta.kind} ${piece.meta.name}`;
    const size = (sizes.get(key) ?? 0) + piece.size;
    sizes.set(key, size);
    if (size > (sizes.get(`${largest.meta.kind} ${largest.meta.name}`) ?? 0)) largest = piece;
  }
  return { name: largest.meta.name, kind: 'block', enclosing: definitions[0]!.meta.enclosing };
}

/**
 * A definition at least this share of the budget (150 characters at the default) keeps a chunk
 * of its own, named after it; smaller ones merge. On the benchmark's dev split 0.1 and 0.25 score
 * alike on keyword search; 0.1 keeps more chunks named after one definition and more of each
 * chunk inside a 256-token embedding window (median 712 characters instead of 1,038).
 */
const substantialShare = 0.1;

function sameSymbol(a: SymbolMeta, b: SymbolMeta): boolean {
  return a.name === b.name && a.kind === b.kind && a.enclosing === b.enclosing;
}

/** Clauses of one definition (Haskell equations, Elixir `def` heads) follow each other. */
function continuesDefinition(group: Group, piece: Piece): boolean {
  const last = group.pieces.findLast((member) => member.definition);
  return last !== undefined && sameSymbol(last.meta, piece.meta);
}

/**
 * Greedy merge of neighbouring pieces within budget. Small definitions merge with each other
 * and with surrounding statements; a substantial definition keeps a chunk of its own.
 */
function merge(pieces: Piece[], budget: LineBudget): RangeChunk[] {
  const minimum = budget.maxChars * substantialShare;
  const chunks: RangeChunk[] = [];
  let current: Group | null = null;
  const close = (): void => {
    if (current) chunks.push({ start: current.start, end: current.end, meta: groupMeta(current) });
  };
  for (const piece of pieces) {
    const substantial = piece.definition && piece.size >= minimum;
    if (current) {
      const conflict =
        current.container !== piece.container ||
        (current.definitions > 0 &&
          piece.definition &&
          (current.substantial || substantial) &&
          !continuesDefinition(current, piece));
      if (!conflict) {
        const candidate: Group = {
          start: current.start,
          container: current.container,
          end: piece.end,
          pieces: [...current.pieces, piece],
          definitions: current.definitions + (piece.definition ? 1 : 0),
          substantial: current.substantial || substantial,
        };
        if (budget.fits(candidate.start, candidate.end)) {
          current = candidate;
          continue;
        }
      }
      close();
    }
    current = {
      start: piece.start,
      end: piece.end,
      container: piece.container,
      pieces: [piece],
      definitions: piece.definition ? 1 : 0,
      substantial,
    };
  }
  close();
  return chunks;
}

/**
 * Code chunks at definition boundaries, or null when parsing failed or needed more than
 * `maxSteps` parser steps. A step is one call of tree-sitter's progress callback, which the
 * parser makes after a fixed number of operations: the count depends on the content alone, never
 * on how busy the machine is, so a file always chunks the same way.
 */
export function chunkWithTree(
  parser: Parser,
  budget: LineBudget,
  content: string,
  options: { maxSteps: number; grammar?: GrammarId | null },
): RangeChunk[] | null {
  let steps = 0;
  const tree = parser.parse(content, null, {
    // Returning true from the progress callback cancels the parse.
    progressCallback: () => ++steps > options.maxSteps,
  });
  if (!tree) {
    // A cancelled parse would otherwise resume on the parser's next call, with another file.
    parser.reset();
    return null;
  }
  try {
    const rules = languageRulesFor(options.grammar);
    const state: CollectState = { budget, rules, out: [], containers: 0 };
    const root = tree.rootNode;
    if (budget.fits(0, Math.max(0, budget.lineCount - 1)) && !hasDefinitions(root, rules)) {
      return [{ start: 0, end: budget.lineCount - 1, meta: noSymbol }];
    }
    for (const child of root.children) {
      if (child) collect(child, noSymbol, [], 0, state);
    }
    if (state.out.length === 0) return [];
    return merge(attachLeading(normalize(state.out, budget), budget), budget);
  } finally {
    tree.delete();
  }
}

function hasDefinitions(root: Node, rules: LanguageRules | null): boolean {
  for (const child of root.namedChildren) {
    if (child && definitionOf(child, [], rules) !== null) return true;
  }
  return false;
}
