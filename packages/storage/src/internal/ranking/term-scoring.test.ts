import { seededRandom } from '@nellie/core';
import { describe, expect, it } from 'vitest';
import { stem, TermCounter } from './term-scoring.ts';

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

/** The word-boundary pattern the counter must agree with, written out on its own. */
function countByPattern(part: string, text: string): number {
  const stemmed = stem(part);
  const escape = (value: string): string => value.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
  const anyCase = [...stemmed]
    .map((char) =>
      char.toLowerCase() === char.toUpperCase()
        ? escape(char)
        : `[${char.toLowerCase()}${char.toUpperCase()}]`,
    )
    .join('');
  const capitalised = `${escape(stemmed[0]!.toUpperCase())}${escape(stemmed.slice(1))}`;
  const pattern = new RegExp(`(?<![\\p{L}\\p{N}])${anyCase}|(?<=\\p{Ll})${capitalised}`, 'gu');
  return [...text.matchAll(pattern)].length;
}

describe('TermCounter without regular expressions for ASCII stems', () => {
  // Letters whose case mapping changes length or lands on ASCII (`İ` → `i̇`, Kelvin sign → `k`),
  // astral letters and digits, lone surrogates, and the ASCII the stems are made of.
  const alphabet = [
    ...'parsePARSEurlURLkKiI_-$.( 0123',
    'İ',
    '\u212a',
    'ß',
    'é',
    'É',
    '𐐀',
    '𐐨',
    '𝟘',
    '😀',
    '\ud800',
    '\udc00',
    'σ',
    'Σ',
  ];
  const parts = ['parse', 'url', 'kit', 'i', 'url_', 'parsing', 'se'];

  it('counts what the word-boundary pattern counts, on random text', () => {
    const random = seededRandom(7);
    const counter = new TermCounter(parts);
    for (let round = 0; round < 20_000; round += 1) {
      const length = Math.floor(random() * 24);
      let text = '';
      for (let index = 0; index < length; index += 1) {
        text += alphabet[Math.floor(random() * alphabet.length)];
      }
      expect(counter.count(text), JSON.stringify(text)).toEqual(
        parts.map((part) => countByPattern(part, text)),
      );
    }
  });

  it('counts at camelCase humps and word starts, not after letters or Kelvin signs', () => {
    const counter = new TermCounter(['kit', 'parse']);
    // kit, Kit, ToolKit, éKit, 𐐨Kit, _kit.
    expect(counter.count('kitKit toolkit ToolKit \u212ait éKit 𐐨Kit 𐐀kit 9kit _kit İkit')).toEqual([
      6, 0,
    ]);
    expect(counter.count('reParse PARSE parseparse xPARSE')).toEqual([0, 3]);
  });
});
