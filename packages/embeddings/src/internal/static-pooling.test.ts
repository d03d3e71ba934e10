import { describe, expect, it } from 'vitest';
import { meaningfulTokenIds, skipMask, splitIdentifiers, sumTokenRows } from './static-pooling.ts';

describe('static pooling', () => {
  it('cuts the ids at maxTokens before dropping skipped ids and ids past the table', () => {
    const skip = skipMask(10, [0, 3, 42]);
    expect(Array.from(meaningfulTokenIds([1, 3, 2, 11, 4, 5], skip, 5))).toEqual([1, 2, 4]);
    expect(Array.from(meaningfulTokenIds([3, 0], skip, 8))).toEqual([]);
  });

  it('sums the rows of the ids, once per occurrence, and returns the norm', () => {
    const table = Float32Array.from([1, 0, 0, 2, 3, 4]);
    const into = new Float32Array(2);
    expect(sumTokenRows(table, 2, Int32Array.from([1, 1, 2]), into)).toBeCloseTo(Math.hypot(3, 8));
    expect(Array.from(into)).toEqual([3, 8]);
  });
});

describe('splitIdentifiers', () => {
  it('breaks camelCase and PascalCase words apart, acronyms included', () => {
    expect(splitIdentifiers('parseHTTPHeader getUserName XMLHttpRequest IOError')).toBe(
      'parse HTTP Header get User Name XML Http Request IO Error',
    );
    expect(splitIdentifiers('sha256Sum')).toBe('sha256 Sum');
  });

  it('leaves lower-case words, snake_case, upper-case constants and prose alone', () => {
    const text = 'read_file MAX_SIZE Returns the first line.';
    expect(splitIdentifiers(text)).toBe(text);
  });
});
