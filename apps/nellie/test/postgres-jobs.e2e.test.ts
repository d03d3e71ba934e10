import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { startPostgresServer, type PostgresServer } from '@nellie/test-utils';
import { spawn } from 'node:child_process';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  cleanEnv,
  cliPath,
  createLargeRepo,
  createSampleRepo,
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
  progress: { filesIndexed: number; chunksWritten: number };
}

async function jobRow(schema: string, id: string) {
  const { rows } = await client!.query<{ state: string; attempts: number; claimed_by: string }>(
    `SELECT state, attempts, claimed_by FROM ${schema}.index_jobs WHERE id = $1`,
    [id],
  );
  return rows[0];
}

const claimedJob = (server: RunningServer, jobId: string): boolean =>
  server
    .logs()
    .some((line) => line.msg === 'Claimed an index job from the database' && line.jobId === jobId);

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

describe('nellie index --database: the job is queued for the servers', () => {
  it('with no server on the database, the command claims its own job after a short wait and finishes it', async () => {
    const repo = createSampleRepo();
    const indexed = await runCli(['index', repo, '--data-dir', makeTempDir(), '--json'], {
      env: databaseEnv('cli_alone'),
      timeoutMs: 120_000,
    });
    expect(indexed.code, indexed.stderr).toBe(0);
    const { job } = JSON.parse(indexed.stdout) as { job: Job };
    expect(job).toMatchObject({ state: 'succeeded', error: null });
    expect(job.progress.filesIndexed).toBeGreaterThan(0);
    expect(await jobRow('cli_alone', job.id)).toMatchObject({ state: 'succeeded', attempts: 1 });
    expect((await indexContents('cli_alone')).files).toBe(job.progress.filesIndexed);
  }, 180_000);

  it('--no-wait only queues; the servers run it, any server answers its lookup at once, and a following command leaves its job to them', async () => {
    const env = databaseEnv('team_jobs');
    const queuedRepo = createSampleRepo();
    const queued = await runCli(
      ['index', queuedRepo, '--data-dir', makeTempDir(), '--no-wait', '--json'],
      { env, timeoutMs: 120_000 },
    );
    expect(queued.code, queued.stderr).toBe(0);
    const queuedJob = (JSON.parse(queued.stdout) as { job: Job }).job;
    expect(queuedJob.state).toBe('queued');
    // Nobody runs it until a server is there.
    expect(await jobRow('team_jobs', queuedJob.id)).toMatchObject({ state: 'queued', attempts: 0 });

    // The server running a job hears a cancel made through another at its next heartbeat, a
    // third of the lease: a short lease, so that is sooner than the job's end on a fast machine.
    const servers = [
      await startServer({
        dataDir: makeTempDir('nellie-pg-data-'),
        env,
        args: ['--job-lease-seconds', '3'],
      }),
      await startServer({
        dataDir: makeTempDir('nellie-pg-data-'),
        env,
        args: ['--job-lease-seconds', '3'],
      }),
    ];
    const [a, b] = servers as [RunningServer, RunningServer];
    await waitFor(async () => (await jobRow('team_jobs', queuedJob.id))?.state === 'succeeded', {
      what: 'a server to run the queued job',
      timeoutMs: 60_000,
    });
    expect(servers.some((server) => claimedJob(server, queuedJob.id))).toBe(true);

    // A job started through A is found through B at once, without waiting for B's next poll.
    const large = createLargeRepo(300);
    const started = await fetchJson(
      `${a.url}/api/v1/index/jobs`,
      jsonRequest('POST', { path: large, mode: 'full' }),
    );
    expect(started.status).toBe(202);
    const jobId = (started.body as Job).id;
    const lookup = await fetchJson(`${b.url}/api/v1/index/jobs/${jobId}`);
    expect(lookup.status, JSON.stringify(lookup.body)).toBe(200);
    expect((lookup.body as Job).id).toBe(jobId);
    const mcp = new Client({ name: 'nellie-e2e', version: '1.0.0' });
    await mcp.connect(new StreamableHTTPClientTransport(new URL(`${b.url}/mcp`)));
    try {
      const status = await mcp.callTool({ name: 'get_index_status', arguments: { job_id: jobId } });
      expect(status.isError ?? false, JSON.stringify(status.content)).toBe(false);
      expect(status.structuredContent).toMatchObject({ jobs: [{ id: jobId }] });
    } finally {
      await mcp.close();
    }
    // Once the store records the end, every server says so at once.
    await waitFor(async () => (await jobRow('team_jobs', jobId))?.state === 'succeeded', {
      what: 'the large job to finish',
      timeoutMs: 120_000,
    });
    for (const server of servers) {
      const answer = await fetchJson(`${server.url}/api/v1/index/jobs/${jobId}`);
      expect((answer.body as Job).state).toBe('succeeded');
    }

    // A job started through A is cancelled through B at once, before B's next poll has seen it.
    const cancelRepo = createLargeRepo(2000);
    const toCancel = await fetchJson(
      `${a.url}/api/v1/index/jobs`,
      jsonRequest('POST', { path: cancelRepo, mode: 'full' }),
    );
    expect(toCancel.status).toBe(202);
    const cancelId = (toCancel.body as Job).id;
    const cancelled = await fetchJson(`${b.url}/api/v1/index/jobs/${cancelId}`, {
      method: 'DELETE',
    });
    expect(cancelled.status, JSON.stringify(cancelled.body)).toBe(200);
    expect((cancelled.body as Job).id).toBe(cancelId);
    await waitFor(async () => (await jobRow('team_jobs', cancelId))?.state === 'cancelled', {
      what: 'the job cancelled through another server to end cancelled',
      timeoutMs: 60_000,
    });

    // The CLI follows a job a server runs and reports its counts.
    const followedRepo = createSampleRepo();
    const followed = await runCli(['index', followedRepo, '--data-dir', makeTempDir(), '--json'], {
      env,
      timeoutMs: 120_000,
    });
    expect(followed.code, followed.stderr).toBe(0);
    const { job } = JSON.parse(followed.stdout) as { job: Job };
    expect(job).toMatchObject({ state: 'succeeded', error: null });
    expect(job.progress.filesIndexed).toBeGreaterThan(0);
    expect(servers.some((server) => claimedJob(server, job.id))).toBe(true);
    expect(await jobRow('team_jobs', job.id)).toMatchObject({ attempts: 1 });

    // --in-process runs the job here as before, without the job table.
    const local = await runCli(
      ['index', createSampleRepo(), '--data-dir', makeTempDir(), '--in-process', '--json'],
      { env, timeoutMs: 120_000 },
    );
    expect(local.code, local.stderr).toBe(0);
    const localJob = (JSON.parse(local.stdout) as { job: Job }).job;
    expect(localJob.state).toBe('succeeded');
    expect(await jobRow('team_jobs', localJob.id)).toBeUndefined();

    for (const server of servers) expect(await server.stop()).toBe(0);
  }, 400_000);

  it('Ctrl-C cancels the job it follows, wherever it runs, and exits 130', async () => {
    const env = databaseEnv('cli_interrupt');
    const server = await startServer({
      dataDir: makeTempDir('nellie-pg-data-'),
      env,
      args: ['--job-lease-seconds', '3'],
    });
    const repo = createLargeRepo(2000);
    const child = spawn(
      process.execPath,
      [cliPath, 'index', repo, '--data-dir', makeTempDir(), '--full', '--json'],
      { env, stdio: ['ignore', 'pipe', 'pipe'] },
    );
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => (stdout += chunk));
    child.stderr.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
    const exited = new Promise<number | null>((resolve) => child.on('close', resolve));
    const running = await waitFor(
      async () => {
        const { rows } = await client!
          .query<{ id: string }>(
            `SELECT id FROM cli_interrupt.index_jobs
             WHERE state = 'running' AND (progress->>'filesIndexed')::int > 0`,
          )
          .catch(() => ({ rows: [] as { id: string }[] }));
        return rows[0]?.id;
      },
      { what: 'the job to be part done', intervalMs: 50, timeoutMs: 120_000 },
    );
    child.kill('SIGINT');
    expect(await exited, stderr).toBe(130);
    expect(stderr).toContain(`Cancelling index job ${running}`);
    expect((JSON.parse(stdout) as { job: Job }).job).toMatchObject({
      id: running,
      state: 'cancelled',
    });
    expect(await jobRow('cli_interrupt', running)).toMatchObject({ state: 'cancelled' });
    expect((await indexContents('cli_interrupt')).files).toBeLessThan(2000);
    expect(await server.stop()).toBe(0);
  }, 300_000);

  it('--no-wait without a database is refused, saying why', async () => {
    const refused = await runCli(
      ['index', createSampleRepo(), '--data-dir', makeTempDir(), '--no-wait'],
      { env: cleanEnv() },
    );
    expect(refused.code).toBe(2);
    expect(refused.stderr).toContain('--no-wait queues the job in a PostgreSQL database');
  });
});
