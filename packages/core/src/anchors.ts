/**
 * Anchors tie a lesson to the code it is about. Each anchor keeps the code as it was when the
 * lesson was anchored (or last confirmed); indexing compares that snapshot with the code now and
 * marks the anchor:
 *
 * - `current`: the code is as it was;
 * - `changed`: the code is still there but differs (`change` says how much);
 * - `moved`: the same symbol is now in another file; the anchor follows it (`movedFrom`);
 * - `gone`: the code is nowhere to be found.
 */
export const anchorStates = ['current', 'changed', 'moved', 'gone'] as const;
export type AnchorState = (typeof anchorStates)[number];

/** How the anchored code differs from the snapshot. */
export interface AnchorChange {
  linesAdded: number;
  linesRemoved: number;
  /** True when the first line (the signature of a definition) differs. */
  signatureChanged: boolean;
}

/** An anchor as given by a caller. */
export interface AnchorInput {
  /** Name or root path of an indexed repository. */
  repository: string;
  /** Path of an indexed file, relative to the repository root. */
  path: string;
  /** A symbol defined in that file (function, class, method…), if the anchor is about one. */
  symbol?: string | null;
  /** 1-based, inclusive; without a symbol or lines the anchor covers the whole file. */
  startLine?: number;
  endLine?: number;
}

export interface Anchor {
  repository: string;
  path: string;
  symbol: string | null;
  startLine: number;
  endLine: number;
  /** sha256 of the anchored code as it was when anchored or last confirmed. */
  contentHash: string;
  state: AnchorState;
  change: AnchorChange | null;
  /** The path the code was anchored at, when it has moved since. */
  movedFrom: string | null;
  /** `explicit` when given by the caller, `automatic` when found in the lesson's text. */
  origin: 'explicit' | 'automatic';
  /** When indexing last compared the anchor with the code. */
  checkedAt: string;
}

/** How much a stale state weighs: the lesson shows the worst state of its anchors. */
const stateRank: Record<AnchorState, number> = { current: 0, moved: 1, changed: 2, gone: 3 };

/** The state a memory shows: the worst of its anchors, or null when it has none. */
export function memoryStaleness(anchors: readonly { state: AnchorState }[]): AnchorState | null {
  let worst: AnchorState | null = null;
  for (const { state } of anchors) {
    if (worst === null || stateRank[state] > stateRank[worst]) worst = state;
  }
  return worst;
}

/**
 * Search down-ranks stale memories by these factors: a lesson about code that changed or is gone
 * may no longer be true, one that only moved still is.
 */
export const stalenessScoreFactor: Record<AnchorState, number> = {
  current: 1,
  moved: 0.9,
  changed: 0.6,
  gone: 0.4,
};

/** A chunk of indexed code, as anchors see it. */
export interface AnchorCodeView {
  path: string;
  startLine: number;
  endLine: number;
  symbolName: string | null;
  content: string;
  /** True for a definition found inside a chunk (see `withDefinitions`), not a chunk itself. */
  derived?: boolean;
}

/**
 * Definitions found by their first line: `function name`, `class Name`, `def name`, `fn name`…
 * (with modifiers such as `export`, `async`, `pub`).
 */
const definitionLine =
  /^\s*(?:(?:export|default|async|pub(?:\([^)]*\))?|static|public|private|protected|abstract|final|override|unsafe|extern|declare)\s+)*(?:function\*?|class|interface|type|enum|def|fn|func|const|let|var|struct|trait|module|object)\s+([A-Za-z_$][\w$]*)/;

/** The last line (index) of the definition starting at `start`: braces, else indentation. */
function definitionEnd(lines: readonly string[], start: number): number {
  let depth = 0;
  let opened = false;
  for (let index = start; index < lines.length; index += 1) {
    for (const character of lines[index]!) {
      if (character === '{') {
        depth += 1;
        opened = true;
      } else if (character === '}') depth -= 1;
    }
    if (opened && depth <= 0) return index;
    if (!opened && index === start && /;\s*$/.test(lines[index]!)) return index;
    if (!opened && index > start + 2) break;
  }
  const indent = (line: string) => line.length - line.trimStart().length;
  const own = indent(lines[start]!);
  let end = start;
  for (let index = start + 1; index < lines.length; index += 1) {
    const line = lines[index]!;
    if (line.trim() === '') continue;
    if (indent(line) <= own) break;
    end = index;
  }
  return end;
}

/**
 * The chunks of a file plus one view per definition found in them. A chunk often holds several
 * small definitions (and is named after one of them, or none), so an anchor on a symbol follows
 * that definition's own lines. A chunk named after a definition found in it keeps its lines but
 * loses the name to that definition's view.
 */
export function withDefinitions(chunks: readonly AnchorCodeView[]): AnchorCodeView[] {
  const views: AnchorCodeView[] = [];
  const derived: AnchorCodeView[] = [];
  for (const chunk of chunks) {
    const found: AnchorCodeView[] = [];
    const lines = chunk.content.split('\n');
    for (let index = 0; index < lines.length; index += 1) {
      const name = definitionLine.exec(lines[index]!)?.[1];
      if (name === undefined) continue;
      const end = definitionEnd(lines, index);
      found.push({
        path: chunk.path,
        startLine: chunk.startLine + index,
        endLine: chunk.startLine + end,
        symbolName: name,
        content: lines.slice(index, end + 1).join('\n'),
        derived: true,
      });
      index = end;
    }
    const named =
      chunk.symbolName !== null && found.some((view) => view.symbolName === chunk.symbolName);
    views.push(named ? { ...chunk, symbolName: null } : chunk);
    derived.push(...found);
  }
  return [...views, ...derived];
}

/** What an anchor records about its code. */
export interface AnchorSnapshot {
  path: string;
  symbol: string | null;
  startLine: number;
  endLine: number;
  /** The anchored code when anchored or last confirmed. */
  content: string;
  movedFrom: string | null;
}

export interface AnchorLocation {
  state: AnchorState;
  change: AnchorChange | null;
  /** Where the anchor points now (unchanged when gone). */
  path: string;
  startLine: number;
  endLine: number;
  movedFrom: string | null;
  /** The code there now, or null when gone. */
  content: string | null;
}

/** Counts lines added and removed between two texts (as multisets of lines). */
export function summarizeChange(before: string, after: string): AnchorChange {
  const remaining = new Map<string, number>();
  const beforeLines = before.split('\n');
  for (const line of beforeLines) remaining.set(line, (remaining.get(line) ?? 0) + 1);
  let linesAdded = 0;
  for (const line of after.split('\n')) {
    const left = remaining.get(line) ?? 0;
    if (left > 0) remaining.set(line, left - 1);
    else linesAdded += 1;
  }
  let linesRemoved = 0;
  for (const left of remaining.values()) linesRemoved += left;
  return { linesAdded, linesRemoved, signatureChanged: signature(before) !== signature(after) };
}

function signature(text: string): string {
  return (text.split('\n').find((line) => line.trim() !== '') ?? '').trim();
}

/** The chunks overlapping a line range, joined in line order. */
export function codeInRange(
  chunks: readonly AnchorCodeView[],
  startLine: number,
  endLine: number,
): { content: string; startLine: number; endLine: number } | null {
  const overlapping = chunks
    .filter(
      (chunk) => chunk.derived !== true && chunk.startLine <= endLine && chunk.endLine >= startLine,
    )
    .sort((a, b) => a.startLine - b.startLine);
  if (overlapping.length === 0) return null;
  return {
    content: overlapping.map((chunk) => chunk.content).join('\n'),
    startLine: overlapping[0]!.startLine,
    endLine: overlapping.at(-1)!.endLine,
  };
}

function nearest(chunks: readonly AnchorCodeView[], line: number): AnchorCodeView | undefined {
  return [...chunks].sort((a, b) => Math.abs(a.startLine - line) - Math.abs(b.startLine - line))[0];
}

/**
 * Finds an anchor's code now. `atPath` holds the chunks of the anchor's file as indexed now;
 * `elsewhere` the chunks defining the anchor's symbol in other files of the repository.
 * A symbol found in exactly one other file is `moved` (and followed); found in several, it is
 * `gone` rather than a guess.
 */
export function locateAnchor(
  anchor: AnchorSnapshot,
  atPath: readonly AnchorCodeView[],
  elsewhere: readonly AnchorCodeView[],
): AnchorLocation {
  const compare = (
    found: { path: string; startLine: number; endLine: number; content: string },
    movedFrom: string | null,
  ): AnchorLocation => {
    const same = found.content === anchor.content;
    return {
      state: same ? (movedFrom === null ? 'current' : 'moved') : 'changed',
      change: same ? null : summarizeChange(anchor.content, found.content),
      path: found.path,
      startLine: found.startLine,
      endLine: found.endLine,
      movedFrom,
      content: found.content,
    };
  };
  const gone: AnchorLocation = {
    state: 'gone',
    change: null,
    path: anchor.path,
    startLine: anchor.startLine,
    endLine: anchor.endLine,
    movedFrom: anchor.movedFrom,
    content: null,
  };
  if (anchor.symbol !== null) {
    const here = nearest(
      atPath.filter((chunk) => chunk.symbolName === anchor.symbol),
      anchor.startLine,
    );
    if (here) return compare(here, anchor.movedFrom);
    const others = elsewhere.filter(
      (chunk) => chunk.symbolName === anchor.symbol && chunk.path !== anchor.path,
    );
    const files = new Set(others.map((chunk) => chunk.path));
    if (files.size !== 1) return gone;
    const moved = nearest(others, anchor.startLine)!;
    return compare(moved, anchor.movedFrom ?? anchor.path);
  }
  const exact = atPath.find((chunk) => chunk.derived !== true && chunk.content === anchor.content);
  if (exact) return compare(exact, anchor.movedFrom);
  const range = codeInRange(atPath, anchor.startLine, anchor.endLine);
  if (range) return compare({ path: anchor.path, ...range }, anchor.movedFrom);
  return gone;
}

/** A lesson anchored to a code hit, as the hit shows it. */
export interface AnchoredLesson {
  id: string;
  title: string;
  severity: 'critical' | 'warning' | 'info';
  /** The worst state of the lesson's anchors. */
  staleness: AnchorState;
}

/** The lessons anchored to a piece of code: how many, of which severity, and which. */
export interface CodeMemories {
  count: number;
  severities: { critical: number; warning: number; info: number };
  lessons: AnchoredLesson[];
}

/** Summarises the lessons anchored to one piece of code. */
export function codeMemories(lessons: readonly AnchoredLesson[]): CodeMemories {
  const severities = { critical: 0, warning: 0, info: 0 };
  for (const lesson of lessons) severities[lesson.severity] += 1;
  return { count: lessons.length, severities, lessons: [...lessons] };
}

/** `2 lessons, 1 critical` */
export function describeCodeMemories(memories: CodeMemories): string {
  const parts = [`${memories.count} ${memories.count === 1 ? 'lesson' : 'lessons'}`];
  if (memories.severities.critical > 0) parts.push(`${memories.severities.critical} critical`);
  if (memories.severities.warning > 0) parts.push(`${memories.severities.warning} warning`);
  return parts.join(', ');
}

/**
 * Paths and identifiers a lesson's text names, candidates for automatic anchors: backquoted
 * names, and words shaped like code (`retryUpload`, `retry_upload`, `src/upload.ts`).
 */
const codeFileName =
  /\.(?:[cm]?[jt]sx?|py|rs|go|java|kt|rb|php|cs|cpp|cc|c|h|hpp|swift|scala|md|json|ya?ml|toml|sql|sh)$/;

export function mentionedCode(text: string): { paths: string[]; identifiers: string[] } {
  const paths = new Set<string>();
  const identifiers = new Set<string>();
  const words = text.match(/[A-Za-z_$][\w$]*(?:[./-][\w$]+)*/g) ?? [];
  for (const raw of words) {
    const word = raw.replace(/[.]+$/, '');
    if (codeFileName.test(word)) {
      paths.add(word);
      continue;
    }
    for (const part of word.split(/[./-]/)) {
      if (part.length < 4) continue;
      const camel = /[a-z][A-Z]/.test(part) || /^[A-Z][a-z]+[A-Z]/.test(part);
      const snake = /^[a-z]+(?:_[a-z0-9]+)+$/i.test(part);
      if (camel || snake) identifiers.add(part);
    }
  }
  for (const match of text.matchAll(/`([A-Za-z_$][\w$]*)(?:\(\))?`/g)) {
    if (match[1]!.length >= 3) identifiers.add(match[1]!);
  }
  return { paths: [...paths], identifiers: [...identifiers] };
}
