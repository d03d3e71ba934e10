import { describe, expect, it } from 'vitest';
import { blankRanges, firstSentence, grammarForPath, parseSource } from './doc-comments.ts';

const javascript = `'use strict';

/**
 * Adds two numbers.
 * @param {number} a
 */
function add(a, b) {
  return a + b;
}

/** Not attached: a blank line follows. */

function loose() {
  return 1;
}

/** Doubles a value. */
export const double = (value) => {
  return value * 2;
};

/** Reads the body of a request. */
Request.prototype.readBody = function () {
  return this.body;
};

const handlers = {
  /** Handles the close event. */
  close: function () {
    return true;
  },
  /** Opens a session. */
  open() {
    return false;
  },
};

items.forEach(/** callbacks carry no doc */ function (item) {
  return item;
});
`;

describe('parseSource', () => {
  it('finds declarations, exported arrows, prototype assignments, properties and methods', async () => {
    const parsed = await parseSource(javascript, 'javascript');
    expect(
      parsed.functions.map(({ name, startLine, endLine }) => ({ name, startLine, endLine })),
    ).toEqual([
      { name: 'add', startLine: 7, endLine: 9 },
      { name: 'double', startLine: 18, endLine: 20 },
      { name: 'readBody', startLine: 23, endLine: 25 },
      { name: 'close', startLine: 29, endLine: 31 },
      { name: 'open', startLine: 33, endLine: 35 },
    ]);
    expect(parsed.functions[0]?.docComment).toMatch(/^\/\*\*\n \* Adds two numbers\./);
    expect(parsed.docCommentRanges).toHaveLength(7);
  });

  it('reads TypeScript class methods with decorators between comment and method', async () => {
    const source = [
      'export class Service {',
      '  /** Starts the service. */',
      '  @logged()',
      '  public start(port: number): void {',
      '    this.port = port;',
      '  }',
      '}',
    ].join('\n');
    const parsed = await parseSource(source, 'typescript');
    expect(parsed.functions).toEqual([
      { name: 'start', startLine: 3, endLine: 6, docComment: '/** Starts the service. */' },
    ]);
  });
});

describe('blankRanges', () => {
  it('keeps every line break, so line numbers stay', async () => {
    const parsed = await parseSource(javascript, 'javascript');
    const stripped = blankRanges(javascript, parsed.docCommentRanges);
    expect(stripped.split('\n')).toHaveLength(javascript.split('\n').length);
    expect(stripped).not.toContain('/**');
    expect(stripped).not.toContain('Adds two numbers');
    expect(stripped.split('\n')[6]).toBe('function add(a, b) {');
    expect(stripped).toContain(
      `items.forEach(${' '.repeat('/** callbacks carry no doc */'.length)} function (item) {`,
    );
  });
});

describe('firstSentence', () => {
  it('takes the description up to the first sentence end, without markup', () => {
    expect(
      firstSentence(
        '/**\n * Parses the {@link Options} object, e.g. from `argv`. More.\n * @param x\n */',
      ),
    ).toBe('Parses the Options object, e.g. from argv');
    expect(firstSentence('/** Returns <b>true</b> when empty */')).toBe('Returns true when empty');
    expect(firstSentence('/**\n * @deprecated use other\n */')).toBe('');
    expect(
      firstSentence('/**\n * First paragraph line one\n * line two\n *\n * Second paragraph.\n */'),
    ).toBe('First paragraph line one line two');
  });
});

describe('grammarForPath', () => {
  it('takes JavaScript and TypeScript sources but not declaration files', () => {
    expect(grammarForPath('lib/index.js')).toBe('javascript');
    expect(grammarForPath('lib/index.cjs')).toBe('javascript');
    expect(grammarForPath('src/view.tsx')).toBe('tsx');
    expect(grammarForPath('src/util.mts')).toBe('typescript');
    expect(grammarForPath('index.d.ts')).toBeNull();
    expect(grammarForPath('README.md')).toBeNull();
  });
});
