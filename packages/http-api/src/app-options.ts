import type {
  CodeIndexer,
  Embedder,
  Logger,
  ModelStatus,
  NellieStore,
  PrincipalStore,
} from '@nellie/core';
import type { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import type { Registry } from 'prom-client';
import { z } from 'zod';
import type { McpSessionContext } from './internal/mcp-sessions.ts';
import { originPattern, parseHost } from './internal/request-guard.ts';

const apiKeySchema = z.strictObject({
  /** Public, non-secret name of the key; recorded as the actor in the audit log and in logs. */
  id: z
    .string()
    .min(1)
    .max(64)
    .regex(/^[\w.@-]+$/, 'Use letters, digits and . _ @ - only.'),
  /** The secret clients send as `Authorization: Bearer <key>` or `X-API-Key: <key>`. */
  key: z.string().min(1),
});

export const httpAppOptionsSchema = z.strictObject({
  /** Reported by `/health`, `/ready`, `/api/v1/status` and the OpenAPI document. */
  version: z.string().min(1),
  /** API keys; authentication is on when at least one is configured. Ids and keys must be unique. */
  apiKeys: z
    .array(apiKeySchema)
    .default([])
    .superRefine((keys, context) => {
      const ids = new Set<string>();
      const secrets = new Set<string>();
      keys.forEach((entry, index) => {
        if (ids.has(entry.id)) {
          context.addIssue({
            code: 'custom',
            path: [index, 'id'],
            message: `The key id "${entry.id}" is used twice.`,
          });
        }
        if (secrets.has(entry.key)) {
          context.addIssue({
            code: 'custom',
            path: [index, 'key'],
            message: 'Two API keys have the same secret.',
          });
        }
        ids.add(entry.id);
        secrets.add(entry.key);
      });
    }),
  /**
   * Token bucket per API key id (per client address when authentication is off). `burst` is the
   * bucket size and defaults to `requestsPerMinute`. `false` turns rate limiting off.
   */
  rateLimit: z
    .union([
      z.strictObject({
        requestsPerMinute: z.number().positive().max(1_000_000),
        burst: z.number().int().positive().max(1_000_000).optional(),
      }),
      z.literal(false),
    ])
    .default({ requestsPerMinute: 1200, burst: 200 }),
  /**
   * Wrong API keys allowed per client address (a token bucket: `burst` at once, refilled at
   * `failuresPerMinute`); beyond it every request from that address gets `429` until the bucket
   * refills. Only matters when `apiKeys` are set. `false` turns it off.
   */
  authFailureLimit: z
    .union([
      z.strictObject({
        failuresPerMinute: z.number().positive().max(1_000_000),
        burst: z.number().int().positive().max(1_000_000).optional(),
      }),
      z.literal(false),
    ])
    .default({ failuresPerMinute: 30, burst: 30 }),
  /** Largest accepted request body in bytes; larger bodies get `413`. */
  maxBodyBytes: z
    .number()
    .int()
    .positive()
    .max(1024 * 1024 * 1024)
    .default(1024 * 1024),
  /** REST and probe requests running longer are abandoned with `503` (MCP streams are exempt). */
  requestTimeoutMs: z.number().int().positive().max(3_600_000).default(30_000),
  /**
   * Origins allowed by CORS, as `scheme://host[:port]`; CORS is off when empty. `*` allows any
   * origin. Cross-origin writes and cross-origin MCP requests from other origins get `403`.
   */
  corsOrigins: z
    .array(
      z
        .string()
        .max(300)
        .refine(
          (origin) => origin === '*' || originPattern.test(origin.toLowerCase()),
          'An origin is scheme://host[:port] with no path, such as https://app.example.com (or *).',
        )
        .transform((origin) => origin.toLowerCase()),
    )
    .default([]),
  /**
   * Host names (optionally `name:port`) the server answers to besides loopback names and IP
   * addresses; other `Host` headers get `403` (this stops DNS rebinding). List the names a
   * reverse proxy or DNS forwards to the server.
   */
  allowedHosts: z
    .array(
      z
        .string()
        .max(260)
        .refine(
          (host) => parseHost(host) !== undefined,
          'A host is a DNS name or address, optionally with :port (no scheme or path).',
        )
        .transform((host) => host.toLowerCase()),
    )
    .default([]),
  /**
   * Serve MCP Streamable HTTP without sessions: each POST to `/mcp` gets its own MCP server,
   * answers, and is forgotten, so any of several servers behind a load balancer can take any
   * request. No `Mcp-Session-Id` is issued and there is no server-initiated stream (`GET /mcp` is
   * `405`); Nellie's tools need neither. Defaults to false (sessions kept in this process).
   */
  mcpStateless: z.boolean().default(false),
  /** A Streamable HTTP MCP session with no request and no open stream for this long is closed. */
  mcpSessionIdleTimeoutMs: z
    .number()
    .int()
    .positive()
    .max(86_400_000)
    .default(10 * 60_000),
  /**
   * An MCP session whose client has not sent `notifications/initialized` this long after the
   * session opened is closed (clients cut off during initialize never send it).
   */
  mcpHandshakeTimeoutMs: z.number().int().positive().max(3_600_000).default(30_000),
  /** Most MCP sessions (Streamable HTTP and SSE together) open at once; more get `503`. */
  mcpMaxSessions: z.number().int().positive().max(100_000).default(1000),
  /**
   * Most MCP sessions one client (API key; client address without authentication) holds at once.
   * At the limit its least recently used idle session is closed for the new one; when all are in
   * use the new one gets `429`. Keeps one client from taking every session.
   */
  mcpMaxSessionsPerClient: z.number().int().positive().max(100_000).default(50),
  /** Interval of keep-alive comments on MCP event streams; 0 turns them off. */
  sseKeepAliveMs: z.number().int().min(0).max(3_600_000).default(15_000),
  /**
   * While the store refuses writes (a write failed with `STORE_UNAVAILABLE`), how often to try a
   * probe write to notice that it recovered. `/ready` reports not ready meanwhile.
   */
  storeProbeIntervalMs: z.number().int().positive().max(3_600_000).default(10_000),
  /** Registers prom-client's default process metrics on the registry. */
  collectDefaultMetrics: z.boolean().default(true),
});

/** What a store says of itself on `/ready` and in metrics. */
export interface StoreDescription {
  /** `sqlite`, `postgres`, … */
  engine: string;
  /**
   * How vector queries are served (e.g. `exact`, `ann`, `pgvector`, `memory`), how many vectors
   * the index holds, and its backlog: stored vectors not applied to it yet (the change-feed lag
   * of a server holding vectors in memory). Null without vectors.
   */
  vectorIndex: { mode: string; indexed: number; backlog: number } | null;
  /** Database connections, for a store with a connection pool. */
  pool?: { total: number; idle: number; waiting: number; max: number };
}

/** Collaborators: passed in, not validated by the schema. */
export interface HttpAppCollaborators {
  store: NellieStore;
  /** Absent: index job routes answer `503`. */
  indexer?: CodeIndexer;
  /** Absent or not ready: searches are keyword-only. */
  embedder?: Embedder;
  modelStatus: () => ModelStatus;
  /** The store's engine, vector index and pool, shown on `/ready` and in metrics. */
  describeStore?: () => Promise<StoreDescription>;
  logger?: Logger;
  /** prom-client registry the metrics are registered on (never the global one). */
  registry: Registry;
  /** Creates the MCP server of one session; called once per Streamable HTTP or SSE session. */
  createMcpServer: (context: McpSessionContext) => McpServer;
  /**
   * The client address used for rate limiting when authentication is off; `env` is the adapter's
   * bindings (`c.env`). Defaults to `env.incoming.socket.remoteAddress`, which Node adapters such as
   * `@hono/node-server` provide. Behind a proxy, read the forwarding header you trust here.
   */
  getClientAddress?: (request: Request, env: unknown) => string | undefined;
  /**
   * API keys of people and services, with scopes and repositories. Defaults to
   * `store.principals`; `null` turns them off. Once it holds a key (even a revoked one) every
   * request but `/health` needs one, as with `apiKeys`.
   */
  principals?: PrincipalStore | null;
}

export type HttpAppOptions = z.input<typeof httpAppOptionsSchema> & HttpAppCollaborators;
export type ResolvedHttpAppOptions = z.output<typeof httpAppOptionsSchema> & HttpAppCollaborators;
