/**
 * How precise a benchmark figure is. The figures are means over repositories (or packages) of
 * per-query scores, so the bootstrap resamples each group's queries with replacement, keeping the
 * groups: the interval says how much the figure could move with other queries of the same kind.
 * Two runs over the same queries are compared on the same resamples (a paired bootstrap), which
 * is much tighter than comparing two separate intervals.
 */
import { seededRandom } from '@nellie/core';

/** Per-query scores, one array per repository (or package); the figure is the mean of means. */
export type GroupedScores = readonly (readonly number[])[];

export interface Interval {
  low: number;
  high: number;
}

export interface BootstrapOptions {
  /** Resamples drawn (default 2,000). */
  samples?: number;
  /** Share of the resamples inside the interval (default 0.95). */
  level?: number;
  /** Seed of the resampling, so the same scores always give the same interval. */
  seed?: number;
}

/** The mean over groups of each group's mean score; empty groups are left out. */
export function meanOfMeans(groups: GroupedScores): number {
  const means = groups
    .filter((scores) => scores.length > 0)
    .map((scores) => scores.reduce((sum, value) => sum + value, 0) / scores.length);
  return means.length === 0 ? 0 : means.reduce((sum, value) => sum + value, 0) / means.length;
}

function checkPaired(a: GroupedScores, b: GroupedScores): void {
  const same =
    a.length === b.length && a.every((scores, index) => scores.length === b[index]!.length);
  if (!same) throw new Error('A paired comparison needs the same queries in both runs.');
}

/**
 * The interval of `meanOfMeans(b) - meanOfMeans(a)` over resamples of the queries within each
 * group; with `a` all zeros it is the interval of `b`'s own figure.
 */
export function pairedBootstrap(
  a: GroupedScores,
  b: GroupedScores,
  options: BootstrapOptions = {},
): Interval {
  checkPaired(a, b);
  const { samples = 2000, level = 0.95, seed = 1 } = options;
  const random = seededRandom(seed);
  const groups = a.map((_, index) => index).filter((index) => a[index]!.length > 0);
  const differences: number[] = [];
  for (let sample = 0; sample < samples; sample += 1) {
    let total = 0;
    for (const group of groups) {
      const first = a[group]!;
      const second = b[group]!;
      let sum = 0;
      for (let draw = 0; draw < first.length; draw += 1) {
        const query = Math.floor(random() * first.length);
        sum += second[query]! - first[query]!;
      }
      total += sum / first.length;
    }
    differences.push(groups.length === 0 ? 0 : total / groups.length);
  }
  differences.sort((x, y) => x - y);
  const tail = (1 - level) / 2;
  const at = (share: number): number =>
    differences[Math.min(samples - 1, Math.max(0, Math.round(share * (samples - 1))))] ?? 0;
  return { low: at(tail), high: at(1 - tail) };
}

/** The interval of one run's figure (`meanOfMeans(scores)`). */
export function bootstrapInterval(scores: GroupedScores, options: BootstrapOptions = {}): Interval {
  return pairedBootstrap(
    scores.map((group) => group.map(() => 0)),
    scores,
    options,
  );
}

/** `0.836–0.876`, or `+0.011 to +0.033` for a difference. */
export function formatInterval(interval: Interval, signed = false): string {
  if (!signed) return `${interval.low.toFixed(3)}–${interval.high.toFixed(3)}`;
  const sign = (value: number): string => `${value >= 0 ? '+' : '−'}${Math.abs(value).toFixed(3)}`;
  return `${sign(interval.low)} to ${sign(interval.high)}`;
}
