import { afterAll, afterEach, describe, expect, it } from 'vitest';
import {
  createLargeRepo,
  fetchJson,
  killAllServers,
  makeTempDir,
  removeTempDirs,
  requireStandInModel,
  runCli,
  startServer,
  waitFor,
} from '../test/helpers.ts';
import {
  missingLessons,
  report,
  scaled,
  sleep,
  writeLessonsUntilStopped,
  type AcknowledgedLesson,
} from './support.ts';

afterEach(killAllServers);
afterAll(removeTempDirs);

interface StatusJson {
  files: number;
  chunks: number;
  chunksWithVectors: number;
  chunksPendingEmbedding: number;
}

async function status(dataDir: string): Promise<StatusJson> {
  const result = await runCli(['status', '--json', '--data-dir', dataDir, '--model', 'none']);
  expect(result.code, result.stderr).toBe(0);
  return JSON.parse(result.stdout) as StatusJson;
}

async function integrityOk(dataDir: string): Promise<void> {
  const result = await runCli([
    'maintenance',
    '--json',
    '--vacuum',
    'never',
    '--data-dir',
    dataDir,
  ]);
  expect(result.code, result.stderr).toBe(0);
  const parsed = JSON.parse(result.stdout) as { integrity: { ok: boolean; problems: string[] } };
  expect(parsed.integrity).toEqual({ ok: true, problems: [] });
}

/**
 * Starts a server on `dataDir`, writes lessons while it works, kills it with SIGKILL after
 * `killAfterMs`, and returns what was acknowledged before the kill.
 */
async function crashRound(
  dataDir: string,
  args: readonly string[],
  round: number,
  killAfterMs: number,
): Promise<AcknowledgedLesson[]> {
  const server = await startServer({ dataDir, args });
  const writer = writeLessonsUntilStopped(server, `round${round}`);
  await sleep(killAfterMs);
  server.child.kill('SIGKILL');
  await server.exited;
  await writer.stop();
  return writer.acknowledged;
}

describe('kill -9 loses no acknowledged write', () => {
  it('while indexing a repository', async () => {
    const files = scaled(1_500, 6_000);
    const repo = createLargeRepo(files);
    const dataDir = makeTempDir('nellie-crash-index-');
    const args = ['--watch', repo, '--model', 'none', '--rate-limit', '0'];
    const rounds = scaled(4, 10);
    const acknowledged: AcknowledgedLesson[] = [];
    for (let round = 0; round < rounds; round += 1) {
      acknowledged.push(...(await crashRound(dataDir, args, round, 300 + round * 450)));
    }

    await integrityOk(dataDir);
    const server = await startServer({ dataDir, args });
    expect(await missingLessons(server, acknowledged)).toEqual([]);
    // Reconcile on start finishes the interrupted work.
    await waitFor(
      async () => {
        const response = await fetchJson(`${server.url}/api/v1/status`);
        const body = response.body as { store?: { files?: number } };
        return body.store?.files === files;
      },
      { timeoutMs: 240_000, intervalMs: 500, what: 'every file to be indexed after the crashes' },
    );
    const search = await fetchJson(`${server.url}/api/v1/search/code`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ query: `handler${files - 1}x3`, limit: 3 }),
    });
    expect(search.status).toBe(200);
    expect(JSON.stringify(search.body)).toContain(`file${files - 1}.ts`);
    await server.stop();
    report('kill -9 during indexing', {
      rounds,
      files,
      acknowledgedWrites: acknowledged.length,
      lost: 0,
    });
  });

  it('while embedding', async () => {
    const model = requireStandInModel();
    const repo = createLargeRepo(scaled(300, 1_200));
    const dataDir = makeTempDir('nellie-crash-embed-');
    const args = ['--watch', repo, '--model-dir', model, '--rate-limit', '0'];
    const rounds = scaled(3, 8);
    const acknowledged: AcknowledgedLesson[] = [];
    for (let round = 0; round < rounds; round += 1) {
      acknowledged.push(...(await crashRound(dataDir, args, round, 1_500 + round * 1_000)));
    }

    await integrityOk(dataDir);
    const server = await startServer({ dataDir, args });
    expect(await missingLessons(server, acknowledged)).toEqual([]);
    await server.stop();
    const after = await status(dataDir);
    expect(after.chunks).toBeGreaterThan(0);
    report('kill -9 during embedding', {
      rounds,
      acknowledgedWrites: acknowledged.length,
      lost: 0,
      chunks: after.chunks,
      chunksWithVectors: after.chunksWithVectors,
    });
  });
});
