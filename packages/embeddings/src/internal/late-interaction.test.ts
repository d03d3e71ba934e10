import { describe, expect, it } from 'vitest';
import { LateInteractionQuery, rowNorms, type TokenTable } from './late-interaction.ts';

// Four 2-d rows: 0 and 1 orthogonal, 2 halfway between them, 3 the opposite of 0 and twice as long.
const table = new Float32Array([1, 0, 0, 1, Math.SQRT1_2, Math.SQRT1_2, -2, 0]);
const tokens: TokenTable = { table, dimensions: 2, norms: rowNorms(table, 2) };
const single = { window: 0, symmetric: false, wordsOnly: false };

describe('LateInteractionQuery', () => {
  it("takes each query token's best cosine against the text and averages them by weight", () => {
    const query = new LateInteractionQuery(tokens, new Int32Array([0, 1]));
    expect(query.score(new Int32Array([0, 1]), single)).toBeCloseTo(1);
    expect(query.score(new Int32Array([0]), single)).toBeCloseTo(0.5);
    expect(query.score(new Int32Array([2]), single)).toBeCloseTo(Math.SQRT1_2);
  });

  it('weighs a query token by its row length', () => {
    // Token 3 (length 2) counts twice as much as token 1 (length 1).
    const query = new LateInteractionQuery(tokens, new Int32Array([3, 1]));
    expect(query.score(new Int32Array([1]), single)).toBeCloseTo((2 * 0 + 1 * 1) / 3);
    expect(query.score(new Int32Array([0]), single)).toBeCloseTo((2 * -1 + 1 * 0) / 3);
  });

  it('scores windows of tokens by their mean vector', () => {
    const query = new LateInteractionQuery(tokens, new Int32Array([2]));
    // One window holding tokens 0 and 1 points where token 2 does.
    expect(query.score(new Int32Array([0, 1]), { ...single, window: 2 })).toBeCloseTo(1);
    expect(query.score(new Int32Array([0, 1]), single)).toBeCloseTo(Math.SQRT1_2);
  });

  it('averages both directions when symmetric', () => {
    const query = new LateInteractionQuery(tokens, new Int32Array([0]));
    // Query → text: 1. Text → query: token 0 gives 1, token 1 gives 0, each of length 1.
    expect(query.score(new Int32Array([0, 1]), { ...single, symmetric: true })).toBeCloseTo(0.75);
  });

  it('gives NaN when the query or the text has no token', () => {
    expect(
      new LateInteractionQuery(tokens, new Int32Array([])).score(new Int32Array([0]), single),
    ).toBeNaN();
    expect(
      new LateInteractionQuery(tokens, new Int32Array([0])).score(new Int32Array([]), single),
    ).toBeNaN();
  });
});
