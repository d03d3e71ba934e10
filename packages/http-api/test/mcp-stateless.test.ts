import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { afterEach, describe, expect, it } from 'vitest';
import { createTestApp, type TestApp } from './support/harness.ts';
import { serveOnLoopback } from './support/serve.ts';

const cleanup: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const step of cleanup.splice(0).reverse()) await step();
});

async function start(): Promise<{ t: TestApp; url: URL }> {
  const t = createTestApp({ mcpStateless: true });
  const server = await serveOnLoopback(t.app);
  cleanup.push(async () => {
    await t.close();
    await server.close();
  });
  return { t, url: new URL(server.url) };
}

describe('MCP Streamable HTTP without sessions (mcpStateless)', () => {
  it('serves a client whose requests alternate between two apps, issuing no session id', async () => {
    const apps = [await start(), await start()];
    let turn = 0;
    const hits = [0, 0];
    const roundRobin: typeof fetch = (input, init) => {
      const url = new URL(input instanceof Request ? input.url : String(input));
      const index = turn++ % apps.length;
      hits[index]! += 1;
      url.host = apps[index]!.url.host;
      return fetch(url, init);
    };
    const transport = new StreamableHTTPClientTransport(new URL('/mcp', apps[0]!.url), {
      fetch: roundRobin,
    });
    const client = new Client({ name: 'balanced', version: '1.0.0' });
    await client.connect(transport);
    cleanup.push(() => client.close());
    expect(transport.sessionId).toBeUndefined();
    for (let round = 0; round < 3; round += 1) {
      expect((await client.listTools()).tools.map((tool) => tool.name)).toContain('echo');
      const result = await client.callTool({ name: 'echo', arguments: { text: `round ${round}` } });
      expect(result.content).toEqual([{ type: 'text', text: `round ${round}` }]);
    }
    expect(hits[0]).toBeGreaterThan(1);
    expect(hits[1]).toBeGreaterThan(1);
    // Nothing is kept between requests.
    const status = (await (await fetch(new URL('/api/v1/status', apps[1]!.url))).json()) as {
      mcpSessions: { streamableHttp: number };
    };
    expect(status.mcpSessions.streamableHttp).toBe(0);
  });

  it('refuses GET and DELETE with 405, saying to POST every message', async () => {
    const { url } = await start();
    for (const method of ['GET', 'DELETE']) {
      const response = await fetch(new URL('/mcp', url), {
        method,
        headers: { accept: 'text/event-stream, application/json' },
      });
      expect(response.status).toBe(405);
      expect(response.headers.get('allow')).toBe('POST');
      const body = (await response.json()) as { error: { message: string } };
      expect(body.error.message).toMatch(/without sessions.*POST/);
    }
  });

  it('still rejects a body that is not JSON-RPC', async () => {
    const { url } = await start();
    const response = await fetch(new URL('/mcp', url), {
      method: 'POST',
      headers: {
        'content-type': 'application/json',
        accept: 'application/json, text/event-stream',
      },
      body: JSON.stringify({ hello: 'world' }),
    });
    expect(response.status).toBe(400);
  });
});
