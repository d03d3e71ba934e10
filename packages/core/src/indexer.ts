/** `incremental` skips files whose size and mtime (or content hash) are unchanged; `full` re-reads every file. */
export type IndexJobMode = 'incremental' | 'full';

export type IndexJobState = 'queued' | 'running' | 'succeeded' | 'failed' | 'cancelled';

export interface IndexProgress {
  filesSeen: number;
  filesIndexed: number;
  filesUnchanged: number;
  /** Ignored by size, binary content or other rules after being seen. */
  filesSkipped: number;
  /**
   * Of `filesSkipped`, those never read because their names suggest secrets (`.env`, private
   * keys, credential files) or because they belong to the server's own data.
   */
  filesSkippedSecret: number;
  /**
   * Paths passed over by the built-in default excludes (`node_modules/`, top-level `dist/`, lock
   * files…). A directory counts once and is not entered, so these are not part of `filesSeen`.
   */
  filesSkippedExcluded: number;
  /** `filesSkippedExcluded` by the default exclude pattern that matched (`node_modules/`: 1). */
  excludedBy: Record<string, number>;
  filesFailed: number;
  filesDeleted: number;
  chunksWritten: number;
  /** Chunks of this repository still waiting for their vectors. */
  chunksPendingEmbedding: number;
}

/** The progress of a job that has not looked at any file yet: every count zero. */
export function emptyIndexProgress(): IndexProgress {
  return {
    filesSeen: 0,
    filesIndexed: 0,
    filesUnchanged: 0,
    filesSkipped: 0,
    filesSkippedSecret: 0,
    filesSkippedExcluded: 0,
    excludedBy: {},
    filesFailed: 0,
    filesDeleted: 0,
    chunksWritten: 0,
    chunksPendingEmbedding: 0,
  };
}

export interface IndexJob {
  id: string;
  repository: string;
  rootPath: string;
  mode: IndexJobMode;
  state: IndexJobState;
  progress: IndexProgress;
  createdAt: string;
  startedAt: string | null;
  finishedAt: string | null;
  /** Why the job failed; null otherwise. */
  error: string | null;
}

/** What differs between a repository on disk and its index. Paths are relative. */
export interface IndexDiff {
  repository: string;
  rootPath: string;
  added: string[];
  changed: string[];
  deleted: string[];
  unchanged: number;
}

export interface IndexerStatus {
  jobsRunning: number;
  jobsQueued: number;
  watchedRoots: string[];
  /** Items (chunks, lessons, checkpoints) waiting for vectors. */
  embeddingBacklog: number;
  /** Seconds since the oldest change seen on disk that is not indexed yet; 0 when up to date. */
  indexLagSeconds: number;
}

/** Background indexing of repositories; what MCP tools, HTTP routes and the CLI drive. */
export interface CodeIndexer {
  /**
   * Registers the repository if needed and queues a job. Returns at once. While a job for the
   * same repository is queued or running, returns that job instead of starting another.
   * Rejects with `INVALID_INPUT` if the path is not a readable directory, and with
   * `PATH_NOT_ALLOWED` if it may not be indexed (outside the allowed roots, a system directory,
   * the server's data directory).
   */
  startJob(request: { rootPath: string; mode?: IndexJobMode }): Promise<IndexJob>;
  /**
   * The job as this process knows it. With jobs shared by several servers that is as of the last
   * poll of the job store (at most about a second old); use `fetchJob` for one lookup that must be
   * current.
   */
  getJob(id: string): IndexJob | null;
  /**
   * The job read from where jobs are kept, so that it is current on every server, including one
   * queued or changed through another server a moment ago (optional capability; without it,
   * `getJob` is current).
   */
  fetchJob?(id: string): Promise<IndexJob | null>;
  /** Most recent first. */
  listJobs(): IndexJob[];
  /** Throws `NOT_FOUND` for an unknown id. A finished job is returned unchanged. */
  cancelJob(id: string): IndexJob;
  /**
   * Cancels the job where jobs are kept and resolves with it as recorded there, so that a job
   * queued or running on another server a moment ago is found and cancelled at once: a queued
   * job ends cancelled, a running one stops at its holder's next heartbeat (optional capability;
   * without it, `cancelJob` does the same). Rejects with `NOT_FOUND` for an unknown id; a
   * finished job is returned unchanged.
   */
  cancelStoredJob?(id: string): Promise<IndexJob>;
  /**
   * Resolves when the job has finished (in any state). With jobs shared by several servers, it
   * reads the job where jobs are kept, so a job queued or finished through another server a
   * moment ago is followed too.
   */
  waitForJob(id: string, options?: { signal?: AbortSignal }): Promise<IndexJob>;
  /** Compares disk and index without writing anything. Checks the path as `startJob` does. */
  diff(rootPath: string, options?: { signal?: AbortSignal }): Promise<IndexDiff>;
  /**
   * Starts watching a root (indexing it first if unknown); changes are indexed within about a
   * second. Checks the path as `startJob` does.
   */
  watch(rootPath: string): Promise<void>;
  unwatch(rootPath: string): Promise<void>;
  /** Resolves once every pending embedding is written (or immediately without an embedder). */
  waitForEmbeddings(options?: { signal?: AbortSignal }): Promise<void>;
  status(): IndexerStatus;
  close(): Promise<void>;
  [Symbol.asyncDispose](): Promise<void>;
}
