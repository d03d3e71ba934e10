import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { startPostgresServer, type PostgresServer } from '@nellie/test-utils';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  cleanEnv,
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
const servers: RunningServer[] = [];

beforeAll(async () => {
  postgres = await startPostgresServer();
});

afterAll(async () => {
  await killAllServers();
  await postgres?.destroy();
  removeTempDirs();
});

interface Job {
  id: string;
  state: string;
}

interface CodeHits {
  hits: { path: string }[];
}

/** The database URL goes through the environment, as the docs recommend for a password. */
function databaseEnv(extra: Record<string, string> = {}): Record<string, string> {
  return cleanEnv({ NELLIE_DATABASE_URL: postgres!.connectionString, ...extra });
}

describe('three nellie serve processes on one PostgreSQL database', () => {
  let repo: string;
  let api: string[];

  beforeAll(async () => {
    // Each server has its own data directory (model cache, process registry), one database.
    for (let index = 0; index < 3; index += 1) {
      servers.push(
        await startServer({ dataDir: makeTempDir('nellie-pg-data-'), env: databaseEnv() }),
      );
    }
    api = servers.map((server) => `${server.url}/api/v1`);
    repo = createSampleRepo();
  }, 120_000);

  afterAll(async () => {
    for (const server of servers) expect(await server.stop()).toBe(0);
  });

  it('says it runs on PostgreSQL, in the log, on /ready and in the metrics', async () => {
    const listening = servers[0]!.logs().find((line) => line.msg === 'Nellie is listening');
    expect(String(listening?.database)).toMatch(
      /^postgres:\/\/127\.0\.0\.1:\d+\/postgres \(schema nellie\)$/,
    );
    expect(String(listening?.database)).not.toContain('postgres@');
    const ready = await fetchJson(`${servers[1]!.url}/ready`);
    expect(ready.status).toBe(200);
    expect(ready.body).toMatchObject({
      status: 'ready',
      database: { status: 'ok', engine: 'postgres', vectorIndex: null, pool: { waiting: 0 } },
    });
    const metrics = await (await fetch(`${servers[2]!.url}/metrics`)).text();
    expect(metrics).toContain('nellie_vector_index_info{engine="postgres",mode="none"} 1');
    expect(metrics).toMatch(/nellie_store_pool_connections\{state="max"\} 10/);
  });

  it('indexes through one server; the others answer searches and file reads within a second', async () => {
    const started = await fetchJson(`${api[0]}/index/jobs`, jsonRequest('POST', { path: repo }));
    expect(started.status).toBe(202);
    const job = started.body as Job;
    const finished = await waitFor(
      async () => {
        const value = (await fetchJson(`${api[0]}/index/jobs/${job.id}`)).body as Job;
        return ['succeeded', 'failed', 'cancelled'].includes(value.state) ? value : undefined;
      },
      { what: 'the index job to finish' },
    );
    expect(finished.state).toBe('succeeded');
    for (const other of [api[1]!, api[2]!]) {
      const found = await waitFor(
        async () => {
          const answer = await fetchJson(
            `${other}/search/code`,
            jsonRequest('POST', { query: 'factorial' }),
          );
          const hits = (answer.body as CodeHits).hits;
          return hits.length > 0 ? hits : undefined;
        },
        { timeoutMs: 1000, intervalMs: 50, what: 'the other server to find the indexed code' },
      );
      expect(found[0]?.path).toBe('src/math.ts');
    }
    const repositories = await fetchJson(`${api[2]}/repositories`);
    const name = (repositories.body as { repositories: { name: string }[] }).repositories[0]!.name;
    const excerpt = await fetchJson(
      `${api[2]}/repositories/${encodeURIComponent(name)}/files?path=src/math.ts&start=1&end=2`,
    );
    expect(excerpt.status).toBe(200);
    expect(excerpt.body).toMatchObject({ path: 'src/math.ts', startLine: 1 });
  });

  it('writes a lesson through one server and finds it through the others within a second', async () => {
    const added = await fetchJson(
      `${api[1]}/lessons`,
      jsonRequest('POST', {
        title: 'Retry uploads with jitter',
        content: 'Uploads to the blob store fail under load; retry them with jittered backoff.',
      }),
    );
    expect(added.status).toBe(201);
    const id = (added.body as { id: string }).id;
    for (const other of [api[0]!, api[2]!]) {
      await waitFor(async () => (await fetchJson(`${other}/lessons/${id}`)).status === 200, {
        timeoutMs: 1000,
        intervalMs: 50,
        what: 'the lesson on another server',
      });
      const search = await fetchJson(
        `${other}/lessons/search`,
        jsonRequest('POST', { query: 'jittered backoff' }),
      );
      expect((search.body as { hits: { lesson: { id: string } }[] }).hits[0]?.lesson.id).toBe(id);
    }
  });

  it('anchors a lesson through one server; re-indexing through another shows its code changed on all', async () => {
    const repositories = await fetchJson(`${api[0]}/repositories`);
    const name = (repositories.body as { repositories: { name: string }[] }).repositories[0]!.name;
    const added = await fetchJson(
      `${api[1]}/lessons`,
      jsonRequest('POST', {
        title: 'factorial recursion depth',
        content: 'Keep it iterative past 10k.',
        autoAnchor: false,
        anchors: [{ repository: name, path: 'src/math.ts', symbol: 'factorial' }],
      }),
    );
    expect(added.status, JSON.stringify(added.body)).toBe(201);
    const lesson = added.body as { id: string; staleness: string | null };
    expect(lesson.staleness).toBe('current');

    const mathPath = path.join(repo, 'src', 'math.ts');
    writeFileSync(
      mathPath,
      readFileSync(mathPath, 'utf8').replace(
        '  return n <= 1 ? 1 : n * factorial(n - 1);',
        '  let result = 1;\n  for (let i = 2; i <= n; i += 1) result *= i;\n  return result;',
      ),
    );
    const started = await fetchJson(`${api[2]}/index/jobs`, jsonRequest('POST', { path: repo }));
    expect(started.status).toBe(202);
    const job = started.body as Job;
    await waitFor(
      async () =>
        ((await fetchJson(`${api[2]}/index/jobs/${job.id}`)).body as Job).state === 'succeeded',
      { what: 'the re-index job to finish' },
    );
    for (const server of api) {
      const read = await fetchJson(`${server}/lessons/${lesson.id}`);
      expect(read.body).toMatchObject({
        staleness: 'changed',
        anchors: [{ path: 'src/math.ts', symbol: 'factorial', state: 'changed' }],
      });
    }
    const stale = await fetchJson(`${api[0]}/lessons?staleness=changed`);
    expect((stale.body as { items: { id: string }[] }).items.map((item) => item.id)).toEqual([
      lesson.id,
    ]);
  });

  it('reports not ready while PostgreSQL is down and recovers by itself', async () => {
    await postgres!.stop();
    try {
      const down = await waitFor(
        async () => {
          const ready = await fetchJson(`${servers[0]!.url}/ready`);
          return ready.status === 503 ? ready : undefined;
        },
        { what: '/ready to answer 503' },
      );
      // Authentication asks the database whether keys exist before /ready runs, and fails
      // closed: the probe gets the store's error rather than an anonymous look at /ready.
      expect(down.body).toMatchObject({ error: { code: 'STORE_UNAVAILABLE' } });
      const refused = await fetchJson(
        `${api[1]}/lessons`,
        jsonRequest('POST', { title: 't', content: 'c' }),
      );
      expect(refused.status).toBeGreaterThanOrEqual(500);
    } finally {
      await postgres!.start();
    }
    for (const server of servers) {
      await waitFor(async () => (await fetchJson(`${server.url}/ready`)).status === 200, {
        what: '/ready to recover',
      });
    }
    const lessons = await fetchJson(`${api[2]}/lessons`);
    expect((lessons.body as { total: number }).total).toBe(2);
  });

  it('nellie status reads the database; backup refuses with what to use instead', async () => {
    const status = await runCli(['status', '--json', '--data-dir', makeTempDir()], {
      env: databaseEnv(),
    });
    expect(status.code).toBe(0);
    expect(JSON.parse(status.stdout)).toMatchObject({
      engine: 'postgres',
      repositories: 1,
      lessons: 2,
      vectorIndex: null,
    });
    const backup = await runCli(['backup', `${makeTempDir()}/copy.db`], { env: databaseEnv() });
    expect(backup.code).toBe(2);
    expect(backup.stderr).toMatch(/PostgreSQL[\s\S]*pg_dump/);
  });
});

describe('watching one repository from two servers on one database', () => {
  it('one server watches it; when that one is killed, the other takes the lease over and indexes changes', async () => {
    const repo = createSampleRepo();
    const env = databaseEnv({ NELLIE_DATABASE_SCHEMA: 'watch_leases' });
    const args = ['--watch', repo, '--watch-lease-seconds', '2'];
    const pair = [
      await startServer({ dataDir: makeTempDir('nellie-pg-data-'), env, args }),
      await startServer({ dataDir: makeTempDir('nellie-pg-data-'), env, args }),
    ];
    const watching = (server: RunningServer) =>
      server.logs().some((line) => line.msg.startsWith('Watching repository'));
    await waitFor(() => Promise.resolve(pair.some(watching)), { what: 'one server to watch' });
    // Renewals keep the lease with its holder: the other server does not start watching.
    await new Promise((resolve) => setTimeout(resolve, 3000));
    expect(pair.filter(watching)).toHaveLength(1);
    const holder = pair.find(watching)!;
    const survivor = pair.find((server) => server !== holder)!;

    await holder.stop('SIGKILL');
    await survivor.waitForLog((line) => line.msg.startsWith('Watching repository'), 15_000);
    writeFileSync(
      path.join(repo, 'src', 'lease.ts'),
      'export function takenOverByAnotherServer(): string {\n  return "lease";\n}\n',
    );
    const hits = await waitFor(
      async () => {
        const answer = await fetchJson(
          `${survivor.url}/api/v1/search/code`,
          jsonRequest('POST', { query: 'takenOverByAnotherServer' }),
        );
        const found = (answer.body as CodeHits).hits;
        return found.length > 0 ? found : undefined;
      },
      { what: 'the surviving server to index the change' },
    );
    expect(hits[0]?.path).toBe('src/lease.ts');
    expect(await survivor.stop()).toBe(0);
  }, 90_000);
});
