import {
  NellieError,
  anchorStates,
  type AnchorState,
  type CodeIndexer,
  type Embedder,
  type Logger,
} from '@nellie/core';
import { collectDefaultMetrics, Counter, Gauge, Histogram, type Registry } from 'prom-client';
import type { StoreDescription } from './app-options.ts';
import type { MissingRepositoriesCache } from './internal/missing-repositories.ts';
import type { StatsCache } from './internal/stats-cache.ts';

export interface RequestLabels {
  /** The route pattern (e.g. `/api/v1/lessons/:id`), never the raw path. */
  route: string;
  method: string;
  status: number;
}

export interface HttpMetrics {
  observeRequest(labels: RequestLabels, seconds: number): void;
  rateLimited(): void;
  /** A request presented an API key that is not valid. */
  authFailed(): void;
  /** A new MCP session was refused at the server-wide or the per-client limit. */
  mcpSessionRefused(reason: 'server_limit' | 'client_limit'): void;
  /** Unregisters every metric this instance added, so the registry can be reused. */
  remove(): void;
}

const ownMetricNames = [
  'nellie_chunks_total',
  'nellie_files_total',
  'nellie_lessons_total',
  'nellie_memories',
  'nellie_checkpoints_total',
  'nellie_repositories_total',
  'nellie_repositories_missing',
  'nellie_chunks_pending_embedding',
  'nellie_request_duration_seconds',
  'nellie_requests_total',
  'nellie_rate_limited_total',
  'nellie_embedding_queue_depth',
  'nellie_embedding_backlog',
  'nellie_index_jobs_running',
  'nellie_index_jobs_queued',
  'nellie_index_lag_seconds',
  'nellie_mcp_sessions',
  'nellie_mcp_sessions_refused_total',
  'nellie_auth_failures_total',
  'nellie_store_writable',
  'nellie_vector_index_info',
  'nellie_vector_index_backlog',
  'nellie_store_pool_connections',
] as const;

/**
 * Registers Nellie's metrics on `registry`. Store counts are read when Prometheus scrapes (through
 * a short cache), queue and indexer figures are read live, request figures are recorded as
 * requests finish.
 */
export function createMetrics(options: {
  registry: Registry;
  stats: StatsCache;
  missingRepositories: MissingRepositoriesCache;
  indexer?: CodeIndexer;
  embedder?: Embedder;
  mcpSessions: () => { streamableHttp: number; sse: number };
  storeWritable: () => boolean;
  collectDefaultMetrics: boolean;
  /** The store's engine, vector index and pool; absent: those metrics stay unset. */
  describeStore?: () => Promise<StoreDescription>;
  /** Anchored lessons by the state of their code; absent when the store keeps no anchors. */
  memoriesByState?: () => Promise<Record<AnchorState, number>>;
  logger: Logger;
}): HttpMetrics {
  const { registry, stats, indexer, embedder, logger } = options;
  const taken = ownMetricNames.filter((name) => registry.getSingleMetric(name) !== undefined);
  if (taken.length > 0) {
    throw new NellieError(
      'INVALID_OPTIONS',
      `The metrics registry already holds ${taken.join(', ')}: pass a new prom-client Registry, or close the previous HTTP app first.`,
    );
  }
  const registers = [registry];

  const storeGauge = (
    name: (typeof ownMetricNames)[number],
    help: string,
    read: (value: Awaited<ReturnType<StatsCache['get']>>) => number,
  ): Gauge =>
    new Gauge({
      name,
      help,
      registers,
      async collect() {
        try {
          this.set(read(await stats.get()));
        } catch (error) {
          // A failing store must not break the whole scrape; the last value stays.
          logger.warn({ err: error, metric: name }, 'could not read store statistics for metrics');
        }
      },
    });

  storeGauge('nellie_chunks_total', 'Code chunks in the index.', (value) => value.chunks);
  storeGauge('nellie_files_total', 'Files in the index.', (value) => value.files);
  storeGauge('nellie_lessons_total', 'Lessons stored.', (value) => value.lessons);
  const { memoriesByState } = options;
  if (memoriesByState) {
    new Gauge({
      name: 'nellie_memories',
      help: 'Lessons anchored to code, by the state of that code (current, changed, moved, gone).',
      labelNames: ['state'] as const,
      registers,
      async collect() {
        try {
          const counts = await memoriesByState();
          for (const state of anchorStates) this.set({ state }, counts[state]);
        } catch (error) {
          logger.warn({ err: error }, 'could not count memories by state for metrics');
        }
      },
    });
  }
  storeGauge('nellie_checkpoints_total', 'Checkpoints stored.', (value) => value.checkpoints);
  storeGauge('nellie_repositories_total', 'Repositories indexed.', (value) => value.repositories);
  new Gauge({
    name: 'nellie_repositories_missing',
    help: 'Registered repositories whose root directory is gone (`nellie repos remove` drops them).',
    registers,
    async collect() {
      try {
        this.set((await options.missingRepositories.get()).length);
      } catch (error) {
        logger.warn({ err: error }, 'could not check repository roots for metrics');
      }
    },
  });
  storeGauge(
    'nellie_chunks_pending_embedding',
    'Code chunks whose vector has not been computed yet.',
    (value) => value.chunksPendingEmbedding,
  );

  const duration = new Histogram({
    name: 'nellie_request_duration_seconds',
    help: 'HTTP request duration until the response starts, by route pattern, method and status.',
    labelNames: ['route', 'method', 'status'] as const,
    buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
    registers,
  });
  const requests = new Counter({
    name: 'nellie_requests_total',
    help: 'HTTP requests answered, by route pattern, method and status.',
    labelNames: ['route', 'method', 'status'] as const,
    registers,
  });
  const limited = new Counter({
    name: 'nellie_rate_limited_total',
    help: 'Requests rejected with 429 by the rate limiter.',
    registers,
  });

  new Gauge({
    name: 'nellie_embedding_queue_depth',
    help: 'Texts waiting in the embedder queue.',
    registers,
    collect() {
      this.set(embedder?.queueDepth?.() ?? 0);
    },
  });
  new Gauge({
    name: 'nellie_embedding_backlog',
    help: 'Items (chunks, lessons, checkpoints) waiting for their vectors.',
    registers,
    async collect() {
      if (indexer) {
        this.set(indexer.status().embeddingBacklog);
        return;
      }
      try {
        this.set((await stats.get()).chunksPendingEmbedding);
      } catch (error) {
        logger.warn({ err: error }, 'could not read store statistics for metrics');
      }
    },
  });
  new Gauge({
    name: 'nellie_index_jobs_running',
    help: 'Index jobs running now.',
    registers,
    collect() {
      this.set(indexer?.status().jobsRunning ?? 0);
    },
  });
  new Gauge({
    name: 'nellie_index_jobs_queued',
    help: 'Index jobs waiting to run.',
    registers,
    collect() {
      this.set(indexer?.status().jobsQueued ?? 0);
    },
  });
  new Gauge({
    name: 'nellie_index_lag_seconds',
    help: 'Seconds since the oldest change on disk that is not indexed yet; 0 when up to date.',
    registers,
    collect() {
      this.set(indexer?.status().indexLagSeconds ?? 0);
    },
  });
  new Gauge({
    name: 'nellie_mcp_sessions',
    help: 'Open MCP sessions by transport.',
    labelNames: ['transport'] as const,
    registers,
    collect() {
      const sessions = options.mcpSessions();
      this.set({ transport: 'streamable-http' }, sessions.streamableHttp);
      this.set({ transport: 'sse' }, sessions.sse);
    },
  });

  const refusedSessions = new Counter({
    name: 'nellie_mcp_sessions_refused_total',
    help: 'New MCP sessions refused, by reason (server_limit, client_limit).',
    labelNames: ['reason'] as const,
    registers,
  });

  new Gauge({
    name: 'nellie_store_writable',
    help: '1 while the store accepts writes, 0 after a write failed for a storage reason (disk full, read-only, locked) until one succeeds again.',
    registers,
    collect() {
      this.set(options.storeWritable() ? 1 : 0);
    },
  });
  const { describeStore } = options;
  if (describeStore) {
    const describe = async (): Promise<StoreDescription | null> => {
      try {
        return await describeStore();
      } catch (error) {
        logger.warn({ err: error }, 'could not describe the store for metrics');
        return null;
      }
    };
    new Gauge({
      name: 'nellie_vector_index_info',
      help: 'Always 1, labelled with the store engine (sqlite, postgres) and how vector queries are served (exact, ann, pgvector, memory; none without vectors).',
      labelNames: ['engine', 'mode'] as const,
      registers,
      async collect() {
        const description = await describe();
        if (!description) return;
        this.reset();
        this.set({ engine: description.engine, mode: description.vectorIndex?.mode ?? 'none' }, 1);
      },
    });
    new Gauge({
      name: 'nellie_vector_index_backlog',
      help: "Stored vectors this server's vector index has not applied yet: the change-feed lag behind other servers' writes (0 when the database is the index).",
      registers,
      async collect() {
        const description = await describe();
        if (description) this.set(description.vectorIndex?.backlog ?? 0);
      },
    });
    new Gauge({
      name: 'nellie_store_pool_connections',
      help: 'Database connections of the store pool by state: total (open), idle, waiting (queries waiting for a connection) and max.',
      labelNames: ['state'] as const,
      registers,
      async collect() {
        const pool = (await describe())?.pool;
        if (!pool) return;
        for (const state of ['total', 'idle', 'waiting', 'max'] as const) {
          this.set({ state }, pool[state]);
        }
      },
    });
  }
  const authFailures = new Counter({
    name: 'nellie_auth_failures_total',
    help: 'Requests that presented an API key that is not valid.',
    registers,
  });

  const added: string[] = [...ownMetricNames];
  if (options.collectDefaultMetrics && !registry.getSingleMetric('process_cpu_seconds_total')) {
    const before = new Set(registry.getMetricsAsArray().map((metric) => metric.name));
    collectDefaultMetrics({ register: registry });
    for (const metric of registry.getMetricsAsArray()) {
      if (!before.has(metric.name)) added.push(metric.name);
    }
  }

  return {
    observeRequest(labels, seconds) {
      const values = { route: labels.route, method: labels.method, status: String(labels.status) };
      duration.observe(values, seconds);
      requests.inc(values);
    },
    rateLimited() {
      limited.inc();
    },
    authFailed() {
      authFailures.inc();
    },
    mcpSessionRefused(reason) {
      refusedSessions.inc({ reason });
    },
    remove() {
      for (const name of added) registry.removeSingleMetric(name);
    },
  };
}
