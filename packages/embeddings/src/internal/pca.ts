/**
 * Principal component analysis for a token table: the covariance of the rows (dims × dims, small
 * for embedding widths) and its eigenvectors by the cyclic Jacobi method, which is simple and
 * exact enough for symmetric matrices of a few hundred rows.
 */

export interface PcaResult {
  /** Column means of the input (subtracted before projecting). */
  mean: Float64Array;
  /** `components` eigenvectors of `inputDims` values each, strongest first (row-major). */
  basis: Float64Array;
  /** Variance along each kept component, strongest first. */
  variances: Float64Array;
  /** Share of the total variance the kept components explain (0–1). */
  explainedVariance: number;
}

/** Fits a PCA on `rows` row-major vectors of `dims` values, keeping `components` axes. */
export function fitPca(
  data: Float32Array,
  rows: number,
  dims: number,
  components: number,
): PcaResult {
  if (components < 1 || components > dims) {
    throw new RangeError(`components must be between 1 and ${dims}, got ${components}`);
  }
  if (rows < 2) throw new RangeError('PCA needs at least two rows');
  const mean = new Float64Array(dims);
  for (let row = 0; row < rows; row += 1) {
    const offset = row * dims;
    for (let column = 0; column < dims; column += 1) mean[column]! += data[offset + column]!;
  }
  for (let column = 0; column < dims; column += 1) mean[column]! /= rows;

  const covariance = new Float64Array(dims * dims);
  const centered = new Float64Array(dims);
  for (let row = 0; row < rows; row += 1) {
    const offset = row * dims;
    for (let column = 0; column < dims; column += 1) {
      centered[column] = data[offset + column]! - mean[column]!;
    }
    for (let i = 0; i < dims; i += 1) {
      const value = centered[i]!;
      if (value === 0) continue;
      const base = i * dims;
      for (let j = i; j < dims; j += 1) covariance[base + j]! += value * centered[j]!;
    }
  }
  for (let i = 0; i < dims; i += 1) {
    for (let j = i; j < dims; j += 1) {
      const value = covariance[i * dims + j]! / (rows - 1);
      covariance[i * dims + j] = value;
      covariance[j * dims + i] = value;
    }
  }

  const { values, vectors } = symmetricEigen(covariance, dims);
  const order = Array.from({ length: dims }, (_, index) => index).sort(
    (a, b) => values[b]! - values[a]!,
  );
  const basis = new Float64Array(components * dims);
  const variances = new Float64Array(components);
  let total = 0;
  for (const value of values) total += Math.max(0, value);
  let kept = 0;
  order.slice(0, components).forEach((source, target) => {
    variances[target] = values[source]!;
    kept += Math.max(0, values[source]!);
    // Eigenvectors are the columns of `vectors`; a sign convention keeps results reproducible.
    let largest = 0;
    for (let i = 0; i < dims; i += 1) {
      const value = vectors[i * dims + source]!;
      if (Math.abs(value) > Math.abs(largest)) largest = value;
    }
    const sign = largest < 0 ? -1 : 1;
    for (let i = 0; i < dims; i += 1) basis[target * dims + i] = sign * vectors[i * dims + source]!;
  });
  return { mean, basis, variances, explainedVariance: total > 0 ? kept / total : 0 };
}

/** Projects row-major `rows` × `dims` data onto the PCA basis: (x − mean) · basisᵀ. */
export function projectPca(
  data: Float32Array,
  rows: number,
  dims: number,
  pca: PcaResult,
): Float32Array {
  const components = pca.variances.length;
  const output = new Float32Array(rows * components);
  const centered = new Float64Array(dims);
  for (let row = 0; row < rows; row += 1) {
    for (let column = 0; column < dims; column += 1) {
      centered[column] = data[row * dims + column]! - pca.mean[column]!;
    }
    for (let component = 0; component < components; component += 1) {
      let sum = 0;
      const base = component * dims;
      for (let column = 0; column < dims; column += 1)
        sum += centered[column]! * pca.basis[base + column]!;
      output[row * components + component] = sum;
    }
  }
  return output;
}

/**
 * Eigenvalues and eigenvectors (columns of `vectors`) of a symmetric n × n matrix, by cyclic
 * Jacobi rotations until the off-diagonal mass is negligible.
 */
export function symmetricEigen(
  matrix: Float64Array,
  n: number,
): { values: Float64Array; vectors: Float64Array } {
  const a = Float64Array.from(matrix);
  const vectors = new Float64Array(n * n);
  for (let i = 0; i < n; i += 1) vectors[i * n + i] = 1;
  let scale = 0;
  for (const value of a) scale += value * value;
  const tolerance = 1e-22 * Math.max(scale, Number.MIN_VALUE);

  for (let sweep = 0; sweep < 100; sweep += 1) {
    let off = 0;
    for (let p = 0; p < n; p += 1) {
      for (let q = p + 1; q < n; q += 1) off += a[p * n + q]! * a[p * n + q]!;
    }
    if (off <= tolerance) break;
    for (let p = 0; p < n; p += 1) {
      for (let q = p + 1; q < n; q += 1) {
        const apq = a[p * n + q]!;
        if (Math.abs(apq) < 1e-300) continue;
        const app = a[p * n + p]!;
        const aqq = a[q * n + q]!;
        const theta = (aqq - app) / (2 * apq);
        const t = Math.sign(theta || 1) / (Math.abs(theta) + Math.sqrt(theta * theta + 1));
        const c = 1 / Math.sqrt(t * t + 1);
        const s = t * c;
        for (let k = 0; k < n; k += 1) {
          const akp = a[k * n + p]!;
          const akq = a[k * n + q]!;
          a[k * n + p] = c * akp - s * akq;
          a[k * n + q] = s * akp + c * akq;
        }
        for (let k = 0; k < n; k += 1) {
          const apk = a[p * n + k]!;
          const aqk = a[q * n + k]!;
          a[p * n + k] = c * apk - s * aqk;
          a[q * n + k] = s * apk + c * aqk;
        }
        for (let k = 0; k < n; k += 1) {
          const vkp = vectors[k * n + p]!;
          const vkq = vectors[k * n + q]!;
          vectors[k * n + p] = c * vkp - s * vkq;
          vectors[k * n + q] = s * vkp + c * vkq;
        }
      }
    }
  }
  const values = new Float64Array(n);
  for (let i = 0; i < n; i += 1) values[i] = a[i * n + i]!;
  return { values, vectors };
}

/**
 * SIF weights over a Zipf estimate of token frequency, as model2vec does: vocabulary ids are
 * taken as frequency ranks (WordPiece vocabularies are roughly ordered that way), p(rank) ∝
 * 1/(rank + 2), weight = a / (a + p). Frequent tokens get small weights, rare ones about 1.
 */
export function zipfSifWeights(count: number, coefficient: number): Float64Array {
  let total = 0;
  for (let rank = 0; rank < count; rank += 1) total += 1 / (rank + 2);
  const weights = new Float64Array(count);
  for (let rank = 0; rank < count; rank += 1) {
    const probability = 1 / (rank + 2) / total;
    weights[rank] = coefficient / (coefficient + probability);
  }
  return weights;
}
