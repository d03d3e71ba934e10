import { afterAll, describe, expect, it } from 'vitest';
import {
  createLargeRepo,
  fetchJson,
  jsonRequest,
  killAllServers,
  makeTempDir,
  removeTempDirs,
  startServer,
  waitFor,
} from './helpers.ts';

afterAll(async () => {
  await killAllServers();
  removeTempDirs();
});

interface Job {
  id: string;
  state: string;
  rootPath: string;
  mode: string;
  progress: { filesSeen: number; filesIndexed: number; filesUnchanged: number };
}

const fileCount = 1500;

describe('graceful shutdown', () => {
  it('SIGTERM during indexing keeps every lesson and checkpoint, and indexing resumes on restart', async () => {
    const dataDir = makeTempDir();
    const repo = createLargeRepo(fileCount);
    const server = await startServer({ dataDir });
    const api = `${server.url}/api/v1`;

    const lesson = await fetchJson(
      `${api}/lessons`,
      jsonRequest('POST', { title: 'Before indexing', content: 'written before the job started' }),
    );
    expect(lesson.status).toBe(201);
    const started = await fetchJson(`${api}/index/jobs`, jsonRequest('POST', { path: repo }));
    expect(started.status).toBe(202);
    const jobId = (started.body as Job).id;
    // Writes while the job runs.
    const during = await fetchJson(
      `${api}/lessons`,
      jsonRequest('POST', {
        title: 'During indexing',
        content: 'written while files were indexed',
      }),
    );
    const checkpoint = await fetchJson(
      `${api}/checkpoints`,
      jsonRequest('POST', { agent: 'indexer-watcher', workingOn: 'Waiting for the index' }),
    );
    expect(during.status).toBe(201);
    expect(checkpoint.status).toBe(201);

    const running = await waitFor(
      async () => {
        const job = (await fetchJson(`${api}/index/jobs/${jobId}`)).body as Job;
        return job.state === 'running' && job.progress.filesIndexed > 0 ? job : undefined;
      },
      { what: 'the job to be running', intervalMs: 20 },
    );
    expect(running.progress.filesIndexed).toBeLessThan(fileCount);

    expect(await server.stop('SIGTERM')).toBe(0);
    const messages = server.logs().map((line) => line.msg);
    expect(messages).toContain(
      'Shutting down: finishing in-flight work (send the signal again to exit at once)',
    );
    expect(messages).toContain('Shutdown complete');

    const restarted = await startServer({ dataDir });
    const restartedApi = `${restarted.url}/api/v1`;
    for (const id of [(lesson.body as { id: string }).id, (during.body as { id: string }).id]) {
      expect((await fetchJson(`${restartedApi}/lessons/${id}`)).status).toBe(200);
    }
    expect(
      (await fetchJson(`${restartedApi}/checkpoints/${(checkpoint.body as { id: string }).id}`))
        .status,
    ).toBe(200);

    // The registered repository is checked again on start, which finishes the interrupted work.
    const resumed = await waitFor(
      async () => {
        const jobs = (await fetchJson(`${restartedApi}/index/jobs`)).body as Job[];
        const job = jobs.find((entry) => entry.rootPath === repo);
        return job && ['succeeded', 'failed', 'cancelled'].includes(job.state) ? job : undefined;
      },
      { what: 'the resumed job', timeoutMs: 120_000, intervalMs: 200 },
    );
    expect(resumed.state).toBe('succeeded');
    expect(resumed.mode).toBe('incremental');
    // Files indexed before the shutdown were kept, not indexed again.
    expect(resumed.progress.filesUnchanged).toBeGreaterThan(0);
    expect(resumed.progress.filesIndexed + resumed.progress.filesUnchanged).toBe(fileCount);
    const status = (await fetchJson(`${restartedApi}/status`)).body as {
      store: { files: number; lessons: number; checkpoints: number };
    };
    expect(status.store).toMatchObject({ files: fileCount, lessons: 2, checkpoints: 1 });
    expect(
      restarted
        .logs()
        .some(
          (line) =>
            line.msg ===
            'Checking a registered repository for changes made while Nellie was stopped',
        ),
    ).toBe(true);
    expect(await restarted.stop('SIGINT')).toBe(0);
  });

  it('a second signal exits at once', async () => {
    const dataDir = makeTempDir();
    const server = await startServer({ dataDir });
    await fetchJson(
      `${server.url}/api/v1/index/jobs`,
      jsonRequest('POST', { path: createLargeRepo(300) }),
    );
    // Two different signals (the same one twice may be merged by the OS).
    server.child.kill('SIGTERM');
    server.child.kill('SIGINT');
    const code = await server.stop();
    expect([130, 143]).toContain(code);
    expect(
      server.logs().some((line) => line.msg === 'Second signal received: exiting at once'),
    ).toBe(true);
  });
});
