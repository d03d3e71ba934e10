import { join } from 'node:path';
import { Worker } from 'node:worker_threads';
import { describe, expect, it } from 'vitest';
import { useTempDir } from './helpers.ts';

const tempDir = useTempDir();
const workerScript = new URL('./fixtures/open-race-worker.mjs', import.meta.url);

interface OpenResult {
  path: string;
  ok: boolean;
  error?: string;
}

function runWorkers(paths: string[], workers: number): Promise<OpenResult[]> {
  const barrier = new SharedArrayBuffer(4);
  const results: OpenResult[] = [];
  return Promise.all(
    Array.from(
      { length: workers },
      () =>
        new Promise<void>((resolve, reject) => {
          const worker = new Worker(workerScript, { workerData: { paths, workers, barrier } });
          worker.on('message', (result: OpenResult) => results.push(result));
          worker.once('error', reject);
          worker.once('exit', () => resolve());
        }),
    ),
  ).then(() => results);
}

describe('opening a new database from several places at once', () => {
  // `nellie serve` and `nellie index` started together on a new data directory both create it.
  it('every opener succeeds: none sees half a schema nor fails to switch to WAL', async () => {
    const paths = Array.from({ length: 300 }, (_, index) => join(tempDir(), `race-${index}.db`));
    const results = await runWorkers(paths, 3);
    expect(results).toHaveLength(paths.length * 3);
    expect(results.filter((result) => !result.ok)).toEqual([]);
  }, 120_000);
});
