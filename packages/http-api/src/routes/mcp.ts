import type { AuthInfo } from '@modelcontextprotocol/sdk/server/auth/types.js';
import { isInitializeRequest, JSONRPCMessageSchema } from '@modelcontextprotocol/sdk/types.js';
import type { Hono } from 'hono';
import type { ContentfulStatusCode } from 'hono/utils/http-status';
import { HttpError } from '../internal/http-error.ts';
import { accessOf, actorOf, type AppContext, type HttpAppEnv } from '../internal/env.ts';
import type { McpSessionManager, SessionRefusal } from '../internal/mcp-sessions.ts';
import {
  isJsonContentType,
  jsonContentTypeMessage,
  requireJsonContentType,
} from '../internal/request-guard.ts';

/** A JSON-RPC error response, the shape MCP clients expect from the MCP endpoints. */
function jsonRpcError(
  c: AppContext,
  status: ContentfulStatusCode,
  code: number,
  message: string,
): Response {
  return c.json({ jsonrpc: '2.0', error: { code, message }, id: null }, status);
}

/**
 * The client's identity as MCP handlers see it (`extra.authInfo`); never the secret itself.
 * `clientId` is the audit actor, `scopes` the key's scope and `extra.repositories` the
 * repositories it is limited to (absent: every repository), as `@nellie/mcp-tools` reads them.
 */
function authInfoOf(c: AppContext): AuthInfo | undefined {
  const keyId = c.get('keyId');
  if (keyId === undefined) return undefined;
  const access = accessOf(c);
  return {
    token: keyId,
    clientId: access.principal,
    scopes: [access.scope],
    extra: {
      keyId,
      ...(access.repositories === null ? {} : { repositories: [...access.repositories] }),
    },
  };
}

async function readJson(c: AppContext): Promise<{ ok: true; value: unknown } | { ok: false }> {
  try {
    return { ok: true, value: JSON.parse(await c.req.text()) as unknown };
  } catch {
    return { ok: false };
  }
}

/** A JSON-RPC 2.0 message, or a non-empty batch of them. */
const isJsonRpc = (body: unknown): boolean =>
  Array.isArray(body)
    ? body.length > 0 && body.every((message) => JSONRPCMessageSchema.safeParse(message).success)
    : JSONRPCMessageSchema.safeParse(body).success;

const isInitialize = (body: unknown): boolean =>
  Array.isArray(body)
    ? body.some((message) => isInitializeRequest(message))
    : isInitializeRequest(body);

/**
 * MCP over Streamable HTTP at `/mcp` and the legacy HTTP+SSE transport at `/sse` + `/messages`.
 * Each session gets its own `McpServer`; sessions belong to the API key that opened them.
 */
export function registerMcpRoutes(
  app: Hono<HttpAppEnv>,
  sessions: McpSessionManager,
  options: {
    /** Streamable HTTP without sessions: every POST is served on its own (see `mcpStateless`). */
    stateless: boolean;
    /** Whom per-client session limits count against: the key id, or the address without auth. */
    clientOf: (c: AppContext) => string;
    onRefused: (reason: SessionRefusal) => void;
  },
): void {
  const refusalMessage = (reason: SessionRefusal): string =>
    reason === 'server_limit'
      ? 'Too many MCP sessions are open on this server; try again later.'
      : 'This client holds too many MCP sessions that are in use; end unused ones with DELETE /mcp, or try again later.';
  const admit = (c: AppContext): SessionRefusal | null => {
    const refusal = sessions.admit(options.clientOf(c));
    if (refusal) options.onRefused(refusal);
    return refusal;
  };

  app.on(['GET', 'POST', 'DELETE'], '/mcp', async (c) => {
    if (!sessions.accepting) return jsonRpcError(c, 503, -32000, 'The server is shutting down.');
    const actor = actorOf(c);
    const authInfo = authInfoOf(c);
    let parsedBody: unknown;
    if (c.req.method === 'POST') {
      if (!isJsonContentType(c.req.header('content-type'))) {
        return jsonRpcError(c, 415, -32000, `Unsupported Media Type: ${jsonContentTypeMessage}`);
      }
      const body = await readJson(c);
      if (!body.ok) return jsonRpcError(c, 400, -32700, 'Parse error: the body is not valid JSON.');
      if (!isJsonRpc(body.value)) {
        return jsonRpcError(
          c,
          400,
          -32600,
          'Invalid Request: the body is not a JSON-RPC 2.0 message (it needs "jsonrpc": "2.0" and a method or a result).',
        );
      }
      parsedBody = body.value;
    }
    if (options.stateless) {
      if (c.req.method !== 'POST') {
        c.header('Allow', 'POST');
        return jsonRpcError(
          c,
          405,
          -32000,
          'Method Not Allowed: this server serves MCP without sessions; send every message with POST.',
        );
      }
      return sessions.handleStateless(c.req.raw, parsedBody, actor, authInfo);
    }
    const sessionId = c.req.header('mcp-session-id');
    if (sessionId) {
      const session = sessions.lookupStreamable(sessionId, actor, authInfo);
      if (!session.found) {
        return jsonRpcError(
          c,
          404,
          -32001,
          'Session not found: it ended or expired; initialize a new one.',
        );
      }
      return session.handle(c.req.raw, parsedBody);
    }
    if (c.req.method !== 'POST' || !isInitialize(parsedBody)) {
      return jsonRpcError(
        c,
        400,
        -32000,
        'Bad Request: send an initialize request first, then the Mcp-Session-Id header it returns.',
      );
    }
    const refusal = admit(c);
    if (refusal) {
      c.header('Retry-After', '30');
      return jsonRpcError(
        c,
        refusal === 'server_limit' ? 503 : 429,
        -32000,
        refusalMessage(refusal),
      );
    }
    return sessions.initializeStreamable(
      c.req.raw,
      parsedBody,
      { actor, client: options.clientOf(c) },
      authInfo,
    );
  });

  app.get('/sse', async (c) => {
    if (!sessions.accepting) {
      throw new HttpError(503, 'UNAVAILABLE', 'The server is shutting down.');
    }
    const refusal = admit(c);
    if (refusal) {
      throw new HttpError(
        refusal === 'server_limit' ? 503 : 429,
        refusal === 'server_limit' ? 'UNAVAILABLE' : 'RATE_LIMITED',
        refusalMessage(refusal),
        { headers: { 'Retry-After': '30' } },
      );
    }
    // Messages go to `messages` beside the stream, wherever the app is mounted.
    const endpoint = c.req.path.replace(/sse$/, 'messages');
    return sessions.openSse(endpoint, { actor: actorOf(c), client: options.clientOf(c) });
  });

  app.post('/messages', async (c) => {
    const sessionId = c.req.query('sessionId');
    if (!sessionId) {
      throw new HttpError(400, 'INVALID_INPUT', 'The sessionId query parameter is required.');
    }
    const session = sessions.lookupSse(sessionId, actorOf(c));
    if (!session) {
      throw new HttpError(
        404,
        'NOT_FOUND',
        'No open SSE session with this id on this server. The legacy SSE transport (GET /sse, then POST /messages) keeps each session on the server that opened its stream, so behind a load balancer both requests must reach the same server: use MCP Streamable HTTP at /mcp instead, or sticky sessions for /sse and /messages. On a single server the stream ended: open a new one with GET /sse.',
      );
    }
    requireJsonContentType(c);
    const body = await readJson(c);
    if (!body.ok) throw new HttpError(400, 'INVALID_INPUT', 'The request body is not valid JSON.');
    try {
      session.deliver(body.value, {
        authInfo: authInfoOf(c),
        requestInfo: { headers: Object.fromEntries(c.req.raw.headers), url: new URL(c.req.url) },
      });
    } catch {
      throw new HttpError(400, 'INVALID_INPUT', 'The request body is not a JSON-RPC message.');
    }
    return c.body('Accepted', 202);
  });
}
