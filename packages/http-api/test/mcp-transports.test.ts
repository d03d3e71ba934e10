import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { SSEClientTransport } from '@modelcontextprotocol/sdk/client/sse.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { createTestMcpServer } from './support/mcp-server.ts';
import type { HttpAppOptions } from '../src/index.ts';
import { createTestApp, type TestApp } from './support/harness.ts';
import { serveOnLoopback } from './support/serve.ts';

interface Running {
  t: TestApp;
  url: string;
  clients: Client[];
  stop(): Promise<void>;
}
const running: Running[] = [];

async function start(overrides: Partial<HttpAppOptions> = {}): Promise<Running> {
  const t = createTestApp(overrides);
  const server = await serveOnLoopback(t.app);
  const entry: Running = {
    t,
    url: server.url,
    clients: [],
    async stop() {
      await Promise.all(entry.clients.map((client) => client.close().catch(() => {})));
      await t.close();
      await server.close();
    },
  };
  running.push(entry);
  return entry;
}
afterEach(async () => {
  await Promise.all(running.splice(0).map((entry) => entry.stop()));
});

async function connectStreamable(
  entry: Running,
  headers: Record<string, string> = {},
): Promise<{ client: Client; transport: StreamableHTTPClientTransport }> {
  const transport = new StreamableHTTPClientTransport(new URL(`${entry.url}/mcp`), {
    requestInit: { headers },
  });
  const client = new Client({ name: 'test-client', version: '1.0.0' });
  await client.connect(transport);
  entry.clients.push(client);
  return { client, transport };
}

async function connectSse(entry: Running, headers: Record<string, string> = {}): Promise<Client> {
  const transport = new SSEClientTransport(new URL(`${entry.url}/sse`), {
    requestInit: { headers },
  });
  const client = new Client({ name: 'legacy-client', version: '1.0.0' });
  await client.connect(transport);
  entry.clients.push(client);
  return client;
}

async function mcpSessions(entry: Running, headers: Record<string, string> = {}) {
  const response = await fetch(`${entry.url}/api/v1/status`, { headers });
  const body = (await response.json()) as { mcpSessions: { streamableHttp: number; sse: number } };
  return body.mcpSessions;
}

function textOf(result: Awaited<ReturnType<Client['callTool']>>): string {
  const [first] = result.content as { type: string; text: string }[];
  return first?.text ?? '';
}

const initializeBody = {
  jsonrpc: '2.0',
  id: 1,
  method: 'initialize',
  params: {
    protocolVersion: '2025-06-18',
    capabilities: {},
    clientInfo: { name: 'raw', version: '1' },
  },
};
const mcpHeaders = {
  'content-type': 'application/json',
  accept: 'application/json, text/event-stream',
};

describe('MCP over Streamable HTTP', () => {
  it('initializes a session, lists and calls tools, and ends it with DELETE', async () => {
    const entry = await start();
    const { client, transport } = await connectStreamable(entry);
    expect(transport.sessionId).toMatch(/^[0-9a-f-]{36}$/);
    const tools = await client.listTools();
    expect(tools.tools.map((tool) => tool.name).sort()).toEqual(['echo', 'whoami']);
    expect(textOf(await client.callTool({ name: 'echo', arguments: { text: 'hello' } }))).toBe(
      'hello',
    );
    expect(JSON.parse(textOf(await client.callTool({ name: 'whoami', arguments: {} })))).toEqual({
      clientId: null,
      actor: 'anonymous',
      transport: 'streamable-http',
    });
    const invalid = await client.callTool({ name: 'echo', arguments: { text: 42 } });
    expect(invalid.isError).toBe(true);
    expect(await mcpSessions(entry)).toEqual({ streamableHttp: 1, sse: 0 });

    const sessionId = transport.sessionId!;
    await transport.terminateSession();
    expect(await mcpSessions(entry)).toEqual({ streamableHttp: 0, sse: 0 });
    const after = await fetch(`${entry.url}/mcp`, {
      method: 'POST',
      headers: { ...mcpHeaders, 'mcp-session-id': sessionId },
      body: JSON.stringify({ jsonrpc: '2.0', id: 2, method: 'tools/list' }),
    });
    expect(after.status).toBe(404);
    expect(await after.json()).toMatchObject({ jsonrpc: '2.0', error: { code: -32001 } });
  });

  it('serves several sessions at once, each with its own server', async () => {
    const created: string[] = [];
    const entry = await start({
      createMcpServer: (context) => {
        created.push(context.transport);
        return createTestMcpServer(context);
      },
    });
    const [one, two] = await Promise.all([connectStreamable(entry), connectStreamable(entry)]);
    expect(one.transport.sessionId).not.toBe(two.transport.sessionId);
    const [a, b] = await Promise.all([
      one.client.callTool({ name: 'echo', arguments: { text: 'one' } }),
      two.client.callTool({ name: 'echo', arguments: { text: 'two' } }),
    ]);
    expect([textOf(a), textOf(b)]).toEqual(['one', 'two']);
    expect(created).toEqual(['streamable-http', 'streamable-http']);
  });

  it('closes a session that stays idle after its client goes away', async () => {
    const entry = await start({ mcpSessionIdleTimeoutMs: 50 });
    const { client, transport } = await connectStreamable(entry);
    await client.callTool({ name: 'echo', arguments: { text: 'x' } });
    const sessionId = transport.sessionId!;
    // Closing the client drops its event stream without ending the session.
    await client.close();
    await vi.waitFor(async () => {
      expect(await mcpSessions(entry)).toEqual({ streamableHttp: 0, sse: 0 });
    });
    const after = await fetch(`${entry.url}/mcp`, {
      method: 'POST',
      headers: { ...mcpHeaders, 'mcp-session-id': sessionId },
      body: JSON.stringify({ jsonrpc: '2.0', id: 3, method: 'tools/list' }),
    });
    expect(after.status).toBe(404);
  });

  it('rejects requests without a session and malformed bodies with JSON-RPC errors', async () => {
    const entry = await start();
    const noSession = await fetch(`${entry.url}/mcp`, {
      method: 'POST',
      headers: mcpHeaders,
      body: JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'tools/list' }),
    });
    expect(noSession.status).toBe(400);
    expect(await noSession.json()).toMatchObject({ error: { code: -32000 } });
    const malformed = await fetch(`${entry.url}/mcp`, {
      method: 'POST',
      headers: mcpHeaders,
      body: '{"jsonrpc":',
    });
    expect(malformed.status).toBe(400);
    expect(await malformed.json()).toMatchObject({ error: { code: -32700 } });
    const unknown = await fetch(`${entry.url}/mcp`, {
      method: 'GET',
      headers: { accept: 'text/event-stream', 'mcp-session-id': 'no-such-session' },
    });
    expect(unknown.status).toBe(404);
    expect(await mcpSessions(entry)).toEqual({ streamableHttp: 0, sse: 0 });
  });

  it('passes the key id to tools and keeps sessions private to their key', async () => {
    const apiKeys = [
      { id: 'alice', key: 'alice-secret-0123456789' },
      { id: 'bob', key: 'bob-secret-0123456789' },
    ];
    const entry = await start({ apiKeys });
    const denied = await fetch(`${entry.url}/mcp`, {
      method: 'POST',
      headers: mcpHeaders,
      body: JSON.stringify(initializeBody),
    });
    expect(denied.status).toBe(401);
    expect(await denied.json()).toMatchObject({ error: { code: 'UNAUTHORIZED' } });

    const { client, transport } = await connectStreamable(entry, {
      authorization: 'Bearer alice-secret-0123456789',
    });
    expect(JSON.parse(textOf(await client.callTool({ name: 'whoami', arguments: {} })))).toEqual({
      clientId: 'alice',
      actor: 'alice',
      transport: 'streamable-http',
    });
    const stolen = await fetch(`${entry.url}/mcp`, {
      method: 'POST',
      headers: {
        ...mcpHeaders,
        'x-api-key': 'bob-secret-0123456789',
        'mcp-session-id': transport.sessionId!,
      },
      body: JSON.stringify({ jsonrpc: '2.0', id: 9, method: 'tools/list' }),
    });
    expect(stolen.status).toBe(404);
  });

  it('closes every session when the app closes and refuses new ones', async () => {
    const entry = await start();
    const { client } = await connectStreamable(entry);
    await connectSse(entry);
    expect(await mcpSessions(entry)).toEqual({ streamableHttp: 1, sse: 1 });
    await entry.t.close();
    expect(await mcpSessions(entry)).toEqual({ streamableHttp: 0, sse: 0 });
    await expect(client.listTools()).rejects.toThrow();
    const refused = await fetch(`${entry.url}/mcp`, {
      method: 'POST',
      headers: mcpHeaders,
      body: JSON.stringify(initializeBody),
    });
    expect(refused.status).toBe(503);
    const legacy = await fetch(`${entry.url}/sse`);
    expect(legacy.status).toBe(503);
    expect(await legacy.json()).toMatchObject({ error: { code: 'UNAVAILABLE' } });
  });
});

describe('MCP over legacy HTTP+SSE', () => {
  it('opens a stream, calls tools through /messages and cleans up on disconnect', async () => {
    const entry = await start({ apiKeys: [{ id: 'legacy', key: 'legacy-secret-0123456789' }] });
    const headers = { 'x-api-key': 'legacy-secret-0123456789' };
    const client = await connectSse(entry, headers);
    const tools = await client.listTools();
    expect(tools.tools.map((tool) => tool.name).sort()).toEqual(['echo', 'whoami']);
    expect(textOf(await client.callTool({ name: 'echo', arguments: { text: 'old' } }))).toBe('old');
    expect(JSON.parse(textOf(await client.callTool({ name: 'whoami', arguments: {} })))).toEqual({
      clientId: 'legacy',
      actor: 'legacy',
      transport: 'sse',
    });
    expect(await mcpSessions(entry, headers)).toEqual({ streamableHttp: 0, sse: 1 });
    await client.close();
    await vi.waitFor(async () => {
      expect(await mcpSessions(entry, headers)).toEqual({ streamableHttp: 0, sse: 0 });
    });
  });

  it('answers unknown sessions and bad messages in the one error shape', async () => {
    const entry = await start();
    const unknown = await fetch(`${entry.url}/messages?sessionId=nope`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'tools/list' }),
    });
    expect(unknown.status).toBe(404);
    expect(await unknown.json()).toMatchObject({ error: { code: 'NOT_FOUND' } });
    const missing = await fetch(`${entry.url}/messages`, { method: 'POST', body: '{}' });
    expect(missing.status).toBe(400);

    // Open a raw stream to learn a session id, then post garbage to it.
    const controller = new AbortController();
    const stream = await fetch(`${entry.url}/sse`, { signal: controller.signal });
    const reader = stream.body!.getReader();
    const first = new TextDecoder().decode((await reader.read()).value as Uint8Array);
    const endpoint = /data: (\S+)/.exec(first)?.[1];
    expect(endpoint).toMatch(/^\/messages\?sessionId=[0-9a-f-]{36}$/);
    const garbage = await fetch(`${entry.url}${endpoint}`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ hello: 'world' }),
    });
    expect(garbage.status).toBe(400);
    expect(await garbage.json()).toMatchObject({ error: { code: 'INVALID_INPUT' } });
    controller.abort();
    await reader.cancel().catch(() => {});
  });
});

describe('over a real socket', () => {
  it('rate limits by the socket address when authentication is off', async () => {
    const entry = await start({ rateLimit: { requestsPerMinute: 1, burst: 1 } });
    expect((await fetch(`${entry.url}/api/v1/agents`)).status).toBe(200);
    const limited = await fetch(`${entry.url}/api/v1/agents`);
    expect(limited.status).toBe(429);
    expect(Number(limited.headers.get('retry-after'))).toBeGreaterThanOrEqual(1);
    expect((await fetch(`${entry.url}/health`)).status).toBe(200);
  });

  it('limits wrong API keys per socket address with 429 and Retry-After', async () => {
    const key = 'right-secret-0123456789';
    const entry = await start({
      apiKeys: [{ id: 'right', key }],
      rateLimit: false,
      authFailureLimit: { failuresPerMinute: 1, burst: 5 },
    });
    const statuses: number[] = [];
    for (let attempt = 0; attempt < 12; attempt += 1) {
      const response = await fetch(`${entry.url}/api/v1/agents`, {
        headers: { authorization: `Bearer wrong-${attempt}` },
      });
      statuses.push(response.status);
      await response.body?.cancel();
    }
    expect(statuses).toEqual([...Array<number>(5).fill(401), ...Array<number>(7).fill(429)]);
    const blocked = await fetch(`${entry.url}/api/v1/agents`, {
      headers: { authorization: `Bearer ${key}` },
    });
    expect(blocked.status).toBe(429);
    expect(Number(blocked.headers.get('retry-after'))).toBeGreaterThanOrEqual(1);
  });

  it('rejects a streamed body over the limit with 413', async () => {
    const entry = await start({ maxBodyBytes: 2048 });
    const chunk = new TextEncoder().encode('x'.repeat(1024));
    let sent = 0;
    const body = new ReadableStream<Uint8Array>({
      pull(controller) {
        if (sent >= 8) {
          controller.close();
          return;
        }
        sent += 1;
        controller.enqueue(chunk);
      },
    });
    const response = await fetch(`${entry.url}/api/v1/lessons`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body,
      duplex: 'half',
    });
    expect(response.status).toBe(413);
    expect(await response.json()).toMatchObject({ error: { code: 'PAYLOAD_TOO_LARGE' } });
  });
});

describe('MCP session limits over a real socket', () => {
  const alice = { id: 'alice', key: 'alice-secret-0123456789' };
  const bob = { id: 'bob', key: 'bob-secret-0123456789' };

  it('a storm of SDK clients from one key leaves room for another key', async () => {
    const entry = await start({
      apiKeys: [alice, bob],
      mcpMaxSessions: 12,
      mcpMaxSessionsPerClient: 4,
    });
    const aliceHeaders = { authorization: `Bearer ${alice.key}` };
    // The SDK's close() ends the connection without DELETE, so the server never hears of it.
    for (let index = 0; index < 30; index += 1) {
      const { client } = await connectStreamable(entry, aliceHeaders);
      await client.close();
    }
    expect((await mcpSessions(entry, aliceHeaders)).streamableHttp).toBe(4);
    const { client: bobClient } = await connectStreamable(entry, {
      authorization: `Bearer ${bob.key}`,
    });
    expect(
      JSON.parse(textOf(await bobClient.callTool({ name: 'whoami', arguments: {} }))),
    ).toMatchObject({
      clientId: 'bob',
    });
    const { client: aliceAgain } = await connectStreamable(entry, aliceHeaders);
    expect(
      textOf(await aliceAgain.callTool({ name: 'echo', arguments: { text: 'still here' } })),
    ).toBe('still here');
  });

  it('closes sessions whose initialize was cut off after the handshake timeout', async () => {
    const entry = await start({ mcpHandshakeTimeoutMs: 200 });
    for (let index = 0; index < 5; index += 1) {
      const response = await fetch(`${entry.url}/mcp`, {
        method: 'POST',
        headers: mcpHeaders,
        body: JSON.stringify(initializeBody),
      });
      expect(response.status).toBe(200);
      await response.body?.cancel();
    }
    const { client } = await connectStreamable(entry);
    await vi.waitFor(async () => expect((await mcpSessions(entry)).streamableHttp).toBe(1), {
      timeout: 5_000,
      interval: 50,
    });
    expect((await client.listTools()).tools.length).toBeGreaterThan(0);
  });
});
