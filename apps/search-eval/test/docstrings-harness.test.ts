import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { splitOf } from '../src/docstrings/build-corpus.ts';
import {
  defaultPackageList,
  formatDocstringsReport,
  runDocstrings,
} from '../src/docstrings/run-docstrings.ts';
import { summarise } from '../src/rank-metrics.ts';

const fixture = fileURLToPath(new URL('./fixtures/docstrings-mini/', import.meta.url));
const cacheDir = mkdtempSync(join(tmpdir(), 'nellie-eval-docstrings-test-'));

afterAll(() => {
  rmSync(cacheDir, { recursive: true, force: true });
});

describe(
  'doc-comment benchmark on committed fixture packages (real parser, SQLite, indexer)',
  { timeout: 60_000 },
  () => {
    it('turns documented functions into queries against code stripped of its doc comments', async () => {
      const run = await runDocstrings({
        cacheDir,
        split: 'all',
        mode: 'keyword',
        packagesDir: join(fixture, 'packages'),
        packageList: join(fixture, 'package-list.json'),
      });

      expect(run.unavailable).toEqual(['absent@0.1.0']);
      expect(run.packages).toBe(2);
      const queries = run.results
        .map(({ package: name, query, functionName, targets }) => ({
          name,
          query,
          functionName,
          targets,
        }))
        .sort((a, b) => a.query.localeCompare(b.query));
      // Left out: a one-word comment, a sentence shared by two different functions, the minified
      // files, the test directory and the declaration file.
      expect(queries).toEqual([
        {
          name: 'tempconv',
          query: 'Converts a temperature from celsius to fahrenheit',
          functionName: 'celsiusToFahrenheit',
          targets: [
            { path: 'tempconv/dist/tempconv.cjs', startLine: 6, endLine: 9 },
            { path: 'tempconv/lib/index.js', startLine: 8, endLine: 11 },
          ],
        },
        {
          name: 'slugkit',
          query: 'Forgets every slug handed out so far',
          functionName: 'reset',
          targets: [{ path: 'slugkit/src/slug.ts', startLine: 15, endLine: 17 }],
        },
        {
          name: 'slugkit',
          query: 'Makes a URL-safe slug from a heading, adding a counter for repeats',
          functionName: 'slug',
          targets: [{ path: 'slugkit/src/slug.ts', startLine: 7, endLine: 12 }],
        },
        {
          name: 'tempconv',
          query: 'Turns degrees on the kelvin scale into degrees celsius',
          functionName: 'kelvinToCelsius',
          targets: [{ path: 'tempconv/lib/index.js', startLine: 16, endLine: 19 }],
        },
      ]);
      // Three code files were indexed, and every hit comes from them.
      expect(run.files).toBe(3);
      const hitPaths = new Set(run.results.flatMap((result) => result.top.map((hit) => hit.path)));
      expect(
        [...hitPaths].every((path) =>
          ['tempconv/dist/tempconv.cjs', 'tempconv/lib/index.js', 'slugkit/src/slug.ts'].includes(
            path,
          ),
        ),
      ).toBe(true);
      // The identifiers still say what the doc comment said.
      const celsius = run.results.find((result) => result.functionName === 'celsiusToFahrenheit');
      expect(celsius?.rank).not.toBeNull();
      expect(run.summary).toEqual(summarise(run.results.map((result) => result.rank)));
      expect(formatDocstringsReport(run, true)).toContain('4 queries  MRR@10');
    });

    it('indexes copies whose doc comments are blanked, line for line', async () => {
      await runDocstrings({
        cacheDir,
        split: 'all',
        mode: 'keyword',
        packagesDir: join(fixture, 'packages'),
        packageList: join(fixture, 'package-list.json'),
      });
      const [splitDir] = readdirSync(join(cacheDir, 'docstrings')).filter((name) =>
        name.startsWith('all-'),
      );
      const corpus = join(cacheDir, 'docstrings', splitDir ?? '', 'corpus');
      const original = readFileSync(join(fixture, 'packages/tempconv/lib/index.js'), 'utf8');
      const stripped = readFileSync(join(corpus, 'tempconv/lib/index.js'), 'utf8');
      expect(stripped.split('\n')).toHaveLength(original.split('\n').length);
      expect(stripped).not.toContain('/**');
      expect(stripped).not.toContain('Converts a temperature');
      expect(stripped.split('\n')[7]).toBe('function celsiusToFahrenheit(celsius) {');
      expect(existsSync(join(corpus, 'tempconv/lib/index.min.js'))).toBe(false);
      expect(existsSync(join(corpus, 'tempconv/lib/compact.js'))).toBe(false); // minified content
      expect(existsSync(join(corpus, 'tempconv/test'))).toBe(false);
      expect(existsSync(join(corpus, 'tempconv/index.d.ts'))).toBe(false);
    });
  },
);

describe('splitOf', () => {
  it('puts about half of the pinned packages in dev and half in test', () => {
    const { packages } = JSON.parse(readFileSync(defaultPackageList, 'utf8')) as {
      packages: string[];
    };
    const names = packages.map((spec) => spec.slice(0, spec.lastIndexOf('@')));
    const dev = names.filter((name) => splitOf(name) === 'dev').length;
    expect(names.length).toBeGreaterThanOrEqual(200);
    expect(dev / names.length).toBeGreaterThan(0.4);
    expect(dev / names.length).toBeLessThan(0.6);
  });
});
