import { randomUUID } from 'node:crypto';
import type { Logger } from '@nellie/core';
import type { AuthInfo } from '@modelcontextprotocol/sdk/server/auth/types.js';
import type { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import { WebStandardStreamableHTTPServerTransport } from '@modelcontextprotocol/sdk/server/webStandardStreamableHttp.js';
import type { McpSessionContext } from '../app-options.ts';
import { WebSseServerTransport } from './sse-transport.ts';

interface StreamableSession {
  id: string;
  actor: string;
  server: McpServer;
  transport: WebStandardStreamableHTTPServerTransport;
  /** Requests whose response (often an event stream) is still open. */
  active: number;
  idleTimer: ReturnType<typeof setTimeout> | undefined;
  closed: boolean;
}

interface SseSession {
  id: string;
  actor: string;
  server: McpServer;
  transport: WebSseServerTransport;
}

export interface McpSessionManagerOptions {
  createMcpServer: (context: McpSessionContext) => McpServer;
  idleTimeoutMs: number;
  maxSessions: number;
  keepAliveMs: number;
  maxBodyBytes: number;
  logger: Logger;
}

/** The outcome of looking a session up for a request. */
export type SessionLookup =
  | { found: true; handle: (request: Request, parsedBody: unknown) => Promise<Response> }
  | { found: false };

/**
 * Owns every MCP session served over HTTP: one `McpServer` per session, closed on `DELETE`, when
 * its event stream goes away (SSE) or after `idleTimeoutMs` without requests (Streamable HTTP).
 */
export class McpSessionManager {
  readonly #options: McpSessionManagerOptions;
  readonly #streamable = new Map<string, StreamableSession>();
  readonly #sse = new Map<string, SseSession>();
  /** Sessions being created (initialize in progress) count against the limit too. */
  #pending = 0;
  #closed = false;

  constructor(options: McpSessionManagerOptions) {
    this.#options = options;
  }

  counts(): { streamableHttp: number; sse: number } {
    return { streamableHttp: this.#streamable.size, sse: this.#sse.size };
  }

  get accepting(): boolean {
    return !this.#closed;
  }

  get full(): boolean {
    return this.#streamable.size + this.#sse.size + this.#pending >= this.#options.maxSessions;
  }

  /** Finds a Streamable HTTP session owned by `actor`. Another actor's session is "not found". */
  lookupStreamable(
    sessionId: string,
    actor: string,
    authInfo: AuthInfo | undefined,
  ): SessionLookup {
    const session = this.#streamable.get(sessionId);
    if (!session || session.closed || session.actor !== actor) return { found: false };
    return {
      found: true,
      handle: (request, parsedBody) => this.#handle(session, request, parsedBody, authInfo),
    };
  }

  /** Creates a session for an `initialize` request and answers it. */
  async initializeStreamable(
    request: Request,
    parsedBody: unknown,
    actor: string,
    authInfo: AuthInfo | undefined,
  ): Promise<Response> {
    this.#pending += 1;
    let session: StreamableSession | undefined;
    try {
      const server = this.#options.createMcpServer({ transport: 'streamable-http', actor });
      const transport = new WebStandardStreamableHTTPServerTransport({
        sessionIdGenerator: () => randomUUID(),
        keepAliveMs: this.#options.keepAliveMs,
        maxRequestBodySize: this.#options.maxBodyBytes,
        onsessioninitialized: (id) => {
          if (!session) return;
          session.id = id;
          this.#streamable.set(id, session);
          this.#options.logger.info(
            { sessionId: id, actor, transport: 'streamable-http' },
            'MCP session opened',
          );
        },
      });
      session = {
        id: '',
        actor,
        server,
        transport,
        active: 0,
        idleTimer: undefined,
        closed: false,
      };
      const current = session;
      transport.onclose = () => {
        void this.#closeStreamable(current, 'closed');
      };
      await server.connect(transport);
      const response = await this.#handle(session, request, parsedBody, authInfo);
      if (!session.id) {
        // Initialization was refused (bad request): nothing to keep.
        await this.#closeStreamable(session, 'initialize failed');
      }
      return response;
    } catch (error) {
      if (session) await this.#closeStreamable(session, 'initialize failed');
      throw error;
    } finally {
      this.#pending -= 1;
    }
  }

  /** Opens a legacy SSE session; returns the event stream response. */
  async openSse(endpoint: string, actor: string): Promise<Response> {
    this.#pending += 1;
    try {
      const transport = new WebSseServerTransport(endpoint, {
        keepAliveMs: this.#options.keepAliveMs,
      });
      const server = this.#options.createMcpServer({ transport: 'sse', actor });
      const session: SseSession = { id: transport.sessionId, actor, server, transport };
      transport.onclose = () => {
        void this.#closeSse(session, 'stream closed');
      };
      this.#sse.set(session.id, session);
      await server.connect(transport);
      this.#options.logger.info(
        { sessionId: session.id, actor, transport: 'sse' },
        'MCP session opened',
      );
      return new Response(transport.stream, {
        headers: {
          'Content-Type': 'text/event-stream',
          'Cache-Control': 'no-cache, no-transform',
          Connection: 'keep-alive',
          'X-Accel-Buffering': 'no',
        },
      });
    } finally {
      this.#pending -= 1;
    }
  }

  /** The SSE session `sessionId` if it exists and belongs to `actor`. */
  lookupSse(sessionId: string, actor: string): WebSseServerTransport | undefined {
    const session = this.#sse.get(sessionId);
    if (!session || session.actor !== actor || session.transport.closed) return undefined;
    return session.transport;
  }

  /** Closes every session and refuses new ones. */
  async close(): Promise<void> {
    this.#closed = true;
    await Promise.all([
      ...[...this.#streamable.values()].map((session) =>
        this.#closeStreamable(session, 'shutdown'),
      ),
      ...[...this.#sse.values()].map((session) => this.#closeSse(session, 'shutdown')),
    ]);
  }

  async #handle(
    session: StreamableSession,
    request: Request,
    parsedBody: unknown,
    authInfo: AuthInfo | undefined,
  ): Promise<Response> {
    this.#activityStarted(session);
    let response: Response;
    try {
      response = await session.transport.handleRequest(request, { parsedBody, authInfo });
    } catch (error) {
      this.#activityEnded(session);
      throw error;
    }
    return trackBody(response, () => this.#activityEnded(session));
  }

  #activityStarted(session: StreamableSession): void {
    session.active += 1;
    if (session.idleTimer) clearTimeout(session.idleTimer);
    session.idleTimer = undefined;
  }

  #activityEnded(session: StreamableSession): void {
    session.active -= 1;
    if (session.active > 0 || session.closed || !session.id) return;
    if (session.idleTimer) clearTimeout(session.idleTimer);
    session.idleTimer = setTimeout(() => {
      void this.#closeStreamable(session, 'idle');
    }, this.#options.idleTimeoutMs);
    session.idleTimer.unref();
  }

  async #closeStreamable(session: StreamableSession, reason: string): Promise<void> {
    if (session.closed) return;
    session.closed = true;
    if (session.idleTimer) clearTimeout(session.idleTimer);
    if (session.id && this.#streamable.get(session.id) === session) {
      this.#streamable.delete(session.id);
      this.#options.logger.info(
        { sessionId: session.id, actor: session.actor, transport: 'streamable-http', reason },
        'MCP session closed',
      );
    }
    await closeQuietly(session.server, this.#options.logger);
  }

  async #closeSse(session: SseSession, reason: string): Promise<void> {
    if (this.#sse.get(session.id) !== session) return;
    this.#sse.delete(session.id);
    this.#options.logger.info(
      { sessionId: session.id, actor: session.actor, transport: 'sse', reason },
      'MCP session closed',
    );
    await closeQuietly(session.server, this.#options.logger);
  }
}

async function closeQuietly(server: McpServer, logger: Logger): Promise<void> {
  try {
    await server.close();
  } catch (error) {
    logger.warn({ err: error }, 'closing an MCP server failed');
  }
}

/** Calls `onDone` once the response body has been fully sent or abandoned by the client. */
function trackBody(response: Response, onDone: () => void): Response {
  if (!response.body) {
    onDone();
    return response;
  }
  const reader = response.body.getReader();
  let finished = false;
  const finish = (): void => {
    if (finished) return;
    finished = true;
    onDone();
  };
  const body = new ReadableStream<Uint8Array>(
    {
      async pull(controller) {
        try {
          const chunk = await reader.read();
          if (chunk.done) {
            controller.close();
            finish();
          } else {
            controller.enqueue(chunk.value as Uint8Array);
          }
        } catch (error) {
          controller.error(error);
          finish();
        }
      },
      async cancel(reason) {
        finish();
        await reader.cancel(reason);
      },
    },
    { highWaterMark: 0 },
  );
  return new Response(body, {
    status: response.status,
    statusText: response.statusText,
    headers: response.headers,
  });
}
