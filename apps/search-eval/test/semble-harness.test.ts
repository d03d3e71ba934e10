import { execFile } from 'node:child_process';
import { existsSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { formatSembleReport } from '../src/semble/format-report.ts';
import { runSemble, type SembleRun } from '../src/semble/run-semble.ts';
import { buildSembleFixture, type SembleFixture } from './semble-fixture.ts';

let fixture: SembleFixture;

beforeAll(() => {
  fixture = buildSembleFixture();
});

afterAll(() => {
  rmSync(fixture.root, { recursive: true, force: true });
});

function ndcgByQuery(run: SembleRun): Record<string, number[]> {
  return Object.fromEntries(
    run.results.map((repo) => [repo.name, repo.queries.map((query) => query.ndcgAt10)]),
  );
}

describe(
  'semble harness on a committed fixture (real git, real SQLite, real indexer)',
  { timeout: 60_000 },
  () => {
    it('exports each pinned revision, indexes it, scores each query and averages per repository first', async () => {
      const run = await runSemble({
        dataDir: fixture.dataDir,
        mirrorsDir: fixture.mirrorsDir,
        cacheDir: fixture.cacheDir,
        split: 'all',
        mode: 'keyword',
      });

      expect(run.unavailable).toEqual([
        { name: 'gone', reason: expect.stringContaining('no mirror') as unknown },
      ]);
      // tinyshop: three identifiers found at rank 1, one query whose file does not exist.
      expect(ndcgByQuery(run)).toEqual({ tinyshop: [1, 1, 1, 0], tinycli: [1] });
      expect(run.summary.ndcgAt10).toBeCloseTo((0.75 + 1) / 2, 12);
      expect(run.summary.queries).toBe(5);
      expect(run.summary.byCategory).toEqual({ semantic: 0, symbol: 1 });
      expect(run.summary.byLanguage).toEqual({
        python: { repos: 1, ndcgAt10: 1 },
        typescript: { repos: 1, ndcgAt10: 0.75 },
      });

      // Only benchmark_root is exported, and hit paths are relative to it.
      const exported = join(
        fixture.cacheDir,
        'semble',
        `tinyshop-${fixture.revisions.tinyshop?.slice(0, 12)}`,
      );
      expect(existsSync(join(exported, 'cart.ts'))).toBe(true);
      expect(existsSync(join(exported, 'docs'))).toBe(false);
      const tinyshopPaths = run.results[0]?.queries.flatMap((query) =>
        query.top.map((hit) => hit.path),
      );
      expect(new Set(tinyshopPaths)).toEqual(new Set(['cart.ts', 'payment.ts']));

      // The published peers, averaged over the same repositories.
      const hybrid = run.summary.peers.find((peer) => peer.id === 'semble-hybrid');
      expect(hybrid).toMatchObject({ repos: 2, byCategory: { semantic: 0.6, symbol: 0.75 } });
      expect(hybrid?.ndcgAt10).toBeCloseTo(0.7, 12);
      expect(run.summary.peers.find((peer) => peer.id === 'ripgrep')).toMatchObject({
        repos: 1,
        ndcgAt10: 0.2,
      });

      const report = formatSembleReport(run);
      expect(report).toMatch(/tinyshop\s+typescript\s+4\s/);
      expect(report).toContain('unavailable: gone');
      expect(report).toMatch(/semble hybrid \(published\)\s+2\s+0\.700/);
    });

    it('keeps repositories apart in one shared store through the repository filter', async () => {
      const run = await runSemble({
        dataDir: fixture.dataDir,
        mirrorsDir: fixture.mirrorsDir,
        cacheDir: fixture.cacheDir,
        split: 'all',
        repos: ['tinyshop', 'tinycli'],
        mode: 'keyword',
        sharedStore: true,
      });
      // tinycli's billing.py repeats chargeCreditCard; without the filter it would come first.
      expect(ndcgByQuery(run)).toEqual({ tinyshop: [1, 1, 1, 0], tinycli: [1] });
      expect(run.unavailable).toEqual([]);
    });

    it('selects a split and reports an unknown repository clearly', async () => {
      const options = {
        dataDir: fixture.dataDir,
        mirrorsDir: fixture.mirrorsDir,
        cacheDir: fixture.cacheDir,
        mode: 'keyword' as const,
      };
      const test = await runSemble({ ...options, split: 'test' });
      expect(test.results.map((repo) => repo.name)).toEqual(['tinycli']);
      await expect(runSemble({ ...options, split: 'dev', repos: ['nope'] })).rejects.toThrow(
        /Unknown repositories: nope/,
      );
    });
  },
);

// Each run starts Node with tsx; on a busy machine that alone can take seconds.
describe('hybrid mode with the stand-in model', { timeout: 120_000 }, () => {
  // Random weights: the vectors carry no meaning, so this checks the path, not the scores.
  // Fails (does not skip) when ../shared/models is missing, like every model test.
  const modelDir = fileURLToPath(
    new URL('../../../../shared/models/stand-in/all-MiniLM-L6-v2-random-weights', import.meta.url),
  );

  it('embeds every repository with one model and fuses keyword and vector hits', async () => {
    const run = await runSemble({
      dataDir: fixture.dataDir,
      mirrorsDir: fixture.mirrorsDir,
      cacheDir: fixture.cacheDir,
      split: 'all',
      mode: 'hybrid',
      modelDir,
    });
    expect(run.mode).toBe('hybrid');
    expect(run.modelId).toEqual(expect.any(String));
    expect(run.results.map((repo) => [repo.name, repo.queries.length])).toEqual([
      ['tinyshop', 4],
      ['tinycli', 1],
    ]);
    // Every chunk of the tiny repositories is returned, ranked by the fused score.
    for (const repo of run.results) {
      for (const query of repo.queries) expect(query.top.length).toBe(repo.chunks);
    }
    expect(formatSembleReport(run)).toContain('Nellie hybrid (');
  });
});

describe('pnpm eval command line', { timeout: 60_000 }, () => {
  const appDir = fileURLToPath(new URL('..', import.meta.url));
  const run = (args: string[]) =>
    promisify(execFile)(
      process.execPath,
      ['--conditions=@nellie/source', '--import', 'tsx', 'src/cli.ts', ...args],
      {
        cwd: appDir,
      },
    );

  it('prints the table and writes every figure as JSON', async () => {
    const jsonPath = join(fixture.root, 'run.json');
    const { stdout } = await run([
      'semble',
      '--split',
      'all',
      '--data',
      fixture.dataDir,
      '--mirrors',
      fixture.mirrorsDir,
      '--cache-dir',
      fixture.cacheDir,
      '--json',
      jsonPath,
      '--verbose',
    ]);
    expect(stdout).toContain('where refunds are persisted to the ledger');
    expect(stdout).toMatch(/mean over repos\s+5\s/);
    const written = JSON.parse(readFileSync(jsonPath, 'utf8')) as {
      benchmark: string;
      summary: { ndcgAt10: number };
    };
    expect(written.benchmark).toBe('semble');
    expect(written.summary.ndcgAt10).toBeCloseTo(0.875, 12);
  });

  it('rejects a bad option with a message and a non-zero exit', async () => {
    await expect(run(['semble', '--split', 'later'])).rejects.toMatchObject({
      code: 1,
      stderr: expect.stringContaining('--split must be dev, test or all') as unknown,
    });
    await expect(run(['semble', '--splits', 'dev'])).rejects.toMatchObject({
      stderr: expect.stringContaining("Unknown option '--splits'") as unknown,
    });
    await expect(run(['--mode', 'hybrid'])).rejects.toMatchObject({
      stderr: expect.stringContaining('--mode hybrid needs --model-dir') as unknown,
    });
  });
});
