import type { AuthInfo } from '@modelcontextprotocol/sdk/server/auth/types.js';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { InMemoryTransport } from '@modelcontextprotocol/sdk/inMemory.js';
import { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import type { CallToolResult } from '@modelcontextprotocol/sdk/types.js';
import type { Logger } from '@nellie/core';
import { registerNellieTools, type NellieToolsDeps } from '../../src/index.ts';

export interface Harness {
  client: Client;
  server: McpServer;
  /** Calls a tool and returns its result (tool errors come back as `isError` results). */
  call(name: string, args?: Record<string, unknown>): Promise<CallToolResult>;
  close(): Promise<void>;
}

/**
 * An McpServer with Nellie's tools and a real SDK client, linked in memory. With `authInfo`,
 * every request carries it, as an authenticating HTTP transport would.
 */
export async function connect(
  deps: NellieToolsDeps,
  options: { authInfo?: AuthInfo } = {},
): Promise<Harness> {
  const server = new McpServer({ name: 'nellie-test', version: deps.version });
  registerNellieTools(server, deps);
  const [clientTransport, serverTransport] = InMemoryTransport.createLinkedPair();
  if (options.authInfo !== undefined) {
    const send = clientTransport.send.bind(clientTransport);
    const authInfo = options.authInfo;
    clientTransport.send = (message, sendOptions) => send(message, { ...sendOptions, authInfo });
  }
  const client = new Client({ name: 'nellie-test-client', version: '1.0.0' });
  await server.connect(serverTransport);
  await client.connect(clientTransport);
  // Listing tools makes the client check every structuredContent against its outputSchema.
  await client.listTools();
  return {
    client,
    server,
    call: async (name, args = {}) =>
      (await client.callTool({ name, arguments: args })) as CallToolResult,
    close: async () => {
      await client.close();
      await server.close();
    },
  };
}

/** The text of a result's first content block. */
export function textOf(result: CallToolResult): string {
  const [first] = result.content;
  if (first?.type !== 'text') throw new Error('expected a text content block');
  return first.text;
}

export interface LogRecord {
  level: 'debug' | 'info' | 'warn' | 'error';
  fields: Record<string, unknown>;
  message: string;
}

export function createRecordingLogger(): Logger & { records: LogRecord[] } {
  const records: LogRecord[] = [];
  const at =
    (level: LogRecord['level']) =>
    (fields: Record<string, unknown>, message: string): void => {
      records.push({ level, fields, message });
    };
  return { records, debug: at('debug'), info: at('info'), warn: at('warn'), error: at('error') };
}

export const readyModel = (modelId: string, dimensions: number) => () => ({
  state: 'ready' as const,
  modelId,
  dimensions,
  source: '/models/test',
});

export const disabledModel = () => ({
  state: 'disabled' as const,
  modelId: 'Xenova/all-MiniLM-L6-v2',
  message: 'No model found in /data/models. Run `nellie model pull` to enable semantic search.',
});
