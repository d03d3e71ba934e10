import { describe, expect, it } from 'vitest';
import { fitPca, projectPca, symmetricEigen, zipfSifWeights } from './pca.ts';

describe('symmetricEigen', () => {
  it('finds the eigenpairs of a symmetric matrix', () => {
    // [[2,1],[1,2]] has eigenvalues 3 (along [1,1]) and 1 (along [1,-1]).
    const { values, vectors } = symmetricEigen(Float64Array.from([2, 1, 1, 2]), 2);
    const sorted = [...values].sort((a, b) => b - a);
    expect(sorted[0]).toBeCloseTo(3, 10);
    expect(sorted[1]).toBeCloseTo(1, 10);
    const top = values[0]! > values[1]! ? 0 : 1;
    expect(Math.abs(vectors[top]!)).toBeCloseTo(Math.SQRT1_2, 10);
    expect(vectors[top]!).toBeCloseTo(vectors[2 + top]!, 10);
  });

  it('reconstructs a random symmetric matrix from its eigenpairs', () => {
    const n = 12;
    let seed = 7;
    const random = (): number => (seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31 - 0.5;
    const matrix = new Float64Array(n * n);
    for (let i = 0; i < n; i += 1) {
      for (let j = i; j < n; j += 1) {
        const value = random();
        matrix[i * n + j] = value;
        matrix[j * n + i] = value;
      }
    }
    const { values, vectors } = symmetricEigen(matrix, n);
    let worst = 0;
    for (let i = 0; i < n; i += 1) {
      for (let j = 0; j < n; j += 1) {
        let sum = 0;
        for (let k = 0; k < n; k += 1)
          sum += vectors[i * n + k]! * values[k]! * vectors[j * n + k]!;
        worst = Math.max(worst, Math.abs(sum - matrix[i * n + j]!));
      }
    }
    expect(worst).toBeLessThan(1e-9);
  });
});

describe('fitPca', () => {
  it('keeps the direction of largest variance first and centres the data', () => {
    // Points along the line y = 2x (plus a small perpendicular wobble), offset by (10, 10).
    const points = [-2, -1, 0, 1, 2].flatMap((t, index) => [
      10 + t + (index % 2 === 0 ? 0.01 : -0.01) * 2,
      10 + 2 * t - (index % 2 === 0 ? 0.01 : -0.01),
    ]);
    const data = Float32Array.from(points);
    const pca = fitPca(data, 5, 2, 1);
    expect(pca.mean[0]).toBeCloseTo(10 + 0.004, 2);
    const [x = 0, y = 0] = pca.basis;
    expect(Math.abs(y / x)).toBeCloseTo(2, 2);
    expect(pca.explainedVariance).toBeGreaterThan(0.99);
    const projected = projectPca(data, 5, 2, pca);
    expect(projected).toHaveLength(5);
    expect(Math.abs(projected[4]! - projected[0]!)).toBeCloseTo(2 * 2 * Math.sqrt(5), 1);
  });

  it('rejects more components than dimensions', () => {
    expect(() => fitPca(new Float32Array(6), 3, 2, 3)).toThrow(RangeError);
  });
});

describe('zipfSifWeights', () => {
  it('weights frequent (low-rank) tokens less than rare ones, all within (0, 1)', () => {
    const weights = zipfSifWeights(30_000, 1e-4);
    expect(weights[0]!).toBeLessThan(weights[100]!);
    expect(weights[100]!).toBeLessThan(weights[29_999]!);
    expect(weights[0]!).toBeGreaterThan(0);
    expect(weights[29_999]!).toBeLessThan(1);
  });
});
