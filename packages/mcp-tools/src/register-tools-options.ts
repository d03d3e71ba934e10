import type { CodeIndexer, Embedder, Logger, ModelStatus, NellieStore } from '@nellie/core';
import { z } from 'zod';

/** The plain (validated) part of {@link NellieToolsDeps}. */
export const nellieToolsOptionsSchema = z.object({
  /** Version reported by `get_status`, e.g. `0.1.0`. */
  version: z.string().trim().min(1, 'version must be a non-empty string'),
  /**
   * Audit actor for calls that carry no auth info (e.g. `local` for stdio). Calls authenticated by
   * the transport are audited under their client id instead.
   */
  actor: z.string().trim().min(1, 'actor must be a non-empty string').max(200).default('local'),
});

/** What {@link registerNellieTools} needs: Nellie's collaborators plus a few plain settings. */
export interface NellieToolsDeps {
  /** Where code, lessons, checkpoints and the audit log live. */
  store: NellieStore;
  /** Runs index jobs. Without it the indexing tools answer that indexing is not available here. */
  indexer?: CodeIndexer;
  /** Embeds search queries (with `priority: 'query'`). Without it searches are keyword-only. */
  embedder?: Embedder;
  /** The embedding model's current state; called on every search and `get_status`. */
  modelStatus: () => ModelStatus;
  /** Version reported by `get_status`. */
  version: string;
  /** Receives tool failures and fallbacks; silent by default. */
  logger?: Logger;
  /** Audit actor when a call carries no auth info. Defaults to `local`. */
  actor?: string;
}
