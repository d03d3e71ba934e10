/**
 * The MCP and HTTP modules, imported only by the commands that serve them, so one-shot commands
 * start quickly.
 */
import type { createAdaptorServer } from '@hono/node-server';
import type { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import type { createHttpApp } from '@nellie/http-api';
import type { registerNellieTools } from '@nellie/mcp-tools';
import type { Registry } from 'prom-client';

export interface McpModules {
  McpServer: typeof McpServer;
  registerNellieTools: typeof registerNellieTools;
}

export interface HttpModules {
  createHttpApp: typeof createHttpApp;
  createAdaptorServer: typeof createAdaptorServer;
  Registry: typeof Registry;
}

export async function loadMcpModules(): Promise<McpModules> {
  const [{ McpServer }, { registerNellieTools }] = await Promise.all([
    import('@modelcontextprotocol/sdk/server/mcp.js'),
    import('@nellie/mcp-tools'),
  ]);
  return { McpServer, registerNellieTools };
}

export async function loadHttpModules(): Promise<HttpModules> {
  const [{ createHttpApp }, { createAdaptorServer }, { Registry }] = await Promise.all([
    import('@nellie/http-api'),
    import('@hono/node-server'),
    import('prom-client'),
  ]);
  return { createHttpApp, createAdaptorServer, Registry };
}
