import type { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import type { CodeIndexer, Embedder, Logger, ModelStatus } from '@nellie/core';
import type { PostgresStore } from '@nellie/postgres';
import type { SqliteStore } from '@nellie/storage';
import type { Settings } from './config.ts';

/** The store a command works on: the SQLite file of the data directory, or PostgreSQL. */
export type AppStore = SqliteStore | PostgresStore;

/** Whether the store is the PostgreSQL one (`--database`). */
export function isPostgresStore(store: AppStore): store is PostgresStore {
  return 'poolStatus' in store;
}

/** What `openRuntime()` (compose.ts) gives a command: Nellie's parts, wired. */
export interface NellieRuntime {
  readonly settings: Settings;
  readonly store: AppStore;
  /** Absent when the runtime was opened without indexing. */
  readonly indexer: CodeIndexer | undefined;
  /** Absent when semantic search is off; may still be loading (see `modelStatus`). */
  readonly embedder: Embedder | undefined;
  modelStatus(): ModelStatus;
  /** One line on semantic search for command output, e.g. `semantic search is on (…)`. */
  modelSummary(): string;
  /** Resolves once the model is ready, has failed, or is disabled. */
  readonly modelSettled: Promise<ModelStatus>;
  /** Starts loading the model when the runtime was opened with `deferModelLoad`. */
  startModel(): void;
  /** A new MCP server with Nellie's tools, for one session or one stdio connection. */
  createMcpServer(actor?: string): McpServer;
  /** Stops indexing, the embedder and the store, in that order. */
  close(): Promise<void>;
}

export interface RuntimeOptions {
  logger: Logger;
  /** Create an indexer (index jobs, watchers). */
  indexer: boolean;
  /**
   * With a PostgreSQL store, queue index jobs in the database, where every server claims them
   * (`nellie serve`); otherwise this process runs the jobs it is asked for.
   */
  sharedJobs?: boolean;
  /**
   * With `sharedJobs`: claim only the jobs this process queued, each once it waited this long
   * for a server (`nellie index --database`); unset, claim any job as a server does.
   */
  claimOwnJobsAfterMs?: number;
  /**
   * Let this process fill in missing vectors. Off for `nellie mcp` beside a running server, which
   * already does it; the model is still loaded for queries.
   */
  embeddingPump?: boolean;
  /** Audit actor for MCP calls without auth info. */
  actor?: string;
  /** Load the MCP modules so `createMcpServer` works (serve and mcp). */
  mcp?: boolean;
  /** Log the model's state (servers do; one-shot commands print it themselves). */
  announceModel?: boolean;
  /** Wait for `startModel()` before loading the model (servers call it once they listen). */
  deferModelLoad?: boolean;
  /** Directories the user named on the command line, which may be indexed too. */
  extraRoots?: readonly string[];
  /** Refuse a data directory without a database (commands that only read). */
  existingStore?: boolean;
}
