import { existsSync, readdirSync } from 'node:fs';
import path from 'node:path';
import type { Checkpoint, Lesson } from '@nellie/core';
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
  requireStandInModel,
  runCli,
  startServer,
  waitFor,
  type RunningServer,
} from './helpers.ts';

// `nellie migrate` end to end: a data directory indexed with the (stand-in) model, with lessons
// anchored to code, checkpoints, API keys and an audit log, copied into a real PostgreSQL server
// and back into a new data directory; servers on each answer alike.

const modelDir = requireStandInModel();
const modelArgs = ['--model-dir', modelDir, '--embedding-threads', '1'];
let postgres: PostgresServer | undefined;

beforeAll(async () => {
  postgres = await startPostgresServer();
}, 120_000);

afterAll(async () => {
  await killAllServers();
  await postgres?.destroy();
  removeTempDirs();
});

const queries = [
  'add two numbers',
  'factorial',
  'UserService find user by id',
  'greeting in python',
  'how to install',
];

interface View {
  search: Record<string, string[]>;
  lessons: Pick<
    Lesson,
    'id' | 'title' | 'content' | 'tags' | 'severity' | 'anchors' | 'staleness' | 'createdAt'
  >[];
  lessonSearch: string[];
  checkpoints: Pick<Checkpoint, 'id' | 'agent' | 'workingOn' | 'status' | 'createdAt'>[];
  agents: unknown;
}

/** What a client sees of the store through a server, in a form that compares across engines. */
async function view(server: RunningServer, secret?: string): Promise<View> {
  const headers: Record<string, string> = secret ? { authorization: `Bearer ${secret}` } : {};
  // The model loads in the background; until then searches are keyword-only.
  await waitFor(
    async () => {
      const { body } = await fetchJson(`${server.url}/ready`, { headers });
      return (body as { model?: { state?: string } }).model?.state === 'ready';
    },
    { what: 'the model to load', timeoutMs: 120_000 },
  );
  const api = `${server.url}/api/v1`;
  const search: Record<string, string[]> = {};
  for (const query of queries) {
    const { status, body } = await fetchJson(
      `${api}/search/code`,
      jsonRequest('POST', { query, limit: 10 }, headers),
    );
    expect(status, JSON.stringify(body)).toBe(200);
    search[query] = (
      body as { hits: { repository: string; path: string; startLine: number }[] }
    ).hits.map((hit) => `${hit.repository}/${hit.path}:${hit.startLine}`);
  }
  const lessons = (
    (await fetchJson(`${api}/lessons?limit=50`, { headers })).body as { items: Lesson[] }
  ).items.map(({ id, title, content, tags, severity, anchors, staleness, createdAt }) => ({
    id,
    title,
    content,
    tags,
    severity,
    anchors,
    staleness,
    createdAt,
  }));
  const lessonHits = (
    await fetchJson(`${api}/lessons/search`, jsonRequest('POST', { query: 'retry' }, headers))
  ).body as { hits: { lesson: Lesson }[] };
  const checkpoints = (
    (await fetchJson(`${api}/checkpoints/recent?agent=claude-code&limit=20`, { headers }))
      .body as Checkpoint[]
  ).map(({ id, agent, workingOn, status, createdAt }) => ({
    id,
    agent,
    workingOn,
    status,
    createdAt,
  }));
  const agents = (await fetchJson(`${api}/agents`, { headers })).body;
  return {
    search,
    lessons,
    lessonSearch: lessonHits.hits.map((hit) => hit.lesson.id),
    checkpoints,
    agents,
  };
}

async function waitForVectors(server: RunningServer, secret: string): Promise<void> {
  await waitFor(
    async () => {
      const { body } = await fetchJson(`${server.url}/metrics`, {
        headers: { authorization: `Bearer ${secret}` },
      });
      const backlog = /^nellie_embedding_backlog (\d+)/m.exec(String(body));
      return backlog?.[1] === '0';
    },
    { what: 'every vector to be written', timeoutMs: 120_000 },
  );
}

interface StoreStatus {
  chunks: number;
  chunksWithVectors: number;
  chunksPendingEmbedding: number;
  lessons: number;
}

/** `nellie status` of the PostgreSQL database. */
async function postgresStatus(): Promise<StoreStatus> {
  const result = await runCli(['status', '--json', ...modelArgs], {
    env: cleanEnv({ NELLIE_DATABASE_URL: postgres!.connectionString }),
  });
  expect(result.code, result.stderr).toBe(0);
  return JSON.parse(result.stdout) as StoreStatus;
}

describe('nellie migrate', () => {
  const sqliteDir = makeTempDir('nellie-migrate-sqlite-');
  const repos = [createSampleRepo(), createSampleRepo()];
  let secret = '';
  let original: View;

  beforeAll(async () => {
    for (const repo of repos) {
      const indexed = await runCli(['index', repo, '--data-dir', sqliteDir, ...modelArgs]);
      expect(indexed.code, indexed.stderr).toBe(0);
    }
    const server = await startServer({ dataDir: sqliteDir, args: modelArgs });
    const api = `${server.url}/api/v1`;
    const repository = path.basename(repos[0]!);
    const lesson = await fetchJson(
      `${api}/lessons`,
      jsonRequest('POST', {
        title: 'Retry factorial overflow',
        content: 'factorial overflows past 170; retry with BigInt.',
        tags: ['math', 'retry'],
        severity: 'warning',
        repository,
        anchors: [{ repository, path: 'src/math.ts', symbol: 'factorial' }],
      }),
    );
    expect(lesson.status, JSON.stringify(lesson.body)).toBe(201);
    expect((lesson.body as Lesson).anchors.length).toBeGreaterThan(0);
    for (const title of ['Never retry 4xx', 'Users are cached for a minute']) {
      const plain = await fetchJson(
        `${api}/lessons`,
        jsonRequest('POST', { title, content: `${title}: retry policy`, autoAnchor: false }),
      );
      expect(plain.status).toBe(201);
    }
    for (const [workingOn, status] of [
      ['Speed up factorial', 'in_progress'],
      ['Cache users', 'done'],
    ] as const) {
      const saved = await fetchJson(
        `${api}/checkpoints`,
        jsonRequest('POST', { agent: 'claude-code', workingOn, state: { next: 'tests' }, status }),
      );
      expect(saved.status).toBe(201);
    }
    const key = await runCli([
      'keys',
      'create',
      'ops',
      '--scope',
      'admin',
      '--data-dir',
      sqliteDir,
      '--json',
    ]);
    expect(key.code, key.stderr).toBe(0);
    secret = (JSON.parse(key.stdout) as { secret: string }).secret;
    await waitForVectors(server, secret);
    original = await view(server, secret);
    expect(await server.stop()).toBe(0);
    expect(original.search['factorial']!.length).toBeGreaterThan(0);
    expect(original.lessons).toHaveLength(3);
    expect(original.checkpoints).toHaveLength(2);
  }, 300_000);

  it('refuses bad inputs with a clear error and changes nothing', async () => {
    const url = postgres!.connectionString;
    const missing = path.join(makeTempDir(), 'nowhere');
    const cases: { args: string[]; code: number; message: RegExp }[] = [
      { args: ['--data-dir', sqliteDir], code: 2, message: /Say where to copy to/ },
      { args: ['--to', url, '--data-dir', missing], code: 2, message: /No Nellie database in/ },
      {
        args: ['--to', 'postgres://nellie@127.0.0.1:1/nellie', '--data-dir', sqliteDir],
        code: 1,
        message: /127\.0\.0\.1:1/,
      },
      {
        args: ['--to', makeTempDir(), '--data-dir', sqliteDir],
        code: 2,
        message: /is not a PostgreSQL URL/,
      },
      { args: ['--from', url, '--to', url], code: 2, message: /both PostgreSQL URLs/ },
      { args: ['--to', url, '--batch-size', '0'], code: 2, message: /positive integer/ },
      { args: ['--to', url, '--bogus'], code: 2, message: /unknown option '--bogus'/ },
    ];
    for (const { args, code, message } of cases) {
      const result = await runCli(['migrate', ...args], { env: cleanEnv() });
      expect(result.code, `${args.join(' ')}: ${result.stderr}`).toBe(code);
      expect(result.stderr).toMatch(message);
      expect(result.stdout).toBe('');
    }
    expect(existsSync(missing)).toBe(false);
    expect(await postgresStatus()).toMatchObject({ chunks: 0, lessons: 0 });
  });

  let postgresView: View;

  it('copies the data directory into PostgreSQL, counting every table on both sides', async () => {
    const result = await runCli(
      ['migrate', '--to', postgres!.connectionString, '--data-dir', sqliteDir, '--batch-size', '7'],
      { env: cleanEnv() },
    );
    expect(result.code, result.stderr).toBe(0);
    expect(result.stdout).toMatch(/^table\s+sqlite\s+postgres$/m);
    // Lessons keep their anchors to code: PostgreSQL follows them as the data directory did.
    expect(result.stdout).toMatch(/^anchors\s+1\s+1$/m);
    expect(result.stdout).toMatch(/^lessons\s+3\s+3$/m);
    expect(result.stdout).toMatch(/^api_keys\s+1\s+1$/m);
    expect(result.stdout).not.toContain('MISMATCH');
    const chunks = /^chunks\s+(\d+)\s+(\d+)$/m.exec(result.stdout);
    expect(Number(chunks?.[1])).toBeGreaterThan(7);
    expect(chunks?.[2]).toBe(chunks?.[1]);

    // No vector is embedded again: every chunk arrived with its vector.
    expect(result.stdout).toMatch(/^embeddings\s+(\d+)\s+\1$/m);
    expect(await postgresStatus()).toMatchObject({
      chunks: Number(chunks?.[1]),
      chunksWithVectors: Number(chunks?.[1]),
      chunksPendingEmbedding: 0,
      lessons: 3,
    });

    const server = await startServer({
      dataDir: makeTempDir('nellie-migrate-pg-data-'),
      args: modelArgs,
      env: cleanEnv({ NELLIE_DATABASE_URL: postgres!.connectionString }),
    });
    postgresView = await view(server, secret);
    expect(await server.stop()).toBe(0);
    // Lessons, checkpoints and agents are the same; so are the search hits, though the engines
    // may order hits of equal standing differently (their keyword preselection differs)...
    const { search, ...memories } = postgresView;
    const { search: originalSearch, ...originalMemories } = original;
    expect(memories).toEqual(originalMemories);
    for (const query of queries) {
      expect(new Set(search[query]), query).toEqual(new Set(originalSearch[query]));
    }
    // ...so the order is checked against the same repositories indexed straight into PostgreSQL.
    const nativeEnv = cleanEnv({
      NELLIE_DATABASE_URL: postgres!.connectionString,
      NELLIE_DATABASE_SCHEMA: 'native',
    });
    for (const repo of repos) {
      const indexed = await runCli(['index', repo, ...modelArgs], { env: nativeEnv });
      expect(indexed.code, indexed.stderr).toBe(0);
    }
    const native = await startServer({
      dataDir: makeTempDir('nellie-migrate-native-data-'),
      args: modelArgs,
      env: nativeEnv,
    });
    const nativeView = await view(native);
    expect(await native.stop()).toBe(0);
    expect(search).toEqual(nativeView.search);
  });

  it('refuses to copy into PostgreSQL again unless told to replace what is there', async () => {
    const args = ['migrate', '--to', postgres!.connectionString, '--data-dir', sqliteDir];
    const refused = await runCli(args, { env: cleanEnv() });
    expect(refused.code, refused.stderr).toBe(1);
    expect(refused.stderr).toMatch(
      /already holds Nellie data; nothing was copied.*--replace-target/,
    );
    const replaced = await runCli([...args, '--replace-target', '--json'], {
      env: cleanEnv(),
    });
    expect(replaced.code, replaced.stderr).toBe(0);
    const report = JSON.parse(replaced.stdout) as {
      verified: boolean;
      tables: { table: string; source: number; target: number | null }[];
    };
    expect(report.verified).toBe(true);
    expect(report.tables.find((entry) => entry.table === 'lessons')).toMatchObject({
      source: 3,
      target: 3,
    });
  });

  it('copies PostgreSQL back into a new data directory that serves the same answers', async () => {
    const backDir = path.join(makeTempDir(), 'back');
    const result = await runCli(
      ['migrate', '--from', postgres!.connectionString, '--to', backDir],
      { env: cleanEnv() },
    );
    expect(result.code, result.stderr).toBe(0);
    expect(result.stdout).toMatch(/^table\s+postgres\s+sqlite$/m);
    expect(readdirSync(backDir)).toContain('nellie.db');

    const server = await startServer({ dataDir: backDir, args: modelArgs });
    const back = await view(server, secret);
    expect(await server.stop()).toBe(0);
    expect(back).toEqual(original);

    const again = await runCli(['migrate', '--from', postgres!.connectionString, '--to', backDir], {
      env: cleanEnv(),
    });
    expect(again.code).toBe(1);
    expect(again.stderr).toMatch(/already holds Nellie data/);
  });
});
