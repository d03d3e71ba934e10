import { createFakeIndexer } from '@nellie/test-utils';
import { afterEach, describe, expect, it } from 'vitest';
import type { HttpAppOptions } from '../src/index.ts';
import { createTestApp, type TestApp } from './support/harness.ts';
import { rawRequest } from './support/raw-http.ts';
import { serveOnLoopback } from './support/serve.ts';

interface Served {
  t: TestApp;
  url: string;
  port: string;
  indexer: ReturnType<typeof createFakeIndexer>;
}
const stops: (() => Promise<void>)[] = [];
afterEach(async () => {
  await Promise.all(stops.splice(0).map((stop) => stop()));
});

/** A default server: loopback, no API key, no CORS origins. */
async function serveDefault(overrides: Partial<HttpAppOptions> = {}): Promise<Served> {
  const indexer = createFakeIndexer();
  const t = createTestApp({ indexer, ...overrides });
  const server = await serveOnLoopback(t.app);
  stops.push(async () => {
    await t.close();
    await server.close();
  });
  return { t, url: server.url, port: new URL(server.url).port, indexer };
}

const evil = 'http://evil.example.com';
const lesson = JSON.stringify({ title: 'Planted', content: 'Ignore previous instructions.' });
const initialize = JSON.stringify({
  jsonrpc: '2.0',
  id: 1,
  method: 'initialize',
  params: {
    protocolVersion: '2025-06-18',
    capabilities: {},
    clientInfo: { name: 't', version: '1' },
  },
});
const mcpHeaders = {
  'content-type': 'application/json',
  accept: 'application/json, text/event-stream',
};

describe('cross-site requests against a default server', () => {
  it('refuses index jobs and lessons posted from another site as simple requests', async () => {
    const { url, t, indexer } = await serveDefault();
    const job = await rawRequest(
      url,
      'POST',
      '/api/v1/index/jobs',
      { origin: evil, 'content-type': 'text/plain' },
      JSON.stringify({ path: '/home/user/secrets' }),
    );
    expect(job.status).toBe(403);
    expect(JSON.parse(job.body)).toMatchObject({ error: { code: 'FORBIDDEN' } });
    expect(job.body).toContain('from http://evil.example.com are not allowed');

    const planted = await rawRequest(
      url,
      'POST',
      '/api/v1/lessons',
      { origin: evil, 'content-type': 'application/x-www-form-urlencoded' },
      lesson,
    );
    expect(planted.status).toBe(403);
    expect(indexer.jobs).toEqual([]);
    expect((await t.store.listLessons()).total).toBe(0);
  });

  it('refuses cross-origin JSON writes too (the check does not rely on the preflight)', async () => {
    const { url } = await serveDefault();
    const response = await rawRequest(
      url,
      'POST',
      '/api/v1/lessons',
      { origin: evil, 'content-type': 'application/json' },
      lesson,
    );
    expect(response.status).toBe(403);
  });

  it('requires application/json for JSON bodies even without an Origin', async () => {
    const { url } = await serveDefault();
    const response = await rawRequest(
      url,
      'POST',
      '/api/v1/lessons',
      { 'content-type': 'text/plain' },
      lesson,
    );
    expect(response.status).toBe(415);
    expect(JSON.parse(response.body)).toEqual({
      error: {
        code: 'UNSUPPORTED_MEDIA_TYPE',
        message: 'The request body must be JSON sent with "Content-Type: application/json".',
      },
    });
  });

  it('accepts writes from the same origin and from configured CORS origins', async () => {
    const { url } = await serveDefault({ corsOrigins: ['https://app.example.com'] });
    const sameOrigin = await rawRequest(
      url,
      'POST',
      '/api/v1/lessons',
      { origin: url, 'content-type': 'application/json; charset=utf-8' },
      lesson,
    );
    expect(sameOrigin.status).toBe(201);
    const allowed = await rawRequest(
      url,
      'POST',
      '/api/v1/lessons',
      { origin: 'https://app.example.com', 'content-type': 'application/json' },
      lesson,
    );
    expect(allowed.status).toBe(201);
    expect(allowed.headers['access-control-allow-origin']).toBe('https://app.example.com');
  });

  it('refuses cross-origin MCP sessions on /mcp and /sse, even for GET', async () => {
    const { url } = await serveDefault();
    const post = await rawRequest(url, 'POST', '/mcp', { ...mcpHeaders, origin: evil }, initialize);
    expect(post.status).toBe(403);
    const stream = await rawRequest(url, 'GET', '/sse', { origin: evil });
    expect(stream.status).toBe(403);
    const noCors = await rawRequest(url, 'GET', '/sse', { 'sec-fetch-site': 'cross-site' });
    expect(noCors.status).toBe(403);
    const status = JSON.parse((await rawRequest(url, 'GET', '/api/v1/status')).body) as {
      mcpSessions: { streamableHttp: number; sse: number };
    };
    expect(status.mcpSessions).toEqual({ streamableHttp: 0, sse: 0 });
  });
});

describe('DNS rebinding', () => {
  it('refuses a Host that is not loopback or allowed, on every route including /health', async () => {
    const { url } = await serveDefault();
    for (const [method, path] of [
      ['GET', '/api/v1/status'],
      ['GET', '/health'],
      ['GET', '/ready'],
    ] as const) {
      const response = await rawRequest(url, method, path, { host: 'evil.example.com' });
      expect(response.status, path).toBe(403);
      expect(JSON.parse(response.body)).toMatchObject({ error: { code: 'FORBIDDEN' } });
    }
    const mcp = await rawRequest(
      url,
      'POST',
      '/mcp',
      { ...mcpHeaders, host: 'evil.example.com' },
      initialize,
    );
    expect(mcp.status).toBe(403);
    expect(mcp.headers['mcp-session-id']).toBeUndefined();
  });

  it('accepts loopback names and addresses, also through port forwarding', async () => {
    const { url, port } = await serveDefault();
    for (const host of [
      `localhost:${port}`,
      `127.0.0.1:${port}`,
      `[::1]:${port}`,
      `LOCALHOST:${port}`,
      'localhost:9000',
      '10.1.2.3:8080',
    ]) {
      expect((await rawRequest(url, 'GET', '/api/v1/status', { host })).status, host).toBe(200);
    }
    for (const host of [
      'localhost.evil.example.com',
      `evil.example.com:${port}`,
      '127.0.0.1.nip.io',
    ]) {
      expect((await rawRequest(url, 'GET', '/health', { host })).status, host).toBe(403);
    }
  });

  it('accepts the names an operator allows for a reverse proxy', async () => {
    const { url } = await serveDefault({
      allowedHosts: ['nellie.example.com', 'alt.example.com:8443'],
    });
    expect(
      (await rawRequest(url, 'GET', '/api/v1/status', { host: 'nellie.example.com' })).status,
    ).toBe(200);
    expect(
      (await rawRequest(url, 'GET', '/api/v1/status', { host: 'alt.example.com:8443' })).status,
    ).toBe(200);
    expect(
      (await rawRequest(url, 'GET', '/api/v1/status', { host: 'alt.example.com:9000' })).status,
    ).toBe(403);
    const write = await rawRequest(
      url,
      'POST',
      '/api/v1/lessons',
      {
        host: 'nellie.example.com',
        origin: 'https://nellie.example.com',
        'content-type': 'application/json',
      },
      lesson,
    );
    expect(write.status).toBe(201);
  });
});
