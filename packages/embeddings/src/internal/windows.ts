/**
 * Reading a text longer than the model's window: which tokens each window holds, and how the
 * windows' vectors become the text's one vector.
 */

/** How a text longer than one window is read. */
export interface WindowSettings {
  /** Most windows read; 1 truncates the text to its first window. */
  count: number;
  /** Tokens a window repeats from the end of the one before it. */
  overlap: number;
}

/** How window vectors are averaged into one. */
export interface WindowPooling {
  /** Weight every window by its token count, or all alike. */
  weighting: 'tokens' | 'equal';
  /**
   * Share of the first window (which holds the header and signature) in the mean, the rest shared
   * by the later windows; undefined weights the first like the others.
   */
  firstShare?: number | undefined;
}

/** A window as `[start, end)` over the text's tokens between its special tokens. */
export interface TokenWindow {
  start: number;
  end: number;
}

/**
 * The windows of a text whose tokens (without special tokens) number `length`, each at most
 * `size` tokens. The first starts at 0; each later one starts `size - overlap` tokens after the
 * one before and is read only if it holds tokens the one before did not. The last may be short.
 */
export function tokenWindows(
  length: number,
  size: number,
  settings: WindowSettings,
): TokenWindow[] {
  if (!Number.isInteger(size) || size < 1) throw new RangeError(`window size ${size} is not >= 1`);
  if (!Number.isInteger(settings.overlap) || settings.overlap < 0 || settings.overlap >= size) {
    throw new RangeError(
      `overlap ${settings.overlap} must be >= 0 and below the window size ${size}`,
    );
  }
  const stride = size - settings.overlap;
  const windows: TokenWindow[] = [{ start: 0, end: Math.min(size, length) }];
  for (
    let start = stride;
    windows.length < settings.count && start + settings.overlap < length;
    start += stride
  ) {
    windows.push({ start, end: Math.min(start + size, length) });
  }
  return windows;
}

/**
 * The L2-normalised weighted mean of L2-normalised window vectors. One window gives its own
 * vector back unchanged.
 */
export function poolWindows(
  vectors: readonly Float32Array[],
  tokens: readonly number[],
  pooling: WindowPooling,
): Float32Array {
  const [first] = vectors;
  if (!first || vectors.length !== tokens.length) {
    throw new RangeError(`${vectors.length} window vectors for ${tokens.length} token counts`);
  }
  if (vectors.length === 1) return first;
  const raw = tokens.map((count) => (pooling.weighting === 'tokens' ? count : 1));
  let weights = raw;
  if (pooling.firstShare !== undefined) {
    const rest = raw.slice(1).reduce((sum, weight) => sum + weight, 0);
    weights = raw.map((weight, index) =>
      index === 0 ? pooling.firstShare! : ((1 - pooling.firstShare!) * weight) / rest,
    );
  }
  const sum = new Float32Array(first.length);
  vectors.forEach((vector, index) => {
    const weight = weights[index]!;
    for (let i = 0; i < sum.length; i += 1) sum[i]! += vector[i]! * weight;
  });
  let norm = 0;
  for (const value of sum) norm += value * value;
  norm = Math.sqrt(norm) || 1;
  for (let i = 0; i < sum.length; i += 1) sum[i]! /= norm;
  return sum;
}
