import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { StdioServerTransport } from '@modelcontextprotocol/sdk/server/stdio.js';
import {
  isJSONRPCRequest,
  isJSONRPCResultResponse,
  type JSONRPCMessage,
} from '@modelcontextprotocol/sdk/types.js';
import { NellieError } from '@nellie/core';
import type { CommandContext } from '../cli.ts';
import { openRuntime } from '../compose.ts';
import { listHolders, registerHolder } from '../internal/process-registry.ts';
import { handleShutdown } from '../internal/shutdown.ts';
import type { AppLogger } from '../logger.ts';

/** Ends the process when the client closes stdin (how MCP clients stop a stdio server). */
function onStdinEnd(callback: () => void): void {
  process.stdin.once('end', callback);
  process.stdin.once('close', callback);
}

/**
 * `nellie mcp`: MCP over stdio straight from the data directory. Safe beside `nellie serve` on
 * the same directory: it starts no watchers and reconciles nothing, and leaves embedding the
 * backlog to the server when one is running.
 */
export async function runMcp(context: CommandContext): Promise<number> {
  const url = context.options.url;
  if (typeof url === 'string') return runRelay(context, url);
  const { config, logger } = context;
  const { settings } = config;

  const serverRunning = listHolders(settings.dataDir).some((holder) => holder.command === 'serve');
  const runtime = await openRuntime(config, {
    logger,
    indexer: true,
    embeddingPump: !serverRunning,
    mcp: true,
    announceModel: true,
    deferModelLoad: true,
    actor: 'local',
  });
  const holder = registerHolder(settings.dataDir, 'mcp');
  const server = runtime.createMcpServer('local');
  const transport = new StdioServerTransport();
  await server.connect(transport);
  runtime.startModel();
  logger.info(
    {
      dataDir: settings.dataDir,
      model: runtime.modelStatus().state,
      embeddingPump: !serverRunning,
    },
    'Nellie MCP server on stdio',
  );

  return new Promise<number>((resolve) => {
    const shutdown = handleShutdown({
      logger,
      timeoutMs: settings.shutdownTimeoutMs,
      exit: (code) => {
        shutdown.dispose();
        holder.release();
        resolve(code);
      },
      onShutdown: async () => {
        await server.close();
        await runtime.close();
      },
    });
    onStdinEnd(() => shutdown.trigger('stdin closed'));
  });
}

function relayError(message: JSONRPCMessage, text: string): JSONRPCMessage | undefined {
  if (!isJSONRPCRequest(message)) return undefined;
  return { jsonrpc: '2.0', id: message.id, error: { code: -32000, message: text } };
}

/** `nellie mcp --url`: relays stdio to a running server's Streamable HTTP endpoint. */
async function runRelay(context: CommandContext, url: string): Promise<number> {
  const { config, logger } = context;
  let target: URL;
  try {
    target = new URL(url);
    if (target.protocol !== 'http:' && target.protocol !== 'https:') throw new Error('protocol');
  } catch {
    throw new NellieError(
      'INVALID_INPUT',
      `--url must be an http(s) URL such as http://127.0.0.1:8080/mcp, not "${url}".`,
    );
  }
  if (target.pathname === '/' || target.pathname === '') target.pathname = '/mcp';
  const key = config.settings.apiKeys[0]?.key;
  const remote = new StreamableHTTPClientTransport(target, {
    requestInit: key ? { headers: { authorization: `Bearer ${key}` } } : {},
  });
  const local = new StdioServerTransport();
  return relay(local, remote, logger, target, config.settings.shutdownTimeoutMs);
}

async function relay(
  local: StdioServerTransport,
  remote: StreamableHTTPClientTransport,
  logger: AppLogger,
  target: URL,
  timeoutMs: number,
): Promise<number> {
  const initializeIds = new Set<string | number>();
  local.onmessage = (message) => {
    if (isJSONRPCRequest(message) && message.method === 'initialize') initializeIds.add(message.id);
    remote.send(message).catch((error: unknown) => {
      const text = `Nellie at ${target.href} did not accept the message: ${error instanceof Error ? error.message : String(error)}`;
      logger.error({ url: target.href, err: error }, 'Relaying a message failed');
      const reply = relayError(message, text);
      if (reply) void local.send(reply);
    });
  };
  remote.onmessage = (message) => {
    if (isJSONRPCResultResponse(message) && initializeIds.delete(message.id)) {
      const version = (message.result as { protocolVersion?: unknown }).protocolVersion;
      if (typeof version === 'string') remote.setProtocolVersion(version);
    }
    void local.send(message);
  };
  remote.onerror = (error) =>
    logger.warn({ url: target.href, err: error }, 'Relay connection error');
  local.onerror = (error) => logger.warn({ err: error }, 'stdio error');

  await remote.start();
  await local.start();
  logger.info({ url: target.href }, 'Relaying MCP between stdio and the server');

  return new Promise<number>((resolve) => {
    const shutdown = handleShutdown({
      logger,
      timeoutMs,
      exit: (code) => {
        shutdown.dispose();
        resolve(code);
      },
      onShutdown: async () => {
        if (remote.sessionId) {
          await remote.terminateSession().catch(() => {});
        }
        await remote.close();
        await local.close();
      },
    });
    onStdinEnd(() => shutdown.trigger('stdin closed'));
  });
}
