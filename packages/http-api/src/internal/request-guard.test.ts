import { afterEach, describe, expect, it } from 'vitest';
import { createTestApp, type TestApp } from '../../test/support/harness.ts';
import { isJsonContentType, parseHost } from './request-guard.ts';

const apps: TestApp[] = [];
function setup(...args: Parameters<typeof createTestApp>): TestApp {
  const app = createTestApp(...args);
  apps.push(app);
  return app;
}
afterEach(async () => {
  await Promise.all(apps.splice(0).map((app) => app.close()));
});

const mcpHeaders = {
  'content-type': 'application/json',
  accept: 'application/json, text/event-stream',
};

describe('Host check through app.request()', () => {
  it('answers 403 for a foreign Host and 200 for loopback names', async () => {
    const t = setup();
    const foreign = await t.call('GET', '/api/v1/status', {
      headers: { host: 'evil.example.com' },
    });
    expect(foreign.status).toBe(403);
    expect(await foreign.json()).toMatchObject({ error: { code: 'FORBIDDEN' } });
    const health = await t.call('GET', '/health', { headers: { host: 'evil.example.com:8080' } });
    expect(health.status).toBe(403);
    expect((await t.call('GET', '/api/v1/status')).status).toBe(200);
    expect(
      (await t.call('GET', '/api/v1/status', { headers: { host: '127.0.0.1:8080' } })).status,
    ).toBe(200);
  });

  it('does not echo a malformed Host back', async () => {
    const t = setup();
    const response = await t.call('GET', '/health', { headers: { host: 'a b<script>' } });
    expect(response.status).toBe(403);
    expect(await response.text()).not.toContain('<script>');
  });

  it('parses host names, ports and IPv6 literals', () => {
    expect(parseHost('LocalHost:8080')).toEqual({ name: 'localhost', port: '8080' });
    expect(parseHost('[::1]:80')).toEqual({ name: '[::1]', port: '80' });
    expect(parseHost('example.com')).toEqual({ name: 'example.com', port: '' });
    expect(parseHost('user@example.com')).toBeUndefined();
    expect(parseHost('example.com/path')).toBeUndefined();
    expect(parseHost('')).toBeUndefined();
  });
});

describe('content types', () => {
  it('recognises JSON with parameters and nothing else', () => {
    expect(isJsonContentType('application/json')).toBe(true);
    expect(isJsonContentType('Application/JSON; charset=utf-8')).toBe(true);
    expect(isJsonContentType('text/plain')).toBe(false);
    expect(isJsonContentType('application/x-www-form-urlencoded')).toBe(false);
    expect(isJsonContentType(undefined)).toBe(false);
  });

  it('answers 415 on /mcp and /messages for a body that is not declared as JSON', async () => {
    const t = setup();
    const mcp = await t.call('POST', '/mcp', {
      body: '{"jsonrpc":"2.0","id":1,"method":"ping"}',
      headers: { ...mcpHeaders, 'content-type': 'text/plain' },
    });
    expect(mcp.status).toBe(415);
    expect(await mcp.json()).toMatchObject({ jsonrpc: '2.0', error: { code: -32000 } });
  });
});

describe('JSON-RPC validation on /mcp', () => {
  it('answers "invalid request" for a message that is not JSON-RPC 2.0', async () => {
    const t = setup();
    for (const body of [
      { jsonrpc: '1.0', method: 'initialize' },
      { method: 'initialize', id: 1 },
      [],
      42,
    ]) {
      const response = await t.call('POST', '/mcp', { json: body, headers: mcpHeaders });
      expect(response.status).toBe(400);
      const answer = (await response.json()) as { error: { code: number; message: string } };
      expect(answer.error.code).toBe(-32600);
      expect(answer.error.message).toMatch(/^Invalid Request/);
    }
  });
});
