import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import {
  killAllServers,
  removeTempDirs,
  startServer,
  type RunningServer,
} from '../test/helpers.ts';
import { report, scaled } from './support.ts';

afterEach(killAllServers);
afterAll(removeTempDirs);

const keyA = 'storm:aaaaaaaaaaaaaaaaaaaaaaaa';
const keyB = 'victim:bbbbbbbbbbbbbbbbbbbbbbbb';
const secret = (key: string) => key.slice(key.indexOf(':') + 1);

/** One MCP initialize over raw HTTP that never closes its session. */
async function openAbandonedSession(server: RunningServer, key: string): Promise<number> {
  const response = await fetch(`${server.url}/mcp`, {
    method: 'POST',
    headers: {
      authorization: `Bearer ${secret(key)}`,
      'content-type': 'application/json',
      accept: 'application/json, text/event-stream',
    },
    body: JSON.stringify({
      jsonrpc: '2.0',
      id: 1,
      method: 'initialize',
      params: {
        protocolVersion: '2025-03-26',
        capabilities: {},
        clientInfo: { name: 'storm', version: '1' },
      },
    }),
  });
  await response.body?.cancel();
  return response.status;
}

async function openSessions(server: RunningServer): Promise<number> {
  const response = await fetch(`${server.url}/metrics`, {
    headers: { authorization: `Bearer ${secret(keyB)}` },
  });
  const text = await response.text();
  const match = /^nellie_mcp_sessions\{transport="streamable-http"\} (\d+)/m.exec(text);
  if (!match) throw new Error(`No nellie_mcp_sessions gauge in /metrics:\n${text.slice(0, 500)}`);
  return Number(match[1]);
}

describe('MCP session storms', () => {
  it('one client opening sessions without end does not lock another client out', async () => {
    const server = await startServer({
      args: ['--model', 'none', '--rate-limit', '0', '--api-key', keyA, '--api-key', keyB],
    });
    const storm = scaled(400, 2_000);
    const statuses = new Map<number, number>();
    for (let batch = 0; batch < storm; batch += 25) {
      const results = await Promise.all(
        Array.from({ length: 25 }, () => openAbandonedSession(server, keyA)),
      );
      for (const status of results) statuses.set(status, (statuses.get(status) ?? 0) + 1);
    }
    const heldAfterStorm = await openSessions(server);

    const client = new Client({ name: 'victim', version: '1' });
    await client.connect(
      new StreamableHTTPClientTransport(new URL(`${server.url}/mcp`), {
        requestInit: { headers: { authorization: `Bearer ${secret(keyB)}` } },
      }),
    );
    const tools = await client.listTools();
    expect(tools.tools.length).toBeGreaterThan(0);
    await client.close();

    // The storm's sessions are capped per client, far below the server-wide limit.
    expect(heldAfterStorm).toBeLessThanOrEqual(64);
    await server.stop();
    report('session storm', {
      sessionsOpened: storm,
      heldAfterStorm,
      ...Object.fromEntries([...statuses].map(([status, count]) => [`http${status}`, count])),
    });
  });
});
