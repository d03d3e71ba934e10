import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  cleanEnv,
  createSampleRepo,
  fetchJson,
  jsonRequest,
  killAllServers,
  removeTempDirs,
  startServer,
  waitFor,
  type RunningServer,
} from './helpers.ts';

afterAll(async () => {
  await killAllServers();
  removeTempDirs();
});

interface ErrorBody {
  error: { code: string; message: string };
}

interface Job {
  id: string;
  state: string;
  rootPath: string;
  progress: { filesIndexed: number; chunksWritten: number };
}

function metricValue(text: string, name: string, labels?: string): number {
  const lines = text
    .split('\n')
    .filter((line) => line.startsWith(name) && !line.startsWith('#'))
    .filter((line) => (labels ? line.includes(labels) : true));
  return lines.reduce((sum, line) => sum + Number(line.split(' ').at(-1)), 0);
}

describe('nellie serve without a model and without auth', () => {
  let server: RunningServer;
  let api: string;
  let repo: string;

  beforeAll(async () => {
    server = await startServer({ args: ['--max-body-bytes', '4096'] });
    api = `${server.url}/api/v1`;
    repo = createSampleRepo();
  });

  afterAll(async () => {
    // Undefined only when beforeAll failed, which is reported already.
    if (server) expect(await server.stop()).toBe(0);
  });

  it('listens on loopback, logs JSON to stderr and says semantic search is off', () => {
    expect(server.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    const logs = server.logs();
    expect(
      logs.every((line) => typeof line.level === 'string' && typeof line.time === 'string'),
    ).toBe(true);
    const off = logs.find((line) => line.msg.startsWith('Semantic search is off'));
    expect(off?.level).toBe('warn');
    expect(off?.msg).toContain('nellie model pull');
  });

  it('answers /health and /ready, and /ready explains keyword-only mode', async () => {
    const health = await fetchJson(`${server.url}/health`);
    expect(health.status).toBe(200);
    expect(health.body).toEqual({
      status: 'healthy',
      version: expect.any(String) as string,
      database: 'ok',
    });
    const ready = await fetchJson(`${server.url}/ready`);
    expect(ready.status).toBe(200);
    const body = ready.body as {
      status: string;
      model: { state: string; message: string };
      semanticSearch: unknown;
    };
    expect(body.status).toBe('ready');
    expect(body.model.state).toBe('disabled');
    expect(body.model.message).toContain('Semantic search is off');
    expect(body.model.message).toContain('--model-dir');
    expect(JSON.stringify(body.semanticSearch)).toMatch(/off|false/);
  });

  it('round-trips every REST route', async () => {
    // Index jobs.
    const started = await fetchJson(`${api}/index/jobs`, jsonRequest('POST', { path: repo }));
    expect(started.status).toBe(202);
    const job = started.body as Job;
    expect(job.rootPath).toBe(repo);
    const finished = await waitFor(
      async () => {
        const current = await fetchJson(`${api}/index/jobs/${job.id}`);
        const value = current.body as Job;
        return ['succeeded', 'failed', 'cancelled'].includes(value.state) ? value : undefined;
      },
      { what: 'the index job' },
    );
    expect(finished.state).toBe('succeeded');
    expect(finished.progress.filesIndexed).toBeGreaterThanOrEqual(4);
    const jobs = await fetchJson(`${api}/index/jobs`);
    expect((jobs.body as Job[]).map((entry) => entry.id)).toContain(job.id);
    const cancelled = await fetchJson(`${api}/index/jobs/${job.id}`, { method: 'DELETE' });
    expect(cancelled.status).toBe(200);
    expect((cancelled.body as Job).state).toBe('succeeded');

    // Code search.
    const search = await fetchJson(
      `${api}/search/code`,
      jsonRequest('POST', { query: 'factorial', limit: 5, language: 'typescript' }),
    );
    expect(search.status).toBe(200);
    const hits = (search.body as { hits: { path: string }[] }).hits;
    expect(hits[0]?.path).toBe('src/math.ts');

    // Lessons.
    const created = await fetchJson(
      `${api}/lessons`,
      jsonRequest('POST', {
        title: 'Run migrations before seeding',
        content: 'Seeding fails on a fresh database unless migrations ran first.',
        tags: ['db', 'tests'],
        severity: 'warning',
      }),
    );
    expect(created.status).toBe(201);
    const lesson = created.body as { id: string; title: string };
    expect((await fetchJson(`${api}/lessons/${lesson.id}`)).body).toMatchObject({
      title: 'Run migrations before seeding',
    });
    const patched = await fetchJson(
      `${api}/lessons/${lesson.id}`,
      jsonRequest('PATCH', { severity: 'critical' }),
    );
    expect(patched.status).toBe(200);
    expect(patched.body).toMatchObject({ severity: 'critical' });
    const listed = await fetchJson(`${api}/lessons?tags=db`);
    expect((listed.body as { total: number }).total).toBe(1);
    const foundLessons = await fetchJson(
      `${api}/lessons/search`,
      jsonRequest('POST', { query: 'migrations seeding' }),
    );
    expect((foundLessons.body as { hits: { lesson: { id: string } }[] }).hits[0]?.lesson.id).toBe(
      lesson.id,
    );

    // Checkpoints and agents.
    const checkpoint = await fetchJson(
      `${api}/checkpoints`,
      jsonRequest('POST', {
        agent: 'builder',
        workingOn: 'Refactoring the user service',
        state: { step: 2 },
      }),
    );
    expect(checkpoint.status).toBe(201);
    const checkpointId = (checkpoint.body as { id: string }).id;
    expect((await fetchJson(`${api}/checkpoints/${checkpointId}`)).body).toMatchObject({
      agent: 'builder',
      state: { step: 2 },
    });
    const recent = await fetchJson(`${api}/checkpoints/recent?agent=builder`);
    expect((recent.body as { id: string }[]).map((entry) => entry.id)).toEqual([checkpointId]);
    const foundCheckpoints = await fetchJson(
      `${api}/checkpoints/search`,
      jsonRequest('POST', { query: 'user service' }),
    );
    expect(
      (foundCheckpoints.body as { hits: { checkpoint: { id: string } }[] }).hits[0]?.checkpoint.id,
    ).toBe(checkpointId);
    expect((await fetchJson(`${api}/agents/builder/status`)).body).toMatchObject({
      agent: 'builder',
      status: 'in_progress',
    });
    const agents = await fetchJson(`${api}/agents`);
    expect(JSON.stringify(agents.body)).toContain('builder');

    // Status, audit, OpenAPI.
    const status = await fetchJson(`${api}/status`);
    expect(status.status).toBe(200);
    expect(status.body).toMatchObject({
      semanticSearch: 'off',
      store: { repositories: 1, lessons: 1, checkpoints: 1 },
    });
    const audit = await fetchJson(`${api}/audit?limit=50`);
    expect(audit.status).toBe(200);
    const actions = JSON.stringify(audit.body);
    for (const action of ['index.start', 'lesson.create', 'lesson.update', 'checkpoint.create']) {
      expect(actions).toContain(action);
    }
    expect(actions).toContain('anonymous');
    const openapi = await fetchJson(`${api}/openapi.json`);
    expect(openapi.status).toBe(200);
    expect(Object.keys((openapi.body as { paths: object }).paths)).toContain('/api/v1/search/code');

    // Delete last.
    expect((await fetchJson(`${api}/lessons/${lesson.id}`, { method: 'DELETE' })).status).toBe(204);
    expect((await fetchJson(`${api}/lessons/${lesson.id}`)).status).toBe(404);
  });

  it('answers bad requests with one JSON error shape', async () => {
    const malformed = await fetchJson(`${api}/lessons`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: '{"title": "unterminated',
    });
    expect(malformed.status).toBe(400);
    expect((malformed.body as ErrorBody).error.code).toEqual(expect.any(String));
    expect((malformed.body as ErrorBody).error.message).toMatch(/JSON/i);

    const wrongType = await fetchJson(`${api}/search/code`, jsonRequest('POST', { query: 42 }));
    expect(wrongType.status).toBe(400);
    expect((wrongType.body as ErrorBody).error.message).toContain('query');

    const oversized = await fetchJson(
      `${api}/lessons`,
      jsonRequest('POST', { title: 'big', content: 'x'.repeat(10_000) }),
    );
    expect(oversized.status).toBe(413);
    expect((oversized.body as ErrorBody).error.code).toBe('PAYLOAD_TOO_LARGE');

    const missing = await fetchJson(`${api}/lessons/does-not-exist`);
    expect(missing.status).toBe(404);
    expect((missing.body as ErrorBody).error.code).toBe('NOT_FOUND');

    const unknownRoute = await fetchJson(`${server.url}/no/such/route`);
    expect(unknownRoute.status).toBe(404);
    expect((unknownRoute.body as ErrorBody).error).toEqual({
      code: expect.any(String) as string,
      message: expect.any(String) as string,
    });

    const relative = await fetchJson(
      `${api}/index/jobs`,
      jsonRequest('POST', { path: 'relative' }),
    );
    expect(relative.status).toBe(400);
    for (const response of [malformed, wrongType, oversized, missing, relative]) {
      expect(JSON.stringify(response.body)).not.toMatch(/\n\s+at /);
    }
  });

  it('updates metrics after indexing and requests', async () => {
    // Store gauges come from statistics cached for about a second.
    const before = await waitFor(
      async () => {
        const text = (await fetchJson(`${server.url}/metrics`)).body as string;
        return metricValue(text, 'nellie_chunks_total') > 0 ? text : undefined;
      },
      { what: 'the chunk gauge to show the indexed repository' },
    );
    expect(metricValue(before, 'nellie_files_total')).toBeGreaterThanOrEqual(4);
    const requestsBefore = metricValue(
      before,
      'nellie_requests_total',
      'route="/api/v1/search/code"',
    );
    const lessonsBefore = metricValue(before, 'nellie_lessons_total');
    for (let index = 0; index < 3; index += 1) {
      await fetchJson(`${api}/search/code`, jsonRequest('POST', { query: 'addNumbers' }));
    }
    await fetchJson(
      `${api}/lessons`,
      jsonRequest('POST', { title: 'Metrics', content: 'count me' }),
    );
    const after = await waitFor(
      async () => {
        const text = (await fetchJson(`${server.url}/metrics`)).body as string;
        return metricValue(text, 'nellie_lessons_total') > lessonsBefore ? text : undefined;
      },
      { what: 'the lesson gauge to change' },
    );
    expect(metricValue(after, 'nellie_requests_total', 'route="/api/v1/search/code"')).toBe(
      requestsBefore + 3,
    );
    expect(after).toContain('nellie_request_duration_seconds_bucket');
    expect(after).toContain('nellie_index_jobs_running');
    expect(after).toContain('process_resident_memory_bytes');
  });
});

describe('nellie serve with API keys', () => {
  const opsSecret = 'ops-secret-0123456789abcdef';
  const ciSecret = 'ci-secret-0123456789abcdef';
  let server: RunningServer;

  beforeAll(async () => {
    server = await startServer({
      args: ['--api-key', `ops:${opsSecret}`],
      env: cleanEnv({ NELLIE_API_KEY: ciSecret }),
    });
  });

  afterAll(async () => {
    // Undefined only when beforeAll failed, which is reported already.
    if (server) expect(await server.stop()).toBe(0);
  });

  it('requires a key on every route but /health and never logs a secret', async () => {
    // Flags replace the environment's keys, so only the ops key works.
    expect((await fetchJson(`${server.url}/health`)).status).toBe(200);
    for (const route of ['/ready', '/metrics', '/api/v1/status', '/api/v1/lessons']) {
      const denied = await fetchJson(`${server.url}${route}`);
      expect(denied.status, route).toBe(401);
      expect((denied.body as ErrorBody).error.code).toBe('UNAUTHORIZED');
    }
    const wrong = await fetchJson(`${server.url}/api/v1/status`, {
      headers: { authorization: `Bearer ${ciSecret}` },
    });
    expect(wrong.status).toBe(401);
    const bearer = await fetchJson(`${server.url}/api/v1/status`, {
      headers: { authorization: `Bearer ${opsSecret}` },
    });
    expect(bearer.status).toBe(200);
    const header = await fetchJson(`${server.url}/ready`, { headers: { 'x-api-key': opsSecret } });
    expect(header.status).toBe(200);

    const created = await fetchJson(
      `${server.url}/api/v1/lessons`,
      jsonRequest(
        'POST',
        { title: 'Audited', content: 'by key id' },
        { authorization: `Bearer ${opsSecret}` },
      ),
    );
    expect(created.status).toBe(201);
    const audit = await fetchJson(`${server.url}/api/v1/audit?actor=ops`, {
      headers: { authorization: `Bearer ${opsSecret}` },
    });
    expect(JSON.stringify(audit.body)).toContain('lesson.create');

    const listening = server.logs().find((line) => line.msg === 'Nellie is listening');
    expect(listening?.auth).toBe('1 configured API key(s)');
    expect(server.stderr()).not.toContain(opsSecret);
    expect(server.stderr()).not.toContain(ciSecret);
  });
});

describe('nellie serve with a rate limit', () => {
  it('answers 429 with Retry-After once a client exceeds its burst, but never limits /health', async () => {
    const server = await startServer({ args: ['--rate-limit', '60', '--rate-limit-burst', '3'] });
    try {
      const statuses: number[] = [];
      let retryAfter: string | null = null;
      let limitedBody: unknown;
      for (let index = 0; index < 6; index += 1) {
        const response = await fetchJson(`${server.url}/api/v1/status`);
        statuses.push(response.status);
        if (response.status === 429) {
          retryAfter = response.headers.get('retry-after');
          limitedBody = response.body;
        }
      }
      expect(statuses.slice(0, 3)).toEqual([200, 200, 200]);
      expect(statuses).toContain(429);
      expect(Number(retryAfter)).toBeGreaterThan(0);
      expect((limitedBody as ErrorBody).error.code).toBe('RATE_LIMITED');
      expect((await fetchJson(`${server.url}/health`)).status).toBe(200);
    } finally {
      expect(await server.stop()).toBe(0);
    }
  });
});
