import { randomUUID } from 'node:crypto';
import type { AuthInfo } from '@modelcontextprotocol/sdk/server/auth/types.js';
import type { Transport } from '@modelcontextprotocol/sdk/shared/transport.js';
import {
  JSONRPCMessageSchema,
  type JSONRPCMessage,
  type MessageExtraInfo,
} from '@modelcontextprotocol/sdk/types.js';

/**
 * The legacy MCP HTTP+SSE server transport on Web-standard streams: a `GET` opens an event stream
 * whose first event names the endpoint for messages; the client `POST`s JSON-RPC messages there
 * and receives every reply on the stream.
 */
export class WebSseServerTransport implements Transport {
  readonly sessionId = randomUUID();
  onclose?: () => void;
  onerror?: (error: Error) => void;
  onmessage?: (message: JSONRPCMessage, extra?: MessageExtraInfo) => void;

  readonly #encoder = new TextEncoder();
  readonly #endpoint: string;
  readonly #keepAliveMs: number;
  readonly #stream: ReadableStream<Uint8Array>;
  #controller: ReadableStreamDefaultController<Uint8Array> | undefined;
  #keepAlive: ReturnType<typeof setInterval> | undefined;
  #started = false;
  #closed = false;

  /** `endpoint`: path (relative to the stream's URL origin) where clients post messages. */
  constructor(endpoint: string, options: { keepAliveMs: number }) {
    const url = new URL(endpoint, 'http://localhost');
    url.searchParams.set('sessionId', this.sessionId);
    this.#endpoint = url.pathname + url.search;
    this.#keepAliveMs = options.keepAliveMs;
    this.#stream = new ReadableStream<Uint8Array>({
      start: (controller) => {
        this.#controller = controller;
      },
      // The client went away.
      cancel: () => {
        void this.close();
      },
    });
  }

  /** The event stream to return as the body of the `GET` response. */
  get stream(): ReadableStream<Uint8Array> {
    return this.#stream;
  }

  get closed(): boolean {
    return this.#closed;
  }

  start(): Promise<void> {
    if (this.#started) {
      return Promise.reject(new Error('The SSE transport is already started.'));
    }
    this.#started = true;
    this.#write(`event: endpoint\ndata: ${this.#endpoint}\n\n`);
    if (this.#keepAliveMs > 0) {
      this.#keepAlive = setInterval(() => this.#write(': keepalive\n\n'), this.#keepAliveMs);
      this.#keepAlive.unref();
    }
    return Promise.resolve();
  }

  send(message: JSONRPCMessage): Promise<void> {
    if (this.#closed) return Promise.reject(new Error('The SSE stream is closed.'));
    this.#write(`event: message\ndata: ${JSON.stringify(message)}\n\n`);
    return Promise.resolve();
  }

  /**
   * Delivers a message posted by the client. Throws when it is not a JSON-RPC message, so the
   * caller can answer `400`.
   */
  handleMessage(
    message: unknown,
    extra: { authInfo?: AuthInfo; requestInfo?: MessageExtraInfo['requestInfo'] },
  ): void {
    const parsed = JSONRPCMessageSchema.safeParse(message);
    if (!parsed.success) {
      const error = new Error(`Invalid JSON-RPC message: ${parsed.error.message}`);
      this.onerror?.(error);
      throw error;
    }
    this.onmessage?.(parsed.data, extra);
  }

  close(): Promise<void> {
    if (this.#closed) return Promise.resolve();
    this.#closed = true;
    if (this.#keepAlive) clearInterval(this.#keepAlive);
    try {
      this.#controller?.close();
    } catch {
      // Already closed or cancelled by the client.
    }
    this.onclose?.();
    return Promise.resolve();
  }

  #write(text: string): void {
    if (this.#closed) return;
    try {
      this.#controller?.enqueue(this.#encoder.encode(text));
    } catch (error) {
      // The stream broke under us: treat it as a disconnect.
      this.onerror?.(error instanceof Error ? error : new Error(String(error)));
      void this.close();
    }
  }
}
