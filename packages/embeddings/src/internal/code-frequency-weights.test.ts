import { describe, expect, it } from 'vitest';
import { codeFrequencyWeighted } from './code-frequency-weights.ts';
import { zipfSifWeights } from './pca.ts';

const rows = 1000;
const dimensions = 2;
const coefficient = 1e-3;
const table = Float32Array.from({ length: rows * dimensions }, (_, index) => 1 + (index % 7));
const row = (values: Float32Array, id: number): number[] =>
  Array.from(values.subarray(id * dimensions, (id + 1) * dimensions));

describe('codeFrequencyWeighted', () => {
  it('lowers the rows of tokens frequent in code to a / (a + p_code) and leaves the others', () => {
    // Token 900 (rare by its vocabulary rank) is half of all code tokens; 5 and 600 once each.
    const codes = [Int32Array.from([900, 900, 900, 5]), Int32Array.from([900, 600, 900, 900])];
    const { table: weighted, rescaledRows } = codeFrequencyWeighted(
      table,
      rows,
      dimensions,
      codes,
      coefficient,
    );
    const zipf = zipfSifWeights(rows, coefficient);
    const expected = coefficient / (coefficient + 6 / 8) / zipf[900]!;
    expect(row(weighted, 900)[0]).toBeCloseTo(row(table, 900)[0]! * expected, 5);
    expect(row(weighted, 900)[0]).toBeLessThan(row(table, 900)[0]! * 0.01);
    // Token 600 is also more frequent in this code than its rank says: lowered, less.
    expect(row(weighted, 600)[0]).toBeLessThan(row(table, 600)[0]!);
    expect(row(weighted, 600)[0]).toBeGreaterThan(row(weighted, 900)[0]!);
    expect(rescaledRows).toBe(3);
    // Untouched: a token absent from the code, and the input table.
    expect(row(weighted, 42)).toEqual(row(table, 42));
    expect(table[900 * dimensions]).toBe(1 + ((900 * dimensions) % 7));
  });

  it('keeps the row of a token rarer in code than its Zipf estimate', () => {
    // Token 0 is the most frequent by rank (p ≈ 0.07); once in 200 code tokens is rarer.
    const codes = [Int32Array.from([0, ...Array.from({ length: 199 }, (_, i) => 100 + i)])];
    const { table: weighted } = codeFrequencyWeighted(table, rows, dimensions, codes, coefficient);
    expect(row(weighted, 0)).toEqual(row(table, 0));
  });

  it('returns the table unchanged for no code', () => {
    const { table: weighted, rescaledRows } = codeFrequencyWeighted(
      table,
      rows,
      dimensions,
      [],
      coefficient,
    );
    expect(weighted).toEqual(table);
    expect(rescaledRows).toBe(0);
  });
});
