import type {
  AnchorRefresher,
  CodeStore,
  EmbeddingSink,
  IndexJob,
  IndexJobStore,
  Logger,
} from '@nellie/core';
import { z } from 'zod';
import type { EmbeddingPump } from './embedding-pump-options.ts';
import { defaultMaxFileBytes } from './scan.ts';

const globs = z.array(z.string().min(1));

export const indexerOptionsSchema = z.object({
  /** Files larger than this many bytes are skipped. Defaults to 1 MiB. */
  maxFileBytes: z.number().int().positive().default(defaultMaxFileBytes),
  /** Globs relative to every root; when given, only matching files are indexed. */
  include: globs.default([]),
  /** Globs relative to every root that are never indexed. */
  exclude: globs.default([]),
  /** Extra include/exclude globs per repository, keyed by the repository's root path. */
  repositories: z
    .record(z.string().min(1), z.object({ include: globs.optional(), exclude: globs.optional() }))
    .default({}),
  /**
   * The built-in excludes (node_modules, top-level build outputs, lock files…): `true` (the
   * default) applies them, `false` none, and a list of gitignore patterns replaces them. What
   * they pass over is counted in each job's `filesSkippedExcluded` and `excludedBy`.
   */
  defaultExcludes: z.union([z.boolean(), z.array(z.string().min(1))]).default(true),
  /** Descend into symbolic links (loops are detected). Defaults to false, like git. */
  followSymlinks: z.boolean().default(false),
  /**
   * Skip files whose names suggest secrets (`.env`, private keys, `.npmrc`, credential files…),
   * whatever the ignore files say. Defaults to true.
   */
  excludeSecretFiles: z.boolean().default(true),
  /**
   * Directories below which new roots may be indexed (symbolic links resolved). Repositories the
   * store already knows may always be re-indexed. When absent, any directory may be indexed
   * except those always refused (system directories, the protected paths).
   */
  allowedRoots: z.array(z.string().min(1)).optional(),
  /**
   * Paths never read and never indexed, nor any root inside them; a root containing one is
   * accepted only when configured exactly in `allowedRoots`, and the scan passes over it. Give the
   * data directory of the application and its configuration files here.
   */
  protectedPaths: z.array(z.string().min(1)).default([]),
  /** Home directories, which are indexed as a whole only when configured exactly as roots. */
  homeDirectories: z.array(z.string().min(1)).optional(),
  /** Appended to refusals of paths outside `allowedRoots`: how the user allows another root. */
  allowedRootsHint: z
    .string()
    .default("Add a directory to the indexer's allowedRoots option to index it."),
  /** The embedder's token window, passed to `chunkFile`. Defaults to 256. */
  maxTokens: z.number().int().min(32).max(8192).optional(),
  /** Quiet time before watched changes are indexed. Defaults to 250 ms. */
  debounceMs: z.number().int().min(0).max(60_000).default(250),
  /** Watched changes are indexed at the latest this long after the first one. Defaults to 2 s. */
  maxWatchDelayMs: z.number().int().min(0).max(600_000).default(2000),
  /** More changed paths than this in one batch trigger one pass over the whole tree. */
  rescanThreshold: z.number().int().positive().default(2000),
  /** Interval of full rescans of watched roots where native watching is unavailable. */
  pollIntervalMs: z.number().int().min(100).default(30_000),
  /** Files read and chunked concurrently within a job. Defaults to 8. */
  fileConcurrency: z.number().int().min(1).max(256).default(8),
  /** Jobs (over different repositories) running at once. Defaults to 1. */
  maxConcurrentJobs: z.number().int().min(1).max(16).default(1),
  /** Finished jobs kept for `listJobs()`. Defaults to 100. */
  jobHistory: z.number().int().min(1).max(10_000).default(100),
  /**
   * With `jobStore`: how long this server's claim on a job lasts without a heartbeat (sent
   * every third of it); another server takes the job over once it ran out. Defaults to 30 s.
   */
  jobLeaseMs: z.number().int().min(300).max(3_600_000).default(30_000),
  /** With `jobStore`: how often it is asked for jobs to run and for the others' state. Defaults to 1 s. */
  jobPollMs: z.number().int().min(50).max(60_000).default(1000),
  /** With `jobStore`: a job whose server stopped this many times is failed, not run again. Defaults to 3. */
  jobMaxAttempts: z.number().int().min(1).max(100).default(3),
  /** With `jobStore`: this server's name in the store's `claimedBy`. Defaults to host:pid:random. */
  jobHolder: z.string().min(1).max(200).optional(),
  /**
   * With `jobStore`: claim only the jobs queued through this indexer, once each has waited this
   * long without a server claiming it, rather than any job (a one-shot command that leaves its
   * job to the servers but runs it itself when none does). Unset: claim any job, as a server.
   */
  jobClaimOwnAfterMs: z.number().int().min(0).max(3_600_000).optional(),
});

/**
 * The parts of a store the indexer uses: the code tables, and whether the store keeps vectors
 * (so a job can report the chunks still waiting for theirs). `createSqliteStore()` from
 * `@nellie/storage` provides all of it.
 */
export type IndexerStore = Pick<
  CodeStore,
  | 'upsertRepository'
  | 'getRepository'
  | 'listFiles'
  | 'writeFile'
  | 'touchFile'
  | 'deleteFiles'
  | 'markRepositoryIndexed'
> &
  Partial<AnchorRefresher> & {
    readonly embeddingModel?: EmbeddingSink['embeddingModel'];
  };

export type IndexerOptions = z.input<typeof indexerOptionsSchema> & {
  store: IndexerStore;
  /**
   * Fills in vectors for what the indexer writes (`createEmbeddingPump()`); woken after each
   * file and awaited by `waitForEmbeddings()`. The caller closes it after the indexer. Without
   * one, chunks stay pending for vectors and search is keyword-only until something embeds them.
   */
  embeddingPump?: EmbeddingPump;
  /**
   * Where jobs are queued when several servers share one database (`store.jobs` of
   * `@nellie/postgres`): a job queued on any server is run by the one that claims it, and taken
   * over by another when that one stops. Without it, jobs are queued in this process.
   */
  jobStore?: IndexJobStore;
  logger?: Logger;
  /** Called when a job changes state and, at most every 250 ms, as it makes progress. */
  onProgress?: (job: IndexJob) => void;
};
