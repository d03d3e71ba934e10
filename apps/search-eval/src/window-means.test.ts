import type { Embedder } from '@nellie/core';
import { describe, expect, it } from 'vitest';
import { windowMeansFromEnv, withWindowMeans } from './window-means.ts';

describe('windowMeansFromEnv', () => {
  it('is off unless NELLIE_EVAL_WINDOWS is set', () => {
    expect(windowMeansFromEnv({})).toBeUndefined();
  });

  it('reads the count, the overlap and the pooling', () => {
    expect(windowMeansFromEnv({ NELLIE_EVAL_WINDOWS: '3' })).toEqual({
      count: 3,
      overlap: 0,
      weighting: 'tokens',
    });
    expect(
      windowMeansFromEnv({
        NELLIE_EVAL_WINDOWS: '4',
        NELLIE_EVAL_WINDOW_OVERLAP: '32',
        NELLIE_EVAL_WINDOW_POOLING: 'first0.5-equal',
      }),
    ).toEqual({ count: 4, overlap: 32, weighting: 'equal', firstShare: 0.5 });
  });

  it('refuses what it cannot read', () => {
    expect(() => windowMeansFromEnv({ NELLIE_EVAL_WINDOWS: 'two' })).toThrow(/whole numbers/);
    expect(() =>
      windowMeansFromEnv({ NELLIE_EVAL_WINDOWS: '2', NELLIE_EVAL_WINDOW_POOLING: 'max' }),
    ).toThrow(/Unknown NELLIE_EVAL_WINDOW_POOLING max/);
  });
});

/** Each text's window k is the unit vector along axis k, scaled by the text's k-th token count. */
function fakeWindows(tokens: Record<string, number[]>): {
  base: Embedder;
  window: (k: number) => Promise<Embedder>;
} {
  const vector = (text: string, k: number): Float32Array => {
    const out = new Float32Array(4);
    out[k] = tokens[text]![k] ?? 0;
    return out;
  };
  const embedder = (k: number, scaled: boolean): Embedder => ({
    modelId: 'fake',
    dimensions: 4,
    maxTokens: 256,
    embed: (texts) =>
      Promise.resolve(
        texts.map((text) => {
          const v = vector(text, k);
          return scaled ? v : v.map((value) => (value === 0 ? 0 : 1));
        }),
      ),
    close: () => Promise.resolve(),
  });
  return { base: embedder(0, false), window: (k) => Promise.resolve(embedder(k, true)) };
}

describe('withWindowMeans', () => {
  it('averages the windows a text has, leaves short texts and queries alone', async () => {
    const { base, window } = fakeWindows({ short: [40], long: [254, 127], query: [5] });
    const means = withWindowMeans(base, window, { count: 3, overlap: 0, weighting: 'tokens' }, 254);
    const [short, long] = await means.embed(['short', 'long']);
    expect(Array.from(short!)).toEqual([1, 0, 0, 0]);
    // 254 : 127 = 2 : 1, normalised.
    expect(long![0]! / long![1]!).toBeCloseTo(2);
    expect(Math.hypot(...long!)).toBeCloseTo(1);
    const [query] = await means.embed(['query'], { priority: 'query' });
    expect(Array.from(query!)).toEqual([1, 0, 0, 0]);
    expect(means.windowCounts).toEqual([3, 1, 0]);
  });
});
