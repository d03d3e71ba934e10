import { randomUUID } from 'node:crypto';
import type { Logger } from '@nellie/core';
import type { AuthInfo } from '@modelcontextprotocol/sdk/server/auth/types.js';
import type { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import { WebStandardStreamableHTTPServerTransport } from '@modelcontextprotocol/sdk/server/webStandardStreamableHttp.js';
import { WebSseServerTransport } from './sse-transport.ts';

/** What an MCP server factory learns about the session it serves. */
export interface McpSessionContext {
  /** `streamable-http` for `/mcp`, `sse` for the legacy `/sse` transport. */
  transport: 'streamable-http' | 'sse';
  /**
   * Who opened the session: the configured key's id, the principal of a stored key, or
   * `anonymous` when authentication is off. Each request carries its own scope in `authInfo`.
   */
  actor: string;
}

interface StreamableSession {
  id: string;
  actor: string;
  /** Whom the per-client limit counts this session against (key id, or address without auth). */
  client: string;
  /** True once the client sent `notifications/initialized`. */
  initialized: boolean;
  handshakeTimer: ReturnType<typeof setTimeout> | undefined;
  /** Order of last use, for choosing which idle session of a client to close first. */
  lastUsed: number;
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
  client: string;
  initialized: boolean;
  handshakeTimer: ReturnType<typeof setTimeout> | undefined;
  server: McpServer;
  transport: WebSseServerTransport;
}

export interface McpSessionManagerOptions {
  createMcpServer: (context: McpSessionContext) => McpServer;
  idleTimeoutMs: number;
  /** A session whose client has not sent `notifications/initialized` by then is closed. */
  handshakeTimeoutMs: number;
  maxSessions: number;
  /** Sessions one client (API key, or address without auth) may hold at once. */
  maxSessionsPerClient: number;
  keepAliveMs: number;
  maxBodyBytes: number;
  logger: Logger;
}

/** The outcome of looking a session up for a request. */
export type SessionLookup =
  | { found: true; handle: (request: Request, parsedBody: unknown) => Promise<Response> }
  | { found: false };

/** Why a new session was refused. */
export type SessionRefusal = 'server_limit' | 'client_limit';

const initializedMethod = 'notifications/initialized';

/** True when `body` (a message or a batch) holds the client's `notifications/initialized`. */
function hasInitialized(body: unknown): boolean {
  const messages: unknown[] = Array.isArray(body) ? body : [body];
  return messages.some(
    (message) =>
      typeof message === 'object' &&
      message !== null &&
      (message as { method?: unknown }).method === initializedMethod,
  );
}

/**
 * Owns every MCP session served over HTTP: one `McpServer` per session, closed on `DELETE`, when
 * its event stream goes away (SSE), after `idleTimeoutMs` without requests (Streamable HTTP), or
 * after `handshakeTimeoutMs` when the client never completed initialization. Each client may
 * hold `maxSessionsPerClient` sessions: at the limit its least recently used idle Streamable HTTP
 * session is closed to make room (clients often drop sessions without `DELETE`), and when none is
 * idle the new one is refused, so one client can never take every session of the server.
 */
export class McpSessionManager {
  readonly #options: McpSessionManagerOptions;
  readonly #streamable = new Map<string, StreamableSession>();
  readonly #sse = new Map<string, SseSession>();
  /** Sessions being created (initialize in progress) count against the limit too. */
  #pending = 0;
  readonly #pendingByClient = new Map<string, number>();
  #useCounter = 0;
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

  /**
   * Whether `client` may open one more session now. At the client's limit this closes its least
   * recently used idle Streamable HTTP session to make room. Call it right before opening the
   * session, with no `await` in between.
   */
  admit(client: string): SessionRefusal | null {
    if (this.full) return 'server_limit';
    let held = this.#pendingByClient.get(client) ?? 0;
    let idlest: StreamableSession | undefined;
    for (const session of this.#streamable.values()) {
      if (session.client !== client) continue;
      held += 1;
      if (session.active === 0 && (!idlest || session.lastUsed < idlest.lastUsed)) idlest = session;
    }
    for (const session of this.#sse.values()) if (session.client === client) held += 1;
    if (held < this.#options.maxSessionsPerClient) return null;
    if (!idlest) return 'client_limit';
    void this.#closeStreamable(idlest, 'client session limit');
    return null;
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
    identity: { actor: string; client: string },
    authInfo: AuthInfo | undefined,
  ): Promise<Response> {
    const { actor, client } = identity;
    this.#reserve(client);
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
          const opened = session;
          this.#startHandshakeTimer(opened, (reason) => this.#closeStreamable(opened, reason));
          this.#options.logger.info(
            { sessionId: id, actor, transport: 'streamable-http' },
            'MCP session opened',
          );
        },
      });
      session = {
        id: '',
        actor,
        client,
        initialized: false,
        handshakeTimer: undefined,
        lastUsed: 0,
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
      this.#release(client);
    }
  }

  /**
   * Answers one Streamable HTTP request without a session: a fresh MCP server and stateless
   * transport serve it and are closed once the response has been sent.
   */
  async handleStateless(
    request: Request,
    parsedBody: unknown,
    actor: string,
    authInfo: AuthInfo | undefined,
  ): Promise<Response> {
    const server = this.#options.createMcpServer({ transport: 'streamable-http', actor });
    const transport = new WebStandardStreamableHTTPServerTransport({
      sessionIdGenerator: undefined,
      keepAliveMs: this.#options.keepAliveMs,
      maxRequestBodySize: this.#options.maxBodyBytes,
    });
    const close = (): Promise<void> => closeQuietly(server, this.#options.logger);
    try {
      await server.connect(transport);
      const response = await transport.handleRequest(request, { parsedBody, authInfo });
      return trackBody(response, () => void close());
    } catch (error) {
      await close();
      throw error;
    }
  }

  /** Opens a legacy SSE session; returns the event stream response. */
  async openSse(endpoint: string, identity: { actor: string; client: string }): Promise<Response> {
    const { actor, client } = identity;
    this.#reserve(client);
    try {
      const transport = new WebSseServerTransport(endpoint, {
        keepAliveMs: this.#options.keepAliveMs,
      });
      const server = this.#options.createMcpServer({ transport: 'sse', actor });
      const session: SseSession = {
        id: transport.sessionId,
        actor,
        client,
        initialized: false,
        handshakeTimer: undefined,
        server,
        transport,
      };
      transport.onclose = () => {
        void this.#closeSse(session, 'stream closed');
      };
      this.#sse.set(session.id, session);
      this.#startHandshakeTimer(session, (reason) => this.#closeSse(session, reason));
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
      this.#release(client);
    }
  }

  /**
   * The SSE session `sessionId` if it exists and belongs to `actor`: `deliver` hands it a message
   * the client posted (and throws when that is not a JSON-RPC message).
   */
  lookupSse(
    sessionId: string,
    actor: string,
  ):
    | {
        deliver: (
          message: unknown,
          extra: Parameters<WebSseServerTransport['handleMessage']>[1],
        ) => void;
      }
    | undefined {
    const session = this.#sse.get(sessionId);
    if (!session || session.actor !== actor || session.transport.closed) return undefined;
    return {
      deliver: (message, extra) => {
        session.transport.handleMessage(message, extra);
        if (hasInitialized(message)) this.#handshakeCompleted(session);
      },
    };
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
    if (hasInitialized(parsedBody)) this.#handshakeCompleted(session);
    let response: Response;
    try {
      response = await session.transport.handleRequest(request, { parsedBody, authInfo });
    } catch (error) {
      this.#activityEnded(session);
      throw error;
    }
    return trackBody(response, () => this.#activityEnded(session));
  }

  #reserve(client: string): void {
    this.#pending += 1;
    this.#pendingByClient.set(client, (this.#pendingByClient.get(client) ?? 0) + 1);
  }

  #release(client: string): void {
    this.#pending -= 1;
    const left = (this.#pendingByClient.get(client) ?? 1) - 1;
    if (left > 0) this.#pendingByClient.set(client, left);
    else this.#pendingByClient.delete(client);
  }

  #startHandshakeTimer(
    session: StreamableSession | SseSession,
    close: (reason: string) => Promise<void>,
  ): void {
    session.handshakeTimer = setTimeout(() => {
      void close('initialize not completed');
    }, this.#options.handshakeTimeoutMs);
    session.handshakeTimer.unref();
  }

  #handshakeCompleted(session: StreamableSession | SseSession): void {
    session.initialized = true;
    if (session.handshakeTimer) clearTimeout(session.handshakeTimer);
    session.handshakeTimer = undefined;
  }

  #activityStarted(session: StreamableSession): void {
    session.active += 1;
    this.#useCounter += 1;
    session.lastUsed = this.#useCounter;
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
    if (session.handshakeTimer) clearTimeout(session.handshakeTimer);
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
    if (session.handshakeTimer) clearTimeout(session.handshakeTimer);
    // Ends the event stream when the server closes the session (limit, handshake timeout).
    await session.transport.close();
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
