import { describe, expect, it } from 'vitest';
import { TermCounter } from './term-scoring.ts';

describe('TermCounter', () => {
  it('counts words at word starts and camelCase humps, in any case, by stem', () => {
    const counter = new TermCounter(['parse', 'url']);
    expect(counter.count('parseUrl(URL); Parser.parse; reparse; parsing urls')).toEqual([4, 3]);
  });

  it('counts nothing for absent words and empty fields', () => {
    const counter = new TermCounter(['retry', 'upload']);
    expect(counter.count('function download() {}')).toEqual([0, 0]);
    expect(counter.count(null)).toEqual([0, 0]);
    expect(counter.count('')).toEqual([0, 0]);
  });

  it('still counts words whose text has non-ASCII letters around them', () => {
    const counter = new TermCounter(['größe', 'name']);
    expect(counter.count('Größe größeName ÄName name')).toEqual([2, 2]);
  });
});
