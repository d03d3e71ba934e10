import { NellieError } from '@nellie/core';
import { createFakeIndexer, createMemoryStore } from '@nellie/test-utils';
import { Registry } from 'prom-client';
import { afterEach, describe, expect, it } from 'vitest';
import {
  createRecordingLogger,
  createTestApp,
  disabledModel,
  type TestApp,
} from '../test/support/harness.ts';
import { createTestMcpServer } from '../test/support/mcp-server.ts';
import { createHttpApp, type HttpAppOptions } from './index.ts';

const apps: TestApp[] = [];
function setup(...args: Parameters<typeof createTestApp>): TestApp {
  const app = createTestApp(...args);
  apps.push(app);
  return app;
}
afterEach(async () => {
  await Promise.all(apps.splice(0).map((app) => app.close()));
});

type ErrorBody = { error: { code: string; message: string } };

describe('probes', () => {
  it('/health reports healthy with the version', async () => {
    const t = setup();
    const response = await t.call('GET', '/health');
    expect(response.status).toBe(200);
    expect(await response.json()).toEqual({ status: 'healthy', version: '1.2.3', database: 'ok' });
  });

  it('/health answers 503 when the store fails, without leaking the cause', async () => {
    const store = createMemoryStore();
    const logger = createRecordingLogger();
    const t = setup({ store, logger });
    store.failWith(new Error('disk I/O error'));
    const response = await t.call('GET', '/health');
    expect(response.status).toBe(503);
    const body = (await response.json()) as Record<string, unknown>;
    expect(body).toMatchObject({ status: 'unhealthy', version: '1.2.3', database: 'error' });
    expect(JSON.stringify(body)).not.toContain('disk I/O');
    expect(logger.lines.some((line) => line.level === 'error')).toBe(true);
  });

  it('/ready is 200 with semantic search off, and says how to enable it', async () => {
    const t = setup();
    const response = await t.call('GET', '/ready');
    expect(response.status).toBe(200);
    expect(await response.json()).toEqual({
      status: 'ready',
      version: '1.2.3',
      database: { status: 'ok', schemaVersion: 1 },
      model: disabledModel,
      semanticSearch: 'off',
      message: expect.stringContaining(disabledModel.message ?? '') as string,
      missingRepositoryCount: 0,
      missingRepositories: [],
    });
  });

  it('/ready reports semantic search on when the model is ready', async () => {
    const t = setup({
      store: createMemoryStore({ embedding: { modelId: 'm', dimensions: 4 } }),
      embedder: {
        modelId: 'm',
        dimensions: 4,
        embed: () => Promise.resolve([]),
        close: () => Promise.resolve(),
      },
      modelStatus: () => ({ state: 'ready', modelId: 'm', dimensions: 4 }),
    });
    const body = (await (await t.call('GET', '/ready')).json()) as Record<string, unknown>;
    expect(body).toMatchObject({ status: 'ready', semanticSearch: 'on' });
    expect(body.message).toBeUndefined();
  });

  it('/ready and /metrics say which engine, vector index and pool the store has', async () => {
    const t = setup({
      describeStore: () =>
        Promise.resolve({
          engine: 'postgres',
          vectorIndex: { mode: 'memory', indexed: 12, backlog: 3 },
          pool: { total: 4, idle: 3, waiting: 0, max: 10 },
        }),
    });
    expect(await (await t.call('GET', '/ready')).json()).toMatchObject({
      database: {
        status: 'ok',
        engine: 'postgres',
        vectorIndex: { mode: 'memory', indexed: 12, backlog: 3 },
        pool: { total: 4, idle: 3, waiting: 0, max: 10 },
      },
    });
    const metrics = await (await t.call('GET', '/metrics')).text();
    expect(metrics).toContain('nellie_vector_index_info{engine="postgres",mode="memory"} 1');
    expect(metrics).toContain('nellie_vector_index_backlog 3');
    expect(metrics).toContain('nellie_store_pool_connections{state="idle"} 3');
    expect(metrics).toContain('nellie_store_pool_connections{state="waiting"} 0');
  });

  it('/ready is 503 when the store is not usable, and after close()', async () => {
    const store = createMemoryStore();
    await store.close();
    const broken = setup({ store });
    const response = await broken.call('GET', '/ready');
    expect(response.status).toBe(503);
    expect(await response.json()).toMatchObject({
      status: 'not_ready',
      database: { status: 'error' },
      error: { code: 'STORE_CLOSED' },
    });

    const t = setup();
    expect((await t.call('GET', '/ready')).status).toBe(200);
    await t.close();
    const closed = await t.call('GET', '/ready');
    expect(closed.status).toBe(503);
    expect(await closed.json()).toMatchObject({ message: 'The server is shutting down.' });
  });
});

describe('errors', () => {
  it('answers unknown routes with 404 in the one error shape', async () => {
    const t = setup();
    const response = await t.call('GET', '/api/v1/nothing-here');
    expect(response.status).toBe(404);
    expect(response.headers.get('content-type')).toContain('application/json');
    expect(await response.json()).toEqual({
      error: { code: 'NOT_FOUND', message: 'No route for GET /api/v1/nothing-here.' },
    });
  });

  it('answers malformed and empty JSON bodies with 400', async () => {
    const t = setup();
    const malformed = await t.call('POST', '/api/v1/lessons', {
      body: '{"title": "a",',
      headers: { 'content-type': 'application/json' },
    });
    expect(malformed.status).toBe(400);
    const { error } = (await malformed.json()) as ErrorBody;
    expect(error.code).toBe('INVALID_INPUT');
    expect(error.message).toMatch(/^The request body is not valid JSON/);
    const empty = await t.call('POST', '/api/v1/lessons', { body: '' });
    expect(empty.status).toBe(400);
    expect(((await empty.json()) as ErrorBody).error.message).toBe(
      'The request body is empty; send a JSON object.',
    );
  });

  it('names the query parameter of the wrong type', async () => {
    const t = setup();
    const response = await t.call('GET', '/api/v1/lessons?limit=many&severity=urgent');
    expect(response.status).toBe(400);
    const { error } = (await response.json()) as ErrorBody;
    expect(error.message).toMatch(/^Invalid query: /);
    expect(error.message).toContain('limit:');
    expect(error.message).toContain('severity:');
  });

  it('answers oversized bodies with 413', async () => {
    const t = setup({ maxBodyBytes: 1024 });
    const response = await t.call('POST', '/api/v1/lessons', {
      json: { title: 'big', content: 'x'.repeat(2000) },
    });
    expect(response.status).toBe(413);
    expect(await response.json()).toEqual({
      error: {
        code: 'PAYLOAD_TOO_LARGE',
        message: 'The request body is larger than the limit of 1024 bytes.',
      },
    });
    expect((await t.store.listLessons()).total).toBe(0);
  });

  it('maps NellieError codes to status codes', async () => {
    const store = createMemoryStore();
    const t = setup({ store });
    const cases: [NellieError, number, string | null][] = [
      [new NellieError('CONFLICT', 'A job is running.'), 409, null],
      [new NellieError('DIMENSION_MISMATCH', 'The database holds model X.'), 409, null],
      [new NellieError('QUEUE_FULL', 'The queue is full.'), 503, '5'],
      [new NellieError('INVALID_INPUT', 'Bad tag.'), 400, null],
      [new NellieError('NOT_FOUND', 'Gone.'), 404, null],
    ];
    for (const [error, status, retryAfter] of cases) {
      store.addLesson = () => Promise.reject(error);
      const response = await t.call('POST', '/api/v1/lessons', {
        json: { title: 'a', content: 'b' },
      });
      expect(response.status).toBe(status);
      expect(response.headers.get('retry-after')).toBe(retryAfter);
      expect(await response.json()).toEqual({
        error: { code: error.code, message: error.message },
      });
    }
  });

  it('hides unexpected failures behind a generic 500 and logs the details', async () => {
    const store = createMemoryStore();
    const logger = createRecordingLogger();
    const t = setup({ store, logger });
    store.failWith(new Error('disk I/O error'));
    const response = await t.call('GET', '/api/v1/lessons', {
      headers: { 'x-request-id': 'req-500' },
    });
    expect(response.status).toBe(500);
    expect(response.headers.get('x-request-id')).toBe('req-500');
    const text = await response.text();
    expect(text).not.toContain('disk I/O');
    expect(text).not.toContain('    at ');
    expect(JSON.parse(text)).toEqual({
      error: {
        code: 'INTERNAL',
        message: 'An internal error occurred; the server log has the details (request id req-500).',
      },
    });
    const logged = logger.lines.find((line) => line.message === 'request failed');
    expect(logged?.level).toBe('error');
    expect(logged?.fields).toMatchObject({ requestId: 'req-500', status: 500 });
    expect(String(logged?.fields.err)).toContain('disk I/O error');
  });

  it('abandons a request that exceeds the timeout with 503 and aborts its work', async () => {
    const store = createMemoryStore();
    let aborted = false;
    store.searchCode = (request) =>
      new Promise((_resolve, reject) => {
        request.signal?.addEventListener('abort', () => {
          aborted = true;
          reject(new NellieError('ABORTED', 'cancelled'));
        });
      });
    const t = setup({ store, requestTimeoutMs: 20 });
    const response = await t.call('POST', '/api/v1/search/code', { json: { query: 'slow' } });
    expect(response.status).toBe(503);
    expect(((await response.json()) as ErrorBody).error.code).toBe('TIMEOUT');
    expect(aborted).toBe(true);
  });
});

describe('request ids and logging', () => {
  it('echoes a valid X-Request-Id, generates one otherwise, and logs it', async () => {
    const logger = createRecordingLogger();
    const t = setup({ logger });
    const given = await t.call('GET', '/api/v1/agents', { headers: { 'x-request-id': 'abc-123' } });
    expect(given.headers.get('x-request-id')).toBe('abc-123');
    const generated = await t.call('GET', '/api/v1/agents');
    expect(generated.headers.get('x-request-id')).toMatch(/^[0-9a-f-]{36}$/);
    const unsafe = await t.call('GET', '/api/v1/agents', { headers: { 'x-request-id': 'a b\n' } });
    expect(unsafe.headers.get('x-request-id')).toMatch(/^[0-9a-f-]{36}$/);
    expect(logger.lines.find((line) => line.fields.requestId === 'abc-123')).toMatchObject({
      level: 'info',
      message: 'request',
      fields: { route: '/api/v1/agents', status: 200, actor: 'anonymous' },
    });
    const errorResponse = await t.call('GET', '/nope', { headers: { 'x-request-id': 'r-404' } });
    expect(errorResponse.headers.get('x-request-id')).toBe('r-404');
  });
});

describe('authentication', () => {
  const apiKeys = [
    { id: 'ci', key: 'ci-secret-0123456789' },
    { id: 'laptop', key: 'laptop-secret-0123456789' },
  ];

  it('is off without keys', async () => {
    const t = setup();
    expect((await t.call('GET', '/api/v1/agents')).status).toBe(200);
    expect((await t.call('GET', '/metrics')).status).toBe(200);
  });

  it('requires a key on every route but /health when keys are configured', async () => {
    const t = setup({ apiKeys });
    expect((await t.call('GET', '/health')).status).toBe(200);
    for (const [method, path] of [
      ['GET', '/api/v1/agents'],
      ['GET', '/api/v1/openapi.json'],
      ['GET', '/ready'],
      ['GET', '/metrics'],
      ['POST', '/mcp'],
      ['GET', '/sse'],
      ['POST', '/messages?sessionId=x'],
      ['GET', '/no-such-route'],
      ['GET', '/api/v1/lessons/health'],
      ['GET', '/health/'],
    ] as const) {
      const response = await t.call(method, path);
      expect(response.status, `${method} ${path}`).toBe(401);
      expect(response.headers.get('www-authenticate')).toBe('Bearer realm="nellie"');
      expect(await response.json()).toEqual({
        error: {
          code: 'UNAUTHORIZED',
          message:
            'An API key is required: send "Authorization: Bearer <key>" or "X-API-Key: <key>".',
        },
      });
    }
  });

  it('accepts Bearer and X-API-Key, rejects wrong keys, and audits the key id', async () => {
    const t = setup({ apiKeys });
    const wrong = await t.call('GET', '/api/v1/agents', {
      headers: { authorization: 'Bearer ci-secret-012345678' },
    });
    expect(wrong.status).toBe(401);
    expect(await wrong.json()).toEqual({
      error: { code: 'UNAUTHORIZED', message: 'The API key is not valid.' },
    });
    expect(
      (await t.call('GET', '/api/v1/agents', { headers: { authorization: 'Basic Y2k6eA==' } }))
        .status,
    ).toBe(401);

    const bearer = await t.call('POST', '/api/v1/lessons', {
      json: { title: 'a', content: 'b' },
      headers: { authorization: 'Bearer ci-secret-0123456789' },
    });
    expect(bearer.status).toBe(201);
    const header = await t.call('POST', '/api/v1/checkpoints', {
      json: { agent: 'x', workingOn: 'y' },
      headers: { 'x-api-key': 'laptop-secret-0123456789' },
    });
    expect(header.status).toBe(201);
    const audit = (await (
      await t.call('GET', '/api/v1/audit', { headers: { 'x-api-key': apiKeys[0]!.key } })
    ).json()) as { actor: string; action: string }[];
    expect(audit.map((entry) => `${entry.actor}:${entry.action}`)).toEqual([
      'laptop:checkpoint.create',
      'ci:lesson.create',
    ]);
  });

  it('rejects bad options with INVALID_OPTIONS naming the field', () => {
    const base = {
      version: '1',
      store: createMemoryStore(),
      modelStatus: () => disabledModel,
      registry: new Registry(),
      createMcpServer: createTestMcpServer,
    };
    const failure = (options: Partial<HttpAppOptions>): { code: string; message: string } => {
      try {
        createHttpApp({ ...base, ...options });
      } catch (error) {
        expect(NellieError.is(error)).toBe(true);
        return error as NellieError;
      }
      throw new Error('createHttpApp accepted invalid options');
    };
    const duplicate = failure({
      apiKeys: [
        { id: 'same', key: 'a-secret-1' },
        { id: 'same', key: 'a-secret-2' },
      ],
    });
    expect(duplicate.code).toBe('INVALID_OPTIONS');
    expect(duplicate.message).toContain('apiKeys[1].id');
    expect(duplicate.message).toContain('used twice');
    const negative = failure({ maxBodyBytes: -5 });
    expect(negative.code).toBe('INVALID_OPTIONS');
    expect(negative.message).toContain('maxBodyBytes');
    expect(failure({ store: undefined })).toMatchObject({
      code: 'INVALID_OPTIONS',
      message: 'createHttpApp needs store.',
    });
    expect(failure({ rateLimit: { requestsPerMinute: 0 } }).message).toContain(
      'rateLimit.requestsPerMinute',
    );
  });
});

describe('rate limiting', () => {
  it('answers 429 with Retry-After once the bucket is empty, per client, and counts it', async () => {
    const t = setup({
      rateLimit: { requestsPerMinute: 6, burst: 2 },
      apiKeys: [
        { id: 'a', key: 'key-a-0123456789' },
        { id: 'b', key: 'key-b-0123456789' },
      ],
    });
    const asA = { headers: { 'x-api-key': 'key-a-0123456789' } };
    expect((await t.call('GET', '/api/v1/agents', asA)).status).toBe(200);
    expect((await t.call('GET', '/api/v1/agents', asA)).status).toBe(200);
    const limited = await t.call('GET', '/api/v1/agents', asA);
    expect(limited.status).toBe(429);
    const retryAfter = Number(limited.headers.get('retry-after'));
    expect(retryAfter).toBeGreaterThanOrEqual(1);
    expect(retryAfter).toBeLessThanOrEqual(10);
    expect(((await limited.json()) as ErrorBody).error.code).toBe('RATE_LIMITED');

    // Another key has its own bucket; /health is never limited.
    expect(
      (await t.call('GET', '/api/v1/agents', { headers: { 'x-api-key': 'key-b-0123456789' } }))
        .status,
    ).toBe(200);
    for (let index = 0; index < 5; index += 1) {
      expect((await t.call('GET', '/health')).status).toBe(200);
    }
    const metrics = await (
      await t.call('GET', '/metrics', { headers: { 'x-api-key': 'key-b-0123456789' } })
    ).text();
    expect(metrics).toMatch(/^nellie_rate_limited_total 1$/m);
  });

  it('limits by client address when authentication is off', async () => {
    const addresses = ['10.0.0.1', '10.0.0.1', '10.0.0.2'];
    const t = setup({
      rateLimit: { requestsPerMinute: 1, burst: 1 },
      getClientAddress: () => addresses.shift(),
    });
    expect((await t.call('GET', '/api/v1/agents')).status).toBe(200);
    expect((await t.call('GET', '/api/v1/agents')).status).toBe(429);
    expect((await t.call('GET', '/api/v1/agents')).status).toBe(200);
  });

  it('can be turned off', async () => {
    const t = setup({ rateLimit: false });
    for (let index = 0; index < 30; index += 1) {
      expect((await t.call('GET', '/api/v1/agents')).status).toBe(200);
    }
  });
});

describe('CORS', () => {
  it('is off unless origins are configured', async () => {
    const t = setup();
    const response = await t.call('GET', '/api/v1/agents', {
      headers: { origin: 'https://evil.example' },
    });
    expect(response.headers.get('access-control-allow-origin')).toBeNull();
  });

  it('answers preflights for configured origins without requiring a key', async () => {
    const t = setup({
      corsOrigins: ['https://app.example'],
      apiKeys: [{ id: 'k', key: 'k-0123456789' }],
    });
    const preflight = await t.call('OPTIONS', '/api/v1/lessons', {
      headers: {
        origin: 'https://app.example',
        'access-control-request-method': 'POST',
        'access-control-request-headers': 'authorization,content-type',
      },
    });
    expect(preflight.status).toBe(204);
    expect(preflight.headers.get('access-control-allow-origin')).toBe('https://app.example');
    const other = await t.call('GET', '/health', { headers: { origin: 'https://evil.example' } });
    expect(other.headers.get('access-control-allow-origin')).toBeNull();
  });
});

describe('metrics', () => {
  it('exposes store counts, request figures by route pattern and indexer figures', async () => {
    const indexer = createFakeIndexer({ embeddingBacklog: 7, indexLagSeconds: 2.5 });
    const t = setup({ indexer });
    await t.call('POST', '/api/v1/lessons', { json: { title: 'a', content: 'b' } });
    await t.call('POST', '/api/v1/lessons', { json: { title: 'c', content: 'd' } });
    await t.call('POST', '/api/v1/checkpoints', { json: { agent: 'x', workingOn: 'y' } });
    await t.call('POST', '/api/v1/index/jobs', { json: { path: '/srv/demo' } });
    indexer.advance(indexer.jobs[0]!.id);
    await t.call('GET', '/api/v1/lessons/lesson_9999');
    await t.call('GET', '/api/v1/lessons/lesson_9998');
    await t.call('GET', '/definitely/not/here');
    await t.call('GET', '/api/v1/checkpoints/recent');

    const response = await t.call('GET', '/metrics');
    expect(response.headers.get('content-type')).toContain('text/plain');
    const text = await response.text();
    expect(text).toMatch(/^nellie_lessons_total 2$/m);
    expect(text).toMatch(/^nellie_checkpoints_total 1$/m);
    expect(text).toMatch(/^nellie_chunks_total 0$/m);
    expect(text).toMatch(/^nellie_files_total 0$/m);
    expect(text).toMatch(/^nellie_index_jobs_running 1$/m);
    expect(text).toMatch(/^nellie_index_lag_seconds 2.5$/m);
    expect(text).toMatch(/^nellie_embedding_backlog 7$/m);
    expect(text).toMatch(/^nellie_embedding_queue_depth 0$/m);
    expect(text).toMatch(
      /^nellie_requests_total\{route="\/api\/v1\/lessons\/:id",method="GET",status="404"\} 2$/m,
    );
    expect(text).toMatch(
      /^nellie_requests_total\{route="\/api\/v1\/lessons",method="POST",status="201"\} 2$/m,
    );
    expect(text).toMatch(
      /^nellie_requests_total\{route="unmatched",method="GET",status="404"\} 1$/m,
    );
    expect(text).toMatch(
      /^nellie_request_duration_seconds_count\{route="\/api\/v1\/lessons",method="POST",status="201"\} 2$/m,
    );
    expect(text).toMatch(
      /^nellie_requests_total\{route="\/api\/v1\/checkpoints\/recent",method="GET",status="200"\} 1$/m,
    );
    expect(text).not.toContain('lesson_9999');
    expect(text).not.toContain('process_cpu');
  });

  it('labels rejected requests with the route they were aimed at', async () => {
    const t = setup({ apiKeys: [{ id: 'k', key: 'k-0123456789' }] });
    await t.call('GET', '/api/v1/lessons/abc');
    const text = await (
      await t.call('GET', '/metrics', { headers: { 'x-api-key': 'k-0123456789' } })
    ).text();
    expect(text).toMatch(
      /^nellie_requests_total\{route="\/api\/v1\/lessons\/:id",method="GET",status="401"\} 1$/m,
    );
  });

  it('works with two apps on two registries, default metrics included, and frees a registry on close', async () => {
    const first = new Registry();
    const second = new Registry();
    const one = setup({ registry: first, collectDefaultMetrics: true });
    const two = setup({ registry: second, collectDefaultMetrics: true });
    for (const t of [one, two]) {
      const text = await (await t.call('GET', '/metrics')).text();
      expect(text).toContain('process_cpu_user_seconds_total');
      expect(text).toContain('nellie_lessons_total');
    }
    expect(() => createTestApp({ registry: first })).toThrow(
      expect.objectContaining({ code: 'INVALID_OPTIONS' }),
    );
    await one.close();
    expect(first.getMetricsAsArray()).toEqual([]);
    const again = setup({ registry: first, collectDefaultMetrics: true });
    expect(await (await again.call('GET', '/metrics')).text()).toContain('nellie_requests_total');
  });

  it('caches store statistics briefly so scrapes stay cheap', async () => {
    const store = createMemoryStore();
    let calls = 0;
    const stats = store.stats.bind(store);
    store.stats = () => {
      calls += 1;
      return stats();
    };
    const t = setup({ store });
    await Promise.all([
      t.call('GET', '/metrics'),
      t.call('GET', '/metrics'),
      t.call('GET', '/metrics'),
    ]);
    expect(calls).toBe(1);
  });
});

describe('OpenAPI', () => {
  it('documents every registered route', async () => {
    const t = setup({ apiKeys: [{ id: 'k', key: 'k-0123456789' }] });
    const response = await t.call('GET', '/api/v1/openapi.json', {
      headers: { authorization: 'Bearer k-0123456789' },
    });
    expect(response.status).toBe(200);
    const document = (await response.json()) as {
      openapi: string;
      info: { version: string };
      paths: Record<string, Record<string, { operationId: string }>>;
      components: { schemas: Record<string, unknown> };
      security: unknown[];
    };
    expect(document.openapi).toBe('3.1.0');
    expect(document.info.version).toBe('1.2.3');
    expect(document.security).toEqual([{ bearerAuth: [] }, { apiKeyHeader: [] }]);
    const registered = t.app.routes
      .filter((route) => route.method !== 'ALL' && !route.path.includes('*'))
      .map((route) => `${route.method.toLowerCase()} ${route.path.replace(/:(\w+)/g, '{$1}')}`);
    expect(registered).toHaveLength(35);
    const documented = Object.entries(document.paths).flatMap(([path, operations]) =>
      Object.keys(operations).map((method) => `${method} ${path}`),
    );
    expect(new Set(documented)).toEqual(new Set(registered));
    const operationIds = Object.values(document.paths).flatMap((operations) =>
      Object.values(operations).map((operation) => operation.operationId),
    );
    expect(new Set(operationIds).size).toBe(operationIds.length);
    expect(Object.keys(document.components.schemas)).toEqual(
      expect.arrayContaining(['Lesson', 'Checkpoint', 'CodeSearchHit', 'IndexJob', 'Error']),
    );
  });

  it('derives request schemas from the validation schemas', async () => {
    const t = setup();
    const document = (await (await t.call('GET', '/api/v1/openapi.json')).json()) as {
      paths: Record<string, Record<string, Record<string, unknown>>>;
    };
    const createLesson = document.paths['/api/v1/lessons']!.post!;
    expect(createLesson.requestBody).toMatchObject({
      content: {
        'application/json': {
          schema: {
            type: 'object',
            required: ['title', 'content'],
            properties: { severity: { enum: ['critical', 'warning', 'info'] } },
          },
        },
      },
    });
    const listLessons = document.paths['/api/v1/lessons']!.get!;
    expect(listLessons.parameters).toEqual(
      expect.arrayContaining([
        expect.objectContaining({ name: 'limit', in: 'query', required: false }),
        expect.objectContaining({ name: 'offset', in: 'query' }),
      ]),
    );
    const getLesson = document.paths['/api/v1/lessons/{id}']!.get!;
    expect(getLesson.parameters).toEqual([
      expect.objectContaining({ name: 'id', in: 'path', required: true }),
    ]);
  });
});
