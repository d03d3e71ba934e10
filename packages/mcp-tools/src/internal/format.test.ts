import { emptyIndexProgress } from '@nellie/core';
import { describe, expect, it } from 'vitest';
import {
  codeSnippet,
  compactJson,
  formatProgress,
  formatScore,
  preview,
  sampleList,
  truncate,
} from './format.ts';

describe('format helpers', () => {
  it('codeSnippet drops blank edges, dedents, cuts long lines and counts what it left out', () => {
    const content = [
      '',
      '    function a() {',
      '      return "' + 'y'.repeat(300) + '";',
      '    }',
      '    // 1',
      '    // 2',
      '',
    ].join('\n');
    const lines = codeSnippet(content, { maxLines: 3, maxLineLength: 40 });
    expect(lines).toEqual([
      'function a() {',
      `  return "${'y'.repeat(29)}…`,
      '}',
      '… 2 more lines',
    ]);
  });

  it('codeSnippet handles CRLF and all-blank input', () => {
    expect(codeSnippet('a\r\nb')).toEqual(['a', 'b']);
    expect(codeSnippet('\n  \n')).toEqual([]);
  });

  it('formatScore keeps two significant digits', () => {
    expect(formatScore(0.8234)).toBe('0.82');
    expect(formatScore(0.016393)).toBe('0.016');
    expect(formatScore(3.5)).toBe('3.50');
  });

  it('truncate, preview, sampleList and compactJson shorten text', () => {
    expect(truncate('abcdef', 4)).toBe('abc…');
    expect(truncate('abc', 4)).toBe('abc');
    expect(preview('a\n\n  b   c', 10)).toBe('a b c');
    expect(sampleList(['a', 'b', 'c'], 2)).toBe('a, b, … 1 more');
    expect(sampleList(['a'], 2)).toBe('a');
    expect(compactJson({ a: 'x'.repeat(20) }, 10)).toBe('{"a":"xxx…');
  });

  it('formatProgress names only the counts that matter, in the right number', () => {
    const progress = {
      ...emptyIndexProgress(),
      filesSeen: 1,
      filesIndexed: 1,
      filesFailed: 2,
      chunksWritten: 1,
    };
    expect(formatProgress(progress)).toBe(
      '1 file seen, 1 indexed, 0 unchanged, 2 failed, 1 chunk written',
    );
    expect(
      formatProgress({
        ...progress,
        filesFailed: 0,
        filesSkippedExcluded: 3,
        excludedBy: { '*.lock': 1, 'node_modules/': 2 },
      }),
    ).toBe(
      '1 file seen, 1 indexed, 0 unchanged, 3 excluded by default (node_modules/ 2, *.lock 1), 1 chunk written',
    );
  });
});
