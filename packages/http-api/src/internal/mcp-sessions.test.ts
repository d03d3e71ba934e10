import { afterEach, describe, expect, it, vi } from 'vitest';
import { createRecordingLogger, createTestApp, type TestApp } from '../../test/support/harness.ts';

const jsonHeaders = {
  'content-type': 'application/json',
  accept: 'application/json, text/event-stream',
};
const initialize = {
  jsonrpc: '2.0',
  id: 1,
  method: 'initialize',
  params: {
    protocolVersion: '2025-06-18',
    capabilities: {},
    clientInfo: { name: 't', version: '1' },
  },
};

let t: TestApp | undefined;
afterEach(async () => {
  vi.useRealTimers();
  await t?.close();
  t = undefined;
});

async function openSession(
  app: TestApp,
  headers: Record<string, string> = jsonHeaders,
): Promise<string> {
  const response = await app.call('POST', '/mcp', { json: initialize, headers });
  expect(response.status).toBe(200);
  await response.text();
  const sessionId = response.headers.get('mcp-session-id')!;
  const initialized = await app.call('POST', '/mcp', {
    json: { jsonrpc: '2.0', method: 'notifications/initialized' },
    headers: { ...headers, 'mcp-session-id': sessionId },
  });
  expect(initialized.status).toBe(202);
  return sessionId;
}

async function sessionCount(app: TestApp): Promise<number> {
  const status = (await (await app.call('GET', '/api/v1/status')).json()) as {
    mcpSessions: { streamableHttp: number };
  };
  return status.mcpSessions.streamableHttp;
}

describe('MCP session idle timeout', () => {
  it('keeps a session while its event stream is open and closes it once idle', async () => {
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout', 'setInterval', 'clearInterval'] });
    const logger = createRecordingLogger();
    t = createTestApp({ mcpSessionIdleTimeoutMs: 60_000, logger, sseKeepAliveMs: 0 });
    const sessionId = await openSession(t);

    const stream = await t.call('GET', '/mcp', {
      headers: { accept: 'text/event-stream', 'mcp-session-id': sessionId },
    });
    expect(stream.status).toBe(200);
    await vi.advanceTimersByTimeAsync(10 * 60_000);
    expect(await sessionCount(t)).toBe(1);

    // The client goes away: the stream is cancelled, and the idle clock starts.
    await stream.body!.cancel();
    await vi.advanceTimersByTimeAsync(59_000);
    expect(await sessionCount(t)).toBe(1);
    await vi.advanceTimersByTimeAsync(2_000);
    expect(await sessionCount(t)).toBe(0);
    const closed = logger.lines.find((line) => line.message === 'MCP session closed');
    expect(closed?.fields).toMatchObject({ sessionId, reason: 'idle' });
    const after = await t.call('POST', '/mcp', {
      json: { jsonrpc: '2.0', id: 2, method: 'tools/list' },
      headers: { ...jsonHeaders, 'mcp-session-id': sessionId },
    });
    expect(after.status).toBe(404);
  });

  it('restarts the idle clock on every request', async () => {
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout', 'setInterval', 'clearInterval'] });
    t = createTestApp({ mcpSessionIdleTimeoutMs: 60_000, sseKeepAliveMs: 0 });
    const sessionId = await openSession(t);
    for (let minute = 0; minute < 3; minute += 1) {
      await vi.advanceTimersByTimeAsync(45_000);
      const list = await t.call('POST', '/mcp', {
        json: { jsonrpc: '2.0', id: 10 + minute, method: 'tools/list' },
        headers: { ...jsonHeaders, 'mcp-session-id': sessionId },
      });
      expect(list.status).toBe(200);
      expect(await list.text()).toContain('echo');
    }
    expect(await sessionCount(t)).toBe(1);
  });

  it('limits how many sessions are open at once', async () => {
    t = createTestApp({ mcpMaxSessions: 2 });
    await openSession(t);
    await openSession(t);
    const third = await t.call('POST', '/mcp', { json: initialize, headers: jsonHeaders });
    expect(third.status).toBe(503);
    expect(await third.json()).toMatchObject({ error: { code: -32000 } });
  });
});

const alice = { id: 'alice', key: 'alice-secret-0123456789' };
const bob = { id: 'bob', key: 'bob-secret-0123456789' };
const as = (key: { key: string }) => ({ ...jsonHeaders, authorization: `Bearer ${key.key}` });

/** Sends initialize only, as a client cut off mid-handshake would; returns the session id. */
async function halfOpen(
  app: TestApp,
  headers: Record<string, string> = jsonHeaders,
): Promise<string> {
  const response = await app.call('POST', '/mcp', { json: initialize, headers });
  expect(response.status).toBe(200);
  await response.text();
  return response.headers.get('mcp-session-id')!;
}

async function totalSessionsAs(app: TestApp, key: { key: string }): Promise<number> {
  const response = await app.call('GET', '/api/v1/status', {
    headers: { authorization: `Bearer ${key.key}` },
  });
  return ((await response.json()) as { mcpSessions: { streamableHttp: number } }).mcpSessions
    .streamableHttp;
}

describe('MCP sessions that never finish initializing', () => {
  it('are closed after the handshake timeout, while completed ones stay', async () => {
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout', 'setInterval', 'clearInterval'] });
    const logger = createRecordingLogger();
    t = createTestApp({ mcpHandshakeTimeoutMs: 30_000, sseKeepAliveMs: 0, logger });
    const cutOff = await halfOpen(t);
    const complete = await openSession(t);
    expect(await sessionCount(t)).toBe(2);
    await vi.advanceTimersByTimeAsync(29_000);
    expect(await sessionCount(t)).toBe(2);
    await vi.advanceTimersByTimeAsync(2_000);
    expect(await sessionCount(t)).toBe(1);
    const closed = logger.lines.find((line) => line.message === 'MCP session closed');
    expect(closed?.fields).toMatchObject({ sessionId: cutOff, reason: 'initialize not completed' });
    const list = await t.call('POST', '/mcp', {
      json: { jsonrpc: '2.0', id: 2, method: 'tools/list' },
      headers: { ...jsonHeaders, 'mcp-session-id': complete },
    });
    expect(list.status).toBe(200);
  });

  it('closes a legacy SSE session that never initializes', async () => {
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout', 'setInterval', 'clearInterval'] });
    t = createTestApp({ mcpHandshakeTimeoutMs: 30_000, sseKeepAliveMs: 0 });
    const stream = await t.call('GET', '/sse');
    expect(stream.status).toBe(200);
    const sse = async (): Promise<number> =>
      ((await (await t!.call('GET', '/api/v1/status')).json()) as { mcpSessions: { sse: number } })
        .mcpSessions.sse;
    expect(await sse()).toBe(1);
    await vi.advanceTimersByTimeAsync(31_000);
    expect(await sse()).toBe(0);
    await stream.body?.cancel();
  });
});

describe('per-client MCP session limit', () => {
  it('a storm of sessions from one key never locks out another key', async () => {
    t = createTestApp({ apiKeys: [alice, bob], mcpMaxSessions: 20, mcpMaxSessionsPerClient: 5 });
    // Alice opens sessions and drops them without DELETE, like the SDK's close() does.
    for (let index = 0; index < 40; index += 1) await halfOpen(t, as(alice));
    // Alice's oldest idle sessions made room for her new ones: she holds 5, all the server has.
    expect(await totalSessionsAs(t, alice)).toBe(5);
    const bobSession = await openSession(t, as(bob));
    expect(bobSession).toMatch(/^[0-9a-f-]{36}$/);
    expect(await totalSessionsAs(t, bob)).toBe(6);
  });

  it('refuses with 429 when every session of the client is in use, and counts refusals', async () => {
    t = createTestApp({ apiKeys: [alice, bob], mcpMaxSessionsPerClient: 2, sseKeepAliveMs: 0 });
    const streams: Response[] = [];
    for (let index = 0; index < 2; index += 1) {
      const id = await halfOpen(t, as(alice));
      const stream = await t.call('GET', '/mcp', {
        headers: { ...as(alice), accept: 'text/event-stream', 'mcp-session-id': id },
      });
      expect(stream.status).toBe(200);
      streams.push(stream);
    }
    const refused = await t.call('POST', '/mcp', { json: initialize, headers: as(alice) });
    expect(refused.status).toBe(429);
    expect(refused.headers.get('retry-after')).toBe('30');
    expect(await refused.json()).toMatchObject({ error: { code: -32000 } });
    const legacy = await t.call('GET', '/sse', {
      headers: { authorization: `Bearer ${alice.key}` },
    });
    expect(legacy.status).toBe(429);
    expect(await legacy.json()).toMatchObject({ error: { code: 'RATE_LIMITED' } });
    expect((await halfOpen(t, as(bob))).length).toBeGreaterThan(0);
    const metrics = await (await t.call('GET', '/metrics', { headers: as(alice) })).text();
    expect(metrics).toContain('nellie_mcp_sessions_refused_total{reason="client_limit"} 2');
    expect(metrics).toContain('nellie_mcp_sessions{transport="streamable-http"} 3');
    for (const stream of streams) await stream.body?.cancel();
  });

  it('counts clients by address when authentication is off', async () => {
    const addresses = ['10.0.0.1', '10.0.0.2'];
    let current = addresses[0];
    t = createTestApp({ mcpMaxSessionsPerClient: 1, getClientAddress: () => current });
    const first = await halfOpen(t);
    await halfOpen(t); // replaces the idle first one
    const reuse = await t.call('POST', '/mcp', {
      json: { jsonrpc: '2.0', id: 3, method: 'tools/list' },
      headers: { ...jsonHeaders, 'mcp-session-id': first },
    });
    expect(reuse.status).toBe(404);
    current = addresses[1];
    await halfOpen(t);
    expect(await sessionCount(t)).toBe(2);
  });
});
