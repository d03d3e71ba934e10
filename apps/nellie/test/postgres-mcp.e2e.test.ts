import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { SSEClientTransport } from '@modelcontextprotocol/sdk/client/sse.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
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
  startServer,
  waitFor,
  type RunningServer,
} from './helpers.ts';

let postgres: PostgresServer | undefined;

beforeAll(async () => {
  postgres = await startPostgresServer();
}, 120_000);

afterAll(async () => {
  await killAllServers();
  await postgres?.destroy();
  removeTempDirs();
});

describe('MCP over Streamable HTTP behind a load balancer without sticky sessions', () => {
  it('a client whose requests alternate between two servers lists the tools and searches code', async () => {
    const env = cleanEnv({ NELLIE_DATABASE_URL: postgres!.connectionString });
    const servers: RunningServer[] = [
      await startServer({ dataDir: makeTempDir('nellie-pg-data-'), env }),
      await startServer({ dataDir: makeTempDir('nellie-pg-data-'), env }),
    ];
    const repo = createSampleRepo();
    const started = await fetchJson(
      `${servers[0]!.url}/api/v1/index/jobs`,
      jsonRequest('POST', { path: repo }),
    );
    const jobId = (started.body as { id: string }).id;
    await waitFor(
      async () =>
        (
          (await fetchJson(`${servers[1]!.url}/api/v1/index/jobs/${jobId}`)).body as {
            state: string;
          }
        ).state === 'succeeded',
      { what: 'the index job to finish' },
    );

    // The load balancer: each request goes to the next server in turn.
    const targets = servers.map((server) => new URL(server.url));
    const served: string[] = [];
    let turn = 0;
    const roundRobin: typeof fetch = (input, init) => {
      const url = new URL(input instanceof Request ? input.url : String(input));
      const target = targets[turn++ % targets.length]!;
      url.host = target.host;
      served.push(target.host);
      return fetch(url, init);
    };
    const transport = new StreamableHTTPClientTransport(new URL(`${servers[0]!.url}/mcp`), {
      fetch: roundRobin,
    });
    const client = new Client({ name: 'nellie-e2e', version: '1.0.0' });
    await client.connect(transport);
    try {
      expect(transport.sessionId).toBeUndefined();
      for (let round = 0; round < 2; round += 1) {
        const { tools } = await client.listTools();
        expect(tools.map((tool) => tool.name)).toContain('search_code');
        const result = await client.callTool({
          name: 'search_code',
          arguments: { query: 'factorial recursively', limit: 3 },
        });
        expect(result.isError).toBeFalsy();
        expect(JSON.stringify(result.content)).toContain('src/math.ts');
      }
    } finally {
      await client.close();
    }
    expect(new Set(served)).toEqual(new Set(targets.map((target) => target.host)));
    expect(served.length).toBeGreaterThanOrEqual(6);

    // Without sessions there is no server-initiated stream to open.
    const get = await fetch(`${servers[1]!.url}/mcp`, {
      headers: { accept: 'text/event-stream' },
    });
    expect(get.status).toBe(405);
    expect(get.headers.get('allow')).toBe('POST');
    for (const server of servers) expect(await server.stop()).toBe(0);
  }, 180_000);
});

describe('the legacy SSE transport behind a load balancer without sticky sessions', () => {
  it("a message posted to another server than the stream's fails at once, naming the cause and what to use", async () => {
    const env = cleanEnv({ NELLIE_DATABASE_URL: postgres!.connectionString });
    const servers: RunningServer[] = [
      await startServer({ dataDir: makeTempDir('nellie-pg-data-'), env }),
      await startServer({ dataDir: makeTempDir('nellie-pg-data-'), env }),
    ];
    const [first, second] = servers.map((server) => new URL(server.url));
    // The load balancer: the stream (GET /sse) reaches the first server, messages the second.
    const split: typeof fetch = (input, init) => {
      const url = new URL(input instanceof Request ? input.url : String(input));
      url.host = (init?.method ?? 'GET') === 'POST' ? second!.host : first!.host;
      return fetch(url, init);
    };
    const client = new Client({ name: 'nellie-e2e', version: '1.0.0' });
    const transport = new SSEClientTransport(new URL(`${servers[0]!.url}/sse`), { fetch: split });
    let failure: unknown;
    try {
      await client.connect(transport);
    } catch (error) {
      failure = error;
    } finally {
      await client.close();
    }
    expect(failure).toBeInstanceOf(Error);
    const message = (failure as Error).message;
    expect(message).toContain('HTTP 404');
    expect(message).toContain('No open SSE session with this id on this server');
    expect(message).toContain('use MCP Streamable HTTP at /mcp instead, or sticky sessions');

    // With both requests on one server, the same transport works.
    const direct = new Client({ name: 'nellie-e2e', version: '1.0.0' });
    await direct.connect(new SSEClientTransport(new URL(`${servers[1]!.url}/sse`)));
    try {
      const { tools } = await direct.listTools();
      expect(tools.map((tool) => tool.name)).toContain('search_code');
    } finally {
      await direct.close();
    }
    for (const server of servers) expect(await server.stop()).toBe(0);
  }, 180_000);
});
