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
import { exitCodes } from '../internal/exit-codes.ts';
import { listHolders, registerHolder } from '../internal/process-registry.ts';
import { handleShutdown } from '../internal/shutdown.ts';
import type { AppLogger } from '../logger.ts';

/**
 * Largest JSON-RPC message accepted on stdin. The stream has no framing beyond newlines, so after
 * an oversized message the reader cannot find the next message boundary safely: the process logs
 * the error and exits with code 1 instead of guessing (the client sees its server end).
 */
export const maxStdioMessageBytes = 10 * 1024 * 1024;

function stdioTransport(): StdioServerTransport {
  return new StdioServerTransport(process.stdin, process.stdout, {
    maxBufferSize: maxStdioMessageBytes,
  });
}

/**
 * Watches the stdio transport: messages that are not valid JSON-RPC are logged and skipped; when
 * the transport closes by itself (an oversized message), the error is logged, `onFailure` marks
 * the run as failed and a shutdown starts.
 */
function superviseStdio(
  target: { onerror?: (error: Error) => void; onclose?: () => void },
  logger: AppLogger,
  shutdown: { readonly started: boolean; trigger(reason: string): void },
  onFailure: () => void,
): void {
  let lastError: Error | undefined;
  const previousError = target.onerror;
  const previousClose = target.onclose;
  target.onerror = (error) => {
    lastError = error;
    previousError?.(error);
    logger.warn({ err: error }, 'MCP error on stdio (an invalid message is skipped)');
  };
  target.onclose = () => {
    previousClose?.();
    if (shutdown.started) return;
    logger.error(
      { err: lastError, maxMessageBytes: maxStdioMessageBytes },
      `The stdio transport stopped (a message larger than ${maxStdioMessageBytes} bytes, or stdin failed); exiting with code 1`,
    );
    onFailure();
    shutdown.trigger('stdio transport failed');
  };
}

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
  await server.connect(stdioTransport());
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
    let failed = false;
    const shutdown = handleShutdown({
      logger,
      timeoutMs: settings.shutdownTimeoutMs,
      exit: (code) => {
        shutdown.dispose();
        holder.release();
        resolve(failed ? exitCodes.runtime : code);
      },
      onShutdown: async () => {
        await server.close();
        await runtime.close();
      },
    });
    superviseStdio(server.server, logger, shutdown, () => (failed = true));
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
  const local = stdioTransport();
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

  await remote.start();
  await local.start();
  logger.info({ url: target.href }, 'Relaying MCP between stdio and the server');

  return new Promise<number>((resolve) => {
    let failed = false;
    const shutdown = handleShutdown({
      logger,
      timeoutMs,
      exit: (code) => {
        shutdown.dispose();
        resolve(failed ? exitCodes.runtime : code);
      },
      onShutdown: async () => {
        if (remote.sessionId) {
          await remote.terminateSession().catch(() => {});
        }
        await remote.close();
        await local.close();
      },
    });
    superviseStdio(local, logger, shutdown, () => (failed = true));
    onStdinEnd(() => shutdown.trigger('stdin closed'));
  });
}
