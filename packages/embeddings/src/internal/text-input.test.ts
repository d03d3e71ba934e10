/* eslint-disable @typescript-eslint/no-unsafe-assignment -- vitest's asymmetric matchers (expect.stringContaining…) are typed any */
import { describe, expect, it } from 'vitest';
import { prepareTexts } from './text-input.ts';

const options = { prefix: '', maxChars: 100 };
const wellFormed = (text: string): boolean =>
  !/[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/.test(text);

describe('prepareTexts', () => {
  it('keeps ordinary text as it is and adds the prefix', () => {
    expect(prepareTexts(['hello', 'wörld 🙂'], { prefix: 'query: ', maxChars: 100 })).toEqual([
      'query: hello',
      'query: wörld 🙂',
    ]);
  });

  it('rejects empty and whitespace-only texts, naming their indexes', () => {
    expect(() => prepareTexts(['ok', '', 'fine', ' \n\t '], options)).toThrowError(
      expect.objectContaining({
        code: 'INVALID_INPUT',
        message: expect.stringMatching(/texts\[1\], texts\[3\] are empty/),
      }),
    );
  });

  it('rejects texts that are nothing but control characters', () => {
    expect(() => prepareTexts(['\u0000\u0001\u007f'], options)).toThrowError(
      expect.objectContaining({
        code: 'INVALID_INPUT',
        message: expect.stringContaining('texts[0]'),
      }),
    );
  });

  it('rejects values that are not strings', () => {
    expect(() => prepareTexts(['a', 42], options)).toThrowError(
      expect.objectContaining({
        code: 'INVALID_INPUT',
        message: 'texts[1] is a number, not a string.',
      }),
    );
    expect(() => prepareTexts('a text', options)).toThrowError(
      expect.objectContaining({ code: 'INVALID_INPUT' }),
    );
  });

  it('replaces lone surrogates (broken UTF-8) and control characters', () => {
    const [clean] = prepareTexts(['a\uD800b\uDC00c\u0000d\u001be\n\tf'], options);
    expect(clean).toBe('a\uFFFDb\uFFFDc d e\n\tf');
    expect(wellFormed(clean!)).toBe(true);
  });

  it('keeps valid surrogate pairs intact', () => {
    expect(prepareTexts(['𝒳 and 🙂'], options)).toEqual(['𝒳 and 🙂']);
  });

  it('cuts very long texts instead of rejecting them, never splitting a surrogate pair', () => {
    const [long] = prepareTexts(['x'.repeat(1_000_000)], options);
    expect(long).toHaveLength(100);
    const [emoji] = prepareTexts([`${'x'.repeat(99)}🙂🙂`], options);
    expect(emoji).toBe('x'.repeat(99));
    expect(wellFormed(emoji!)).toBe(true);
  });
});
