/** Scales a vector to unit length in place; returns false for a zero (or non-finite) vector. */
export function normalizeInPlace(vector: Float32Array): boolean {
  let sum = 0;
  for (const value of vector) sum += value * value;
  const norm = Math.sqrt(sum);
  if (!Number.isFinite(norm) || norm === 0) return false;
  for (let index = 0; index < vector.length; index += 1) vector[index]! /= norm;
  return true;
}
