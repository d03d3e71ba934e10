import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { NellieStore } from '@nellie/core';
import { createSqliteStore } from '@nellie/storage';
import { limitCases, type LimitCase } from '@nellie/test-utils';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestApp, type TestApp } from './support/harness.ts';
import { serveOnLoopback } from './support/serve.ts';

// REST accepts and refuses exactly what the store and the MCP tools do: the same table runs in
// the storage and mcp-tools packages. Real SQLite file, real HTTP on a loopback port.

let directory: string;
let store: NellieStore;
let t: TestApp;
let server: Awaited<ReturnType<typeof serveOnLoopback>>;

beforeAll(async () => {
  directory = mkdtempSync(join(tmpdir(), 'nellie-http-limits-'));
  store = await createSqliteStore({ path: join(directory, 'nellie.db') });
  t = createTestApp({ store });
  server = await serveOnLoopback(t.app);
});
afterAll(async () => {
  await server.close();
  await t.close();
  await store.close();
  rmSync(directory, { recursive: true, force: true });
});

function send(method: string, path: string, body?: unknown): Promise<Response> {
  return fetch(`${server.url}/api/v1${path}`, {
    method,
    headers: body === undefined ? {} : { 'content-type': 'application/json' },
    body: body === undefined ? undefined : typeof body === 'string' ? body : JSON.stringify(body),
  });
}

function call(limitCase: LimitCase, value: unknown): Promise<Response> {
  const input = { ...limitCase.base, [limitCase.field]: value };
  const query = () => new URLSearchParams(input as Record<string, string>).toString();
  switch (limitCase.operation) {
    case 'addLesson':
      return send('POST', '/lessons', input);
    case 'listLessons':
      return send('GET', `/lessons?${query()}`);
    case 'searchCode':
      return send('POST', '/search/code', input);
    case 'searchLessons':
      return send('POST', '/lessons/search', input);
    case 'addCheckpoint':
      return send('POST', '/checkpoints', input);
    case 'getRecentCheckpoints':
      return send('GET', `/checkpoints/recent?${query()}`);
    case 'searchCheckpoints':
      return send('POST', '/checkpoints/search', input);
  }
}

describe('REST limits', () => {
  it.each(limitCases)('$name: accepts the limit, refuses one more', async (limitCase) => {
    const accepted = await call(limitCase, limitCase.accepted);
    if (limitCase.acceptedFindsNothing) expect(accepted.status).toBe(404);
    else expect(accepted.status, await accepted.clone().text()).toBeLessThan(300);
    const refused = await call(limitCase, limitCase.refused);
    expect(refused.status).toBe(400);
    const body = (await refused.json()) as { error: { code: string; message: string } };
    expect(body.error.code).toBe('INVALID_INPUT');
  });
});

describe('REST writes are kept exactly or refused', () => {
  it('refuses a lone surrogate in a lesson title instead of storing U+FFFD', async () => {
    const response = await send('POST', '/lessons', '{"title":"A\\ud800B","content":"c"}');
    expect(response.status).toBe(400);
    const body = (await response.json()) as { error: { code: string; message: string } };
    expect(body.error).toMatchObject({ code: 'INVALID_INPUT' });
    expect(body.error.message).toContain('title contains a lone UTF-16 surrogate');
  });

  it('returns checkpoint state exactly as sent, own __proto__ keys included', async () => {
    const state = '{"__proto__":{"x":1},"keep":1}';
    const created = await send(
      'POST',
      '/checkpoints',
      `{"agent":"agent-1","workingOn":"Work","state":${state}}`,
    );
    expect(created.status).toBe(201);
    const echoed = await created.text();
    expect(echoed).toContain(`"state":${state}`);
    const { id } = JSON.parse(echoed) as { id: string };
    const read = await (await send('GET', `/checkpoints/${id}`)).text();
    expect(read).toContain(`"state":${state}`);
  });
});
