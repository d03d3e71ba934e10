import { describe, expect, it } from 'vitest';
import { bootstrapInterval, formatInterval, meanOfMeans, pairedBootstrap } from './bootstrap.ts';

describe('bootstrap intervals of a benchmark figure', () => {
  // Two repositories of different sizes: the figure is the mean of their means.
  const keyword = [
    [1, 0, 1, 0.5, 0, 1, 1, 0],
    [0.2, 0.4, 1, 1],
  ];

  it('averages the groups, not the queries', () => {
    expect(meanOfMeans(keyword)).toBeCloseTo((4.5 / 8 + 2.6 / 4) / 2, 12);
    expect(meanOfMeans([[], [1, 0]])).toBe(0.5);
  });

  it('brackets the figure, is repeatable for a seed and narrows with more queries', () => {
    const figure = meanOfMeans(keyword);
    const interval = bootstrapInterval(keyword);
    expect(interval.low).toBeLessThan(figure);
    expect(interval.high).toBeGreaterThan(figure);
    expect(bootstrapInterval(keyword)).toEqual(interval);

    const larger = keyword.map((scores) => Array.from({ length: 25 }, () => scores).flat());
    const narrower = bootstrapInterval(larger);
    expect(narrower.high - narrower.low).toBeLessThan((interval.high - interval.low) / 3);
  });

  it('compares two runs on the same resamples', () => {
    // The same scores lifted by 0.1 on every query: the difference is exactly 0.1 every time.
    const lifted = keyword.map((scores) => scores.map((value) => value + 0.1));
    const same = pairedBootstrap(keyword, lifted);
    expect(same.low).toBeCloseTo(0.1, 12);
    expect(same.high).toBeCloseTo(0.1, 12);

    // One query better, one worse: the interval straddles zero.
    const swapped = [
      [1, 0, 1, 0.5, 0, 1, 0, 1],
      [0.2, 0.4, 1, 1],
    ];
    const mixed = pairedBootstrap(keyword, swapped);
    expect(mixed.low).toBeLessThan(0);
    expect(mixed.high).toBeGreaterThan(0);

    expect(() => pairedBootstrap(keyword, [[1], [1]])).toThrow(/same queries/);
  });

  it('prints a range, or a signed range for differences', () => {
    expect(formatInterval({ low: 0.8361, high: 0.8764 })).toBe('0.836–0.876');
    expect(formatInterval({ low: -0.0101, high: 0.0204 }, true)).toBe('−0.010 to +0.020');
  });
});
