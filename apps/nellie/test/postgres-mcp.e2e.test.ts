import { Client } from '@modelcontextprotocol/sdk/client/index.js';
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
