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

async function openSession(app: TestApp): Promise<string> {
  const response = await app.call('POST', '/mcp', { json: initialize, headers: jsonHeaders });
  expect(response.status).toBe(200);
  await response.text();
  const sessionId = response.headers.get('mcp-session-id')!;
  const initialized = await app.call('POST', '/mcp', {
    json: { jsonrpc: '2.0', method: 'notifications/initialized' },
    headers: { ...jsonHeaders, 'mcp-session-id': sessionId },
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
