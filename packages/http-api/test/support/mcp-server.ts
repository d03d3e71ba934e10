import { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import { z } from 'zod';
import type { McpSessionContext } from '../../src/index.ts';

/** An MCP server with two small tools: `echo`, and `whoami` reporting what the session knows. */
export function createTestMcpServer(context: McpSessionContext): McpServer {
  const server = new McpServer({ name: 'nellie-test', version: '0.0.0' });
  server.registerTool(
    'echo',
    { description: 'Returns its text.', inputSchema: { text: z.string() } },
    ({ text }) => ({ content: [{ type: 'text', text }] }),
  );
  server.registerTool('whoami', { description: 'Reports the caller identity.' }, (extra) => ({
    content: [
      {
        type: 'text',
        text: JSON.stringify({
          clientId: extra.authInfo?.clientId ?? null,
          actor: context.actor,
          transport: context.transport,
        }),
      },
    ],
  }));
  return server;
}
