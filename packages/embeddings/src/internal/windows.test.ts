import { describe, expect, it } from 'vitest';
import { poolWindows, tokenWindows } from './windows.ts';

describe('tokenWindows', () => {
  it('reads a text within one window as that one window', () => {
    expect(tokenWindows(10, 254, { count: 4, overlap: 0 })).toEqual([{ start: 0, end: 10 }]);
    expect(tokenWindows(254, 254, { count: 4, overlap: 0 })).toEqual([{ start: 0, end: 254 }]);
  });

  it('starts a window where the one before ended, the last one short', () => {
    expect(tokenWindows(255, 254, { count: 4, overlap: 0 })).toEqual([
      { start: 0, end: 254 },
      { start: 254, end: 255 },
    ]);
    expect(tokenWindows(600, 254, { count: 4, overlap: 0 })).toEqual([
      { start: 0, end: 254 },
      { start: 254, end: 508 },
      { start: 508, end: 600 },
    ]);
  });

  it('reads at most `count` windows', () => {
    expect(tokenWindows(2000, 254, { count: 2, overlap: 0 })).toEqual([
      { start: 0, end: 254 },
      { start: 254, end: 508 },
    ]);
    expect(tokenWindows(2000, 254, { count: 1, overlap: 0 })).toEqual([{ start: 0, end: 254 }]);
  });

  it('repeats `overlap` tokens, and reads no window that holds nothing new', () => {
    expect(tokenWindows(500, 254, { count: 4, overlap: 32 })).toEqual([
      { start: 0, end: 254 },
      { start: 222, end: 476 },
      { start: 444, end: 500 },
    ]);
    // Tokens 222..254 are all in the first window already.
    expect(tokenWindows(254, 254, { count: 4, overlap: 32 })).toHaveLength(1);
    expect(tokenWindows(255, 254, { count: 4, overlap: 32 })).toEqual([
      { start: 0, end: 254 },
      { start: 222, end: 255 },
    ]);
  });

  it('refuses an overlap as long as the window', () => {
    expect(() => tokenWindows(500, 10, { count: 2, overlap: 10 })).toThrow(/overlap 10/);
    expect(() => tokenWindows(500, 0, { count: 2, overlap: 0 })).toThrow(/window size/);
  });
});

describe('poolWindows', () => {
  const x = Float32Array.from([1, 0]);
  const y = Float32Array.from([0, 1]);

  it('gives a single window its own vector back', () => {
    expect(poolWindows([x], [254], { weighting: 'tokens' })).toBe(x);
    expect(poolWindows([x], [254], { weighting: 'equal', firstShare: 0.7 })).toBe(x);
  });

  it('weights windows by their tokens, or alike, and normalises', () => {
    const byTokens = poolWindows([x, y], [300, 100], { weighting: 'tokens' });
    expect(byTokens[0]! / byTokens[1]!).toBeCloseTo(3);
    expect(Math.hypot(...byTokens)).toBeCloseTo(1);
    const alike = poolWindows([x, y], [300, 100], { weighting: 'equal' });
    expect(alike[0]).toBeCloseTo(Math.SQRT1_2);
    expect(alike[1]).toBeCloseTo(Math.SQRT1_2);
  });

  it('gives the first window its share and the rest the remainder', () => {
    const z = Float32Array.from([0, -1]);
    // 0.5 first, then 0.5 × (100 / 400) for y and 0.5 × (300 / 400) for z.
    const pooled = poolWindows([x, y, z], [254, 100, 300], {
      weighting: 'tokens',
      firstShare: 0.5,
    });
    const expected = [0.5, 0.125 - 0.375];
    const norm = Math.hypot(...expected);
    expect(pooled[0]).toBeCloseTo(expected[0]! / norm);
    expect(pooled[1]).toBeCloseTo(expected[1]! / norm);
  });

  it('refuses vectors and token counts that do not pair up', () => {
    expect(() => poolWindows([x, y], [1], { weighting: 'tokens' })).toThrow(/2 window vectors/);
    expect(() => poolWindows([], [], { weighting: 'tokens' })).toThrow(/0 window vectors/);
  });
});
