import { describe, expect, it } from 'vitest';
import * as ranking from '../../../packages/storage/src/internal/ranking/settings.ts';
import { parseVariations, VariationError, withVariant } from './setting-variants.ts';

describe('parseVariations', () => {
  it('lists the defaults, then every combination of the given values', () => {
    const variants = parseVariations([
      'codeFusion.vectorShare=0.2,0.6',
      'codeRanking.penalisePaths=false',
    ]);
    expect(variants.map((variant) => variant.label)).toEqual([
      'defaults',
      'codeFusion.vectorShare=0.2 codeRanking.penalisePaths=false',
      'codeFusion.vectorShare=0.6 codeRanking.penalisePaths=false',
    ]);
  });

  it('adds each swept value alone, after the combinations', () => {
    const variants = parseVariations(
      ['codeRanking.penalisePaths=false'],
      ['codeFusion.vectorShare=0.2,0.6', 'codeRanking.fileCoherence=2'],
    );
    expect(variants.map((variant) => variant.label)).toEqual([
      'defaults',
      'codeRanking.penalisePaths=false',
      'codeFusion.vectorShare=0.2',
      'codeFusion.vectorShare=0.6',
      'codeRanking.fileCoherence=2',
    ]);
    expect(() => parseVariations([], ['codeFusion.nothing=1'])).toThrow(VariationError);
  });

  it('refuses unknown groups, unknown keys and values of the wrong type', () => {
    expect(() => parseVariations(['ranking.k=1'])).toThrow(VariationError);
    expect(() => parseVariations(['codeFusion.nothing=1'])).toThrow(/choose one of .*vectorShare/);
    expect(() => parseVariations(['codeFusion.vectorShare=abc'])).toThrow(/takes numbers/);
    expect(() => parseVariations(['codeRanking.penalisePaths=1'])).toThrow(/true or false/);
    expect(() => parseVariations(['codeFusion.vectorShare'])).toThrow(/group\.key=/);
  });
});

describe('withVariant', () => {
  it('changes the settings only while the task runs, even when it fails', async () => {
    const before = ranking.codeFusion.vectorShare;
    const [, variant] = parseVariations([`codeFusion.vectorShare=${before + 0.25}`]);
    const seen = await withVariant(variant!, () => Promise.resolve(ranking.codeFusion.vectorShare));
    expect(seen).toBe(before + 0.25);
    await expect(
      withVariant(variant!, () => Promise.reject(new Error('query failed'))),
    ).rejects.toThrow('query failed');
    expect(ranking.codeFusion.vectorShare).toBe(before);
  });
});
