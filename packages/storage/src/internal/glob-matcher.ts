import { NellieError, limits } from '@nellie/core';

/**
 * Path globs compiled to a small NFA and matched by simulating every live state at once, so a
 * match costs at most (path length + 1) × (program size) steps whatever the pattern: there is no
 * backtracking to blow up. Supported: `*`, `**` (as a whole segment), `?`, `[...]` / `[!...]`,
 * `{a,b}` (nested at most `limits.globBraceDepth` deep), `\` escapes and one leading `!` to negate.
 * Extglobs (`+(…)`, `*(…)`, `?(…)`, `@(…)`, `!(…)`) are rejected.
 */

const slash = 0x2f;

/** What one reading step accepts; kept as data so the matching loop needs no calls. */
type Test =
  | { type: 'literal'; code: number }
  | { type: 'notSlash' }
  | { type: 'any' }
  | { type: 'class'; matches: (code: number) => boolean };

type Instruction =
  | { kind: 'test'; test: Test; next: number }
  | { kind: 'split'; next: number; alternative: number }
  | { kind: 'match' };

type Node =
  | { kind: 'test'; test: Test }
  /** `*`: any run of characters within one segment. */
  | { kind: 'star' }
  /** `**` then `/`: zero or more whole segments, each with its slash. */
  | { kind: 'segments' }
  /** A trailing `/**` (or a lone `**`): the rest of the path, if any. */
  | { kind: 'rest'; slash: boolean }
  | { kind: 'alternation'; branches: Node[][] };

export interface CompiledGlob {
  /** True when the path matches. `counter`, when given, receives the steps the match took. */
  matches(path: string, counter?: { steps: number }): boolean;
  /** Instructions in the program; a match takes at most (path length + 1) × this many steps. */
  readonly size: number;
}

const allowed =
  'Use `*`, `**`, `?`, `[abc]`, `[!abc]`, `{a,b}` and `\\` to escape, e.g. "src/**/*.ts" or "*.{ts,tsx}".';

function invalid(pattern: string, reason: string): NellieError {
  return new NellieError(
    'INVALID_INPUT',
    `pathGlob ${JSON.stringify(pattern.length > 80 ? `${pattern.slice(0, 80)}…` : pattern)} is not accepted: ${reason}. ${allowed}`,
  );
}

const notSlash: Test = { type: 'notSlash' };
const anyCharacter: Test = { type: 'any' };
const literal = (code: number): Test => ({ type: 'literal', code });

class Parser {
  readonly #pattern: string;
  #position = 0;
  #wildcards = 0;

  constructor(pattern: string) {
    this.#pattern = pattern;
  }

  parse(): Node[] {
    const nodes = this.#sequence(0);
    if (this.#position < this.#pattern.length) {
      throw invalid(this.#pattern, `unexpected "${this.#pattern[this.#position]}"`);
    }
    return nodes;
  }

  #countWildcard(): void {
    this.#wildcards += 1;
    if (this.#wildcards > limits.globWildcards) {
      throw invalid(
        this.#pattern,
        `it has more than ${limits.globWildcards} wildcards and alternatives`,
      );
    }
  }

  /** Parses until the end, or until `,`/`}` inside braces. */
  #sequence(depth: number): Node[] {
    const pattern = this.#pattern;
    const nodes: Node[] = [];
    while (this.#position < pattern.length) {
      const char = pattern[this.#position]!;
      const next = pattern[this.#position + 1];
      if (depth > 0 && (char === ',' || char === '}')) break;
      if ('+@!*?'.includes(char) && next === '(') {
        throw invalid(pattern, `extglob "${char}(" is not supported`);
      }
      if (char === '\\') {
        if (next === undefined) throw invalid(pattern, 'it ends with a lone "\\"');
        nodes.push({ kind: 'test', test: literal(next.charCodeAt(0)) });
        this.#position += 2;
      } else if (char === '*') {
        this.#countWildcard();
        this.#star(nodes);
      } else if (char === '?') {
        this.#countWildcard();
        nodes.push({ kind: 'test', test: notSlash });
        this.#position += 1;
      } else if (char === '[') {
        this.#countWildcard();
        nodes.push({ kind: 'test', test: { type: 'class', matches: this.#characterClass() } });
      } else if (char === '{') {
        this.#countWildcard();
        nodes.push(this.#braces(depth + 1));
      } else {
        // Surrogate pairs match as two code units, the same way the path is read.
        nodes.push({ kind: 'test', test: literal(char.charCodeAt(0)) });
        this.#position += 1;
      }
    }
    return nodes;
  }

  #star(nodes: Node[]): void {
    const pattern = this.#pattern;
    const start = this.#position;
    let end = start;
    while (pattern[end] === '*') end += 1;
    this.#position = end;
    const globstar = end - start >= 2;
    const segmentStart = start === 0 || pattern[start - 1] === '/';
    const after = pattern[end];
    if (globstar && segmentStart && after === '/') {
      this.#position = end + 1;
      nodes.push({ kind: 'segments' });
      return;
    }
    if (globstar && segmentStart && after === undefined) {
      // `src/**` matches `src` and everything below it; a lone `**` matches every path.
      const afterSlash = start > 0;
      if (afterSlash) nodes.pop();
      nodes.push({ kind: 'rest', slash: afterSlash });
      return;
    }
    nodes.push({ kind: 'star' });
  }

  #characterClass(): (code: number) => boolean {
    const pattern = this.#pattern;
    let position = this.#position + 1;
    const negated = pattern[position] === '!' || pattern[position] === '^';
    if (negated) position += 1;
    const ranges: [number, number][] = [];
    let first = true;
    while (position < pattern.length && (first || pattern[position] !== ']')) {
      first = false;
      let char = pattern[position]!;
      if (char === '[' && pattern[position + 1] === ':') {
        throw invalid(pattern, 'POSIX classes such as [[:alpha:]] are not supported');
      }
      if (char === '\\' && position + 1 < pattern.length) {
        position += 1;
        char = pattern[position]!;
      }
      const low = char.charCodeAt(0);
      let high = low;
      if (pattern[position + 1] === '-' && position + 2 < pattern.length) {
        const last = pattern[position + 2]!;
        if (last !== ']') {
          high = last.charCodeAt(0);
          position += 2;
          if (high < low) throw invalid(pattern, `the range "${char}-${last}" is reversed`);
        }
      }
      ranges.push([low, high]);
      position += 1;
    }
    if (position >= pattern.length) throw invalid(pattern, 'a "[" is never closed');
    this.#position = position + 1;
    return (code) => {
      if (code === slash) return false;
      let inside = false;
      for (const [low, high] of ranges) {
        if (code >= low && code <= high) {
          inside = true;
          break;
        }
      }
      return inside !== negated;
    };
  }

  #braces(depth: number): Node {
    const pattern = this.#pattern;
    if (depth > limits.globBraceDepth) {
      throw invalid(pattern, `braces are nested more than ${limits.globBraceDepth} deep`);
    }
    this.#position += 1;
    const branches: Node[][] = [];
    for (;;) {
      branches.push(this.#sequence(depth));
      const char = pattern[this.#position];
      if (char === ',') {
        this.#countWildcard();
        this.#position += 1;
        continue;
      }
      if (char === '}') {
        this.#position += 1;
        return { kind: 'alternation', branches };
      }
      throw invalid(pattern, 'a "{" is never closed');
    }
  }
}

/** Thompson construction: each node becomes a few instructions that lead to `next`. */
function emit(nodes: readonly Node[], program: Instruction[], next: number): number {
  let target = next;
  for (let index = nodes.length - 1; index >= 0; index -= 1) {
    target = emitNode(nodes[index]!, program, target);
  }
  return target;
}

function add(program: Instruction[], instruction: Instruction): number {
  program.push(instruction);
  return program.length - 1;
}

function emitNode(node: Node, program: Instruction[], next: number): number {
  switch (node.kind) {
    case 'test':
      return add(program, { kind: 'test', test: node.test, next });
    case 'star': {
      const loop = add(program, { kind: 'split', next: -1, alternative: next });
      program[loop] = {
        kind: 'split',
        next: add(program, { kind: 'test', test: notSlash, next: loop }),
        alternative: next,
      };
      return loop;
    }
    case 'segments': {
      // loop: either stop, or read one segment (`[^/]*`) and its slash, then loop again.
      const loop = add(program, { kind: 'split', next: -1, alternative: next });
      const segment = add(program, { kind: 'split', next: -1, alternative: -1 });
      const slashStep = add(program, { kind: 'test', test: literal(slash), next: loop });
      const character = add(program, { kind: 'test', test: notSlash, next: segment });
      program[segment] = { kind: 'split', next: character, alternative: slashStep };
      program[loop] = { kind: 'split', next: segment, alternative: next };
      return loop;
    }
    case 'rest': {
      const any = add(program, { kind: 'split', next: -1, alternative: next });
      program[any] = {
        kind: 'split',
        next: add(program, { kind: 'test', test: anyCharacter, next: any }),
        alternative: next,
      };
      if (!node.slash) return any;
      const slashStep = add(program, { kind: 'test', test: literal(slash), next: any });
      return add(program, { kind: 'split', next: slashStep, alternative: next });
    }
    case 'alternation': {
      const starts = node.branches.map((branch) => emit(branch, program, next));
      let entry = starts.at(-1)!;
      for (let index = starts.length - 2; index >= 0; index -= 1) {
        entry = add(program, { kind: 'split', next: starts[index]!, alternative: entry });
      }
      return entry;
    }
  }
}

/**
 * For every instruction, the reading instructions (tests, and the match) reachable from it
 * without reading a character. Computed once per pattern so matching does no graph walks.
 */
function closures(program: readonly Instruction[]): Int32Array[] {
  const result: Int32Array[] = [];
  const seen = new Int32Array(program.length).fill(-1);
  for (let state = 0; state < program.length; state += 1) {
    const found: number[] = [];
    const stack = [state];
    seen[state] = state;
    while (stack.length > 0) {
      const current = stack.pop()!;
      const instruction = program[current]!;
      if (instruction.kind !== 'split') {
        found.push(current);
        continue;
      }
      for (const target of [instruction.next, instruction.alternative]) {
        if (seen[target] === state) continue;
        seen[target] = state;
        stack.push(target);
      }
    }
    result.push(Int32Array.from(found));
  }
  return result;
}

/** Compiles a glob, or throws INVALID_INPUT naming what is allowed. */
export function compileGlob(pattern: string): CompiledGlob {
  if (pattern.length > limits.globLength) {
    throw invalid(
      pattern,
      `it is ${pattern.length} characters long; at most ${limits.globLength} are accepted`,
    );
  }
  const negated = pattern.startsWith('!') && !pattern.startsWith('!(');
  const body = negated ? pattern.slice(1) : pattern;
  const nodes = new Parser(body).parse();
  const basename = !body.includes('/');
  const program: Instruction[] = [{ kind: 'match' }];
  const start = emit(nodes, program, 0);
  const reachable = closures(program);
  const size = program.length;
  // The program as flat arrays: reading kind (0 none, 1 literal, 2 not slash, 3 any, 4 class),
  // its literal code or class, and the instruction after it.
  const kinds = new Uint8Array(size);
  const codes = new Int32Array(size);
  const nextOf = new Int32Array(size);
  const classes: ((code: number) => boolean)[] = new Array<(code: number) => boolean>(size);
  program.forEach((instruction, index) => {
    if (instruction.kind !== 'test') return;
    nextOf[index] = instruction.next;
    const { test } = instruction;
    if (test.type === 'literal') {
      kinds[index] = 1;
      codes[index] = test.code;
    } else if (test.type === 'notSlash') kinds[index] = 2;
    else if (test.type === 'any') kinds[index] = 3;
    else {
      kinds[index] = 4;
      classes[index] = test.matches;
    }
  });
  // Two state sets, swapped per character; `marks` dedupes a set by the character's position.
  let current = new Int32Array(size);
  let next = new Int32Array(size);
  const marks = new Float64Array(size).fill(-1);
  let position = 0;

  const run = (path: string, counter?: { steps: number }): boolean => {
    let currentCount = 0;
    position += 1;
    for (const state of reachable[start]!) {
      marks[state] = position;
      current[currentCount++] = state;
    }
    if (counter) counter.steps += currentCount;
    for (let index = 0; index < path.length && currentCount > 0; index += 1) {
      const code = path.charCodeAt(index);
      let nextCount = 0;
      position += 1;
      for (let item = 0; item < currentCount; item += 1) {
        const state = current[item]!;
        const kind = kinds[state]!;
        const accepted =
          kind === 1
            ? codes[state] === code
            : kind === 2
              ? code !== slash
              : kind === 3 || (kind === 4 && classes[state]!(code));
        if (!accepted) continue;
        const targets = reachable[nextOf[state]!]!;
        for (let at = 0; at < targets.length; at += 1) {
          const target = targets[at]!;
          if (marks[target] === position) continue;
          marks[target] = position;
          next[nextCount++] = target;
        }
      }
      if (counter) counter.steps += currentCount + nextCount;
      [current, next] = [next, current];
      currentCount = nextCount;
    }
    for (let item = 0; item < currentCount; item += 1) if (current[item] === 0) return true;
    return false;
  };

  return {
    size: program.length,
    matches(path, counter) {
      const subject = basename ? path.slice(path.lastIndexOf('/') + 1) : path;
      return run(subject, counter) !== negated;
    },
  };
}
