import { describe, expect, it } from 'vitest';
import { summarise } from '../rank-metrics.ts';
import { formatDocstringsReport, type DocstringsRun } from './run-docstrings.ts';

function runWithVariants(variants: { label: string; ranks: (number | null)[] }[]): DocstringsRun {
  const defaults = variants[0]!.ranks;
  return {
    split: 'dev',
    mode: 'keyword',
    modelId: null,
    packages: 1,
    packagesWithQueries: 1,
    unavailable: [],
    files: 1,
    chunks: 4,
    indexSeconds: 0.1,
    queryP50Ms: 1,
    queryP95Ms: 2,
    summary: summarise(defaults),
    mrrAt10ByPackageMean: summarise(defaults).mrrAt10,
    results: defaults.map((rank, index) => ({
      package: 'pkg',
      query: `query ${index}`,
      functionName: `f${index}`,
      targets: [{ path: 'pkg/index.js', startLine: index + 1, endLine: index + 1 }],
      rank,
      top: [],
      milliseconds: 1,
    })),
    variants: variants.map(({ label, ranks }) => ({
      label,
      summary: summarise(ranks),
      mrrAt10ByPackageMean: summarise(ranks).mrrAt10,
      ranks,
    })),
  };
}

describe('doc-comment benchmark report', () => {
  it('shows each setting variant with the interval of its difference from the defaults', () => {
    const report = formatDocstringsReport(
      runWithVariants([
        { label: 'defaults', ranks: [1, 1, 1, 1] },
        { label: 'second', ranks: [2, 2, 2, 2] },
        { label: 'mixed', ranks: [1, 1, 2, null] },
      ]),
      false,
    );
    const lines = report.split('\n');
    const header = lines.indexOf(
      'setting variants (same index; MRR@10; vs defaults: 95% interval of the difference)',
    );
    expect(header).toBeGreaterThan(0);
    // Best MRR@10 first. Every query of "second" loses 0.5, so every resample does too.
    expect(lines.slice(header + 2)).toEqual([
      '   1.000   1.000  +0.000 to +0.000    defaults',
      expect.stringMatching(/^ {3}0\.625 {3}0\.750 {2}−0\.\d{3} to [−+]0\.\d{3} +mixed$/),
      '   0.500   1.000  −0.500 to −0.500    second',
    ]);
  });
});
