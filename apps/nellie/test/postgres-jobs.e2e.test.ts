import { startPostgresServer, type PostgresServer } from '@nellie/test-utils';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  cleanEnv,
  createLargeRepo,
  fetchJson,
  jsonRequest,
  killAllServers,
  makeTempDir,
  removeTempDirs,
  runCli,
  startServer,
  waitFor,
  type RunningServer,
} from './helpers.ts';

let postgres: PostgresServer | undefined;
let client: pg.Client | undefined;

beforeAll(async () => {
  postgres = await startPostgresServer();
  client = new pg.Client({ connectionString: postgres.connectionString });
  await client.connect();
}, 120_000);

afterAll(async () => {
  await killAllServers();
  await client?.end();
  await postgres?.destroy();
  removeTempDirs();
});

interface Job {
  id: string;
  state: string;
  error: string | null;
}

function databaseEnv(schema: string): Record<string, string> {
  return cleanEnv({
    NELLIE_DATABASE_URL: postgres!.connectionString,
    NELLIE_DATABASE_SCHEMA: schema,
  });
}

async function scalar(sql: string): Promise<number> {
  const { rows } = await client!.query<{ value: string }>(sql);
  return Number(rows[0]!.value);
}

/** What an index holds: files, chunks, and chunks that exist more than once in one file. */
async function indexContents(schema: string) {
  return {
    files: await scalar(`SELECT count(*) AS value FROM ${schema}.files`),
    chunks: await scalar(`SELECT count(*) AS value FROM ${schema}.chunks`),
    duplicateChunks: await scalar(
      `SELECT count(*) AS value FROM (
         SELECT 1 FROM ${schema}.chunks GROUP BY file_id, start_line, end_line, content_hash
         HAVING count(*) > 1) d`,
    ),
    filesWithoutChunks: await scalar(
      `SELECT count(*) AS value FROM ${schema}.files f
       WHERE NOT EXISTS (SELECT 1 FROM ${schema}.chunks c WHERE c.file_id = f.id)`,
    ),
  };
}

describe('index jobs shared by three servers on one PostgreSQL database', () => {
  it('kill -9 of the server running a job: another takes it over and finishes it, with nothing duplicated or missing', async () => {
    const repo = createLargeRepo(2500);
    const env = databaseEnv('shared_jobs');
    const servers: RunningServer[] = [];
    for (let index = 0; index < 3; index += 1) {
      servers.push(
        await startServer({
          dataDir: makeTempDir('nellie-pg-data-'),
          env,
          args: ['--job-lease-seconds', '2'],
        }),
      );
    }
    const started = await fetchJson(
      `${servers[0]!.url}/api/v1/index/jobs`,
      jsonRequest('POST', { path: repo, mode: 'full' }),
    );
    expect(started.status).toBe(202);
    const jobId = (started.body as Job).id;
    // A second request, through another server, gets the same job.
    const again = await fetchJson(
      `${servers[1]!.url}/api/v1/index/jobs`,
      jsonRequest('POST', { path: repo }),
    );
    expect((again.body as Job).id).toBe(jobId);

    const claimedBy = (server: RunningServer) =>
      server
        .logs()
        .some(
          (line) => line.msg === 'Claimed an index job from the database' && line.jobId === jobId,
        );
    const holder = await waitFor(() => Promise.resolve(servers.find(claimedBy)), {
      what: 'a server to claim the job',
    });
    // Kill it once it has written part of the repository, as its heartbeats report.
    await waitFor(
      async () =>
        (await scalar(
          `SELECT (progress->>'filesIndexed')::int AS value FROM shared_jobs.index_jobs
           WHERE id = '${jobId}' AND state = 'running'`,
        ).catch(() => 0)) > 0,
      { what: 'the job to be part done', intervalMs: 50 },
    );
    await holder.stop('SIGKILL');
    const partial = await indexContents('shared_jobs');
    expect(partial.files).toBeLessThan(2500);

    const survivors = servers.filter((server) => server !== holder);
    const taker = await waitFor(
      () =>
        Promise.resolve(
          survivors.find((server) =>
            server
              .logs()
              .some(
                (line) =>
                  line.msg === 'Took over an index job whose server stopped' &&
                  line.jobId === jobId,
              ),
          ),
        ),
      { what: 'another server to take the job over', timeoutMs: 30_000 },
    );
    // Its status is the same through every surviving server.
    const finished = await waitFor(
      async () => {
        const job = (await fetchJson(`${survivors[0]!.url}/api/v1/index/jobs/${jobId}`))
          .body as Job;
        return ['succeeded', 'failed', 'cancelled'].includes(job.state) ? job : undefined;
      },
      { what: 'the job to finish', timeoutMs: 120_000 },
    );
    expect(finished).toMatchObject({ state: 'succeeded', error: null });
    for (const server of survivors) {
      await waitFor(
        async () =>
          ((await fetchJson(`${server.url}/api/v1/index/jobs/${jobId}`)).body as Job).state ===
          'succeeded',
        { what: 'every server to report the job done' },
      );
    }
    expect(
      await scalar(`SELECT attempts AS value FROM shared_jobs.index_jobs WHERE id = '${jobId}'`),
    ).toBe(2);
    expect(taker).not.toBe(holder);

    // A clean index of the same tree, by the CLI into another schema, holds the same.
    const clean = await runCli(['index', repo, '--data-dir', makeTempDir(), '--json'], {
      env: databaseEnv('clean_index'),
      timeoutMs: 180_000,
    });
    expect(clean.code, clean.stderr).toBe(0);
    const expected = await indexContents('clean_index');
    expect(expected).toMatchObject({ files: 2500, duplicateChunks: 0, filesWithoutChunks: 0 });
    expect(await indexContents('shared_jobs')).toEqual(expected);

    for (const server of survivors) expect(await server.stop()).toBe(0);
  }, 400_000);
});
