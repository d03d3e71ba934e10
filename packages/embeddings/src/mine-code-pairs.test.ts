import { describe, expect, it } from 'vitest';
import { mineCodePairs, splitIdentifier, stripDocComments } from './mine-code-pairs.ts';

const typescript = `/**
 * Parses a semantic version string into its parts. Pre-release tags are kept.
 *
 * @param version - the version, e.g. \`1.2.3-beta.1\`
 * @returns the parts, or null
 */
export function parseSemanticVersion(version: string): Version | null {
  const match = /^(\\d+)\\.(\\d+)\\.(\\d+)(?:-(.+))?$/.exec(version);
  if (!match) return null;
  return { major: Number(match[1]), minor: Number(match[2]), patch: Number(match[3]) };
}`;

const rust = `/// Returns the number of bytes the {@link Buffer} can hold without reallocating.
///
/// # Examples
/// let b = Buffer::new();
pub fn remaining_capacity(&self) -> usize {
    let used = self.len();
    let total = self.capacity();
    total - used
}`;

const python = `def merge_sorted_lists(left, right):
    """Merge two sorted lists into one sorted list.

    Args:
        left: the first list
    """
    result = []
    while left and right:
        result.append(left.pop(0) if left[0] < right[0] else right.pop(0))
    return result + left + right
`;

describe('mineCodePairs', () => {
  it('pairs a JSDoc first sentence and the split name with the code, comments stripped', () => {
    const pairs = mineCodePairs([{ content: typescript, language: 'typescript' }]);
    expect(pairs.map((pair) => [pair.kind, pair.query])).toEqual([
      ['doc', 'Parses a semantic version string into its parts'],
      ['name', 'parse semantic version'],
    ]);
    for (const pair of pairs) {
      expect(pair.code.startsWith('export function parseSemanticVersion')).toBe(true);
      expect(pair.code).not.toContain('/**');
      expect(pair.code).not.toContain('@param');
    }
  });

  it('reads Rust /// comments up to their sections, and Python docstrings', () => {
    const [rustDoc] = mineCodePairs([{ content: rust, language: 'rust' }]);
    expect(rustDoc).toMatchObject({
      kind: 'doc',
      query: 'Returns the number of bytes the Buffer can hold without reallocating',
    });
    expect(rustDoc!.code.startsWith('pub fn remaining_capacity')).toBe(true);

    const pythonPairs = mineCodePairs([{ content: python, language: 'python' }]);
    expect(pythonPairs.map((pair) => pair.query)).toEqual([
      'Merge two sorted lists into one sorted list',
      'merge sorted lists',
    ]);
    expect(pythonPairs[0]!.code).not.toContain('"""');
    expect(pythonPairs[0]!.code).toContain('result = []');
  });

  it('gives one pair per documented function of a chunk holding several', () => {
    const twoFunctions = `/** Adds two numbers together and returns the sum. */
function add(a, b) {
  const sum = a + b;
  return sum;
}

/** Subtracts the second number from the first one. */
function subtract(a, b) {
  const difference = a - b;
  return difference;
}`;
    const pairs = mineCodePairs([{ content: twoFunctions, language: 'javascript' }]);
    const docs = pairs.filter((pair) => pair.kind === 'doc');
    expect(docs).toHaveLength(2);
    expect(docs[0]!.code).toContain('function add');
    expect(docs[0]!.code).not.toContain('function subtract');
    expect(docs[1]!.code).toContain('function subtract');
  });

  it('finds nothing in undocumented code, short comments or one-line bodies', () => {
    expect(
      mineCodePairs([
        { content: 'function f(a) {\n  return a + 1;\n}\n', language: 'javascript' },
        { content: '/** Adds. */\nfunction g(a) {\n  return a;\n}', language: 'javascript' },
        { content: '/** Returns the answer to everything. */\nconst answer = 42;' },
      ]),
    ).toEqual([]);
  });

  it('drops duplicates (the same function in two builds of a package)', () => {
    const text = { content: typescript, language: 'typescript' };
    expect(mineCodePairs([text, text])).toHaveLength(2);
  });
});

describe('helpers', () => {
  it('splits identifiers into lower-case words', () => {
    expect(splitIdentifier('parseHTTPHeaderValue')).toBe('parse http header value');
    expect(splitIdentifier('merge_sorted_lists')).toBe('merge sorted lists');
    expect(splitIdentifier('$emit')).toBe('emit');
  });

  it('strips every doc comment form and keeps the code', () => {
    expect(stripDocComments(typescript)).toMatch(/^export function parseSemanticVersion/);
    expect(stripDocComments(rust)).toMatch(/^pub fn remaining_capacity/);
    expect(stripDocComments(python)).not.toContain('Merge two sorted');
    expect(stripDocComments('// a plain comment\nconst x = 1;')).toBe(
      '// a plain comment\nconst x = 1;',
    );
  });
});

describe('mineCodePairs: test names and Markdown', () => {
  const definition = {
    path: 'src/headers.ts',
    language: 'typescript',
    symbol: 'parseHeaders',
    content: `/** Parses headers. */
export function parseHeaders(raw: string) {
  const out = {};
  for (const line of raw.split('\\n')) out[line] = 1;
  return out;
}`,
  };
  const jsTest = {
    path: 'test/headers.test.ts',
    language: 'typescript',
    symbol: null,
    content: `describe('headers', () => {
  it('parses quoted header values', () => {
    expect(parseHeaders('a: "b"')).toEqual({ a: 'b' });
  });
  it('keeps the order of equal entries', () => {
    expect(parseHeaders('a: 1')).toEqual({ a: '1' });
  });
});`,
  };
  const pythonTest = {
    path: 'tests/test_headers.py',
    language: 'python',
    symbol: 'test_parse_headers_with_empty_value',
    content: `def test_parse_headers_with_empty_value():
    assert parseHeaders('') == {}
`,
  };
  const readme = {
    path: 'README.md',
    language: 'markdown',
    symbol: null,
    content: `# Headers

Use \`parseHeaders(raw)\` to turn a raw header block into a map. Other text here.

\`\`\`js
parseHeaders(x) // a code block, not prose
\`\`\`
`,
  };

  it('pairs a test name with the definition it calls whose name shares a word', () => {
    const pairs = mineCodePairs([definition, jsTest, pythonTest], {
      namePairs: false,
      testPairs: true,
    });
    const tests = pairs.filter((pair) => pair.kind === 'test');
    // 'keeps the order of equal entries' shares no word with parseHeaders: no pair.
    expect(tests.map((pair) => pair.query)).toEqual([
      'parses quoted header values',
      'parse headers with empty value',
    ]);
    for (const pair of tests) {
      expect(pair.code.startsWith('export function parseHeaders')).toBe(true);
      expect(pair.code).not.toContain('/**');
    }
  });

  it('pairs a Markdown sentence naming a symbol in backticks with its definition', () => {
    const pairs = mineCodePairs([definition, readme], { namePairs: false, markdownPairs: true });
    expect(pairs.filter((pair) => pair.kind === 'prose').map((pair) => pair.query)).toEqual([
      'Use parse headers raw to turn a raw header block into a map',
    ]);
  });

  it('leaves out names defined in two files, and mines neither kind unless asked', () => {
    const twice = { ...definition, path: 'lib/other.ts' };
    const pairs = mineCodePairs([definition, twice, jsTest, readme], {
      testPairs: true,
      markdownPairs: true,
    });
    expect(pairs.filter((pair) => pair.kind === 'test' || pair.kind === 'prose')).toEqual([]);
    // Its doc sentence is too short to pair; the name pair is the only one.
    const plain = mineCodePairs([definition, jsTest, readme]);
    expect(plain.map((pair) => pair.kind)).toEqual(['name']);
  });
});

describe('mineCodePairs: names of undocumented definitions', () => {
  it('pairs an undocumented definition name with its code, and leaves documented ones to the doc loop', () => {
    const undocumented = {
      path: 'src/retry.ts',
      language: 'typescript',
      symbol: 'retryWithBackoff',
      content: `export async function retryWithBackoff(run) {
  for (let attempt = 0; ; attempt++) {
    try { return await run(); } catch { await sleep(2 ** attempt); }
  }
}`,
    };
    const documented = {
      path: 'src/version.ts',
      language: 'typescript',
      symbol: 'parseSemanticVersion',
      content: typescript,
    };
    const pairs = mineCodePairs([undocumented, documented]);
    expect(pairs.map((pair) => [pair.kind, pair.query])).toEqual([
      ['doc', 'Parses a semantic version string into its parts'],
      ['name', 'parse semantic version'],
      ['name', 'retry with backoff'],
    ]);
    expect(mineCodePairs([undocumented], { namePairs: false })).toEqual([]);
  });
});
