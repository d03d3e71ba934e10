import type { Repository } from '@nellie/core';
import type { IgnoreRules } from '../internal/ignore-rules.ts';

/** What the indexer keeps per repository root between passes. */
export interface RepositoryState {
  readonly root: string;
  repository: Repository | null;
  /** The ignore rules read by the last full pass; watched changes reuse them. */
  rules: IgnoreRules | null;
  /** Files read earlier and found not indexable (binary, minified…), by `size:mtime`. */
  readonly skipCache: Map<string, string>;
  /** When the oldest change not yet indexed was seen, or null when up to date. */
  pendingSince: number | null;
  /** When the oldest change the running pass covers was seen, or null. */
  processingSince: number | null;
  /** Serialises passes over this repository. */
  lock: Promise<void>;
}

/** The repositories the indexer has seen, each with its lock: one pass at a time per root. */
export class RepositoryStates {
  private readonly states = new Map<string, RepositoryState>();

  get(root: string): RepositoryState | undefined {
    return this.states.get(root);
  }

  /** The state of `root`, created on first use. */
  for(root: string): RepositoryState {
    let state = this.states.get(root);
    if (!state) {
      state = {
        root,
        repository: null,
        rules: null,
        skipCache: new Map(),
        pendingSince: null,
        processingSince: null,
        lock: Promise.resolve(),
      };
      this.states.set(root, state);
    }
    return state;
  }

  /** Runs `task` once every earlier task over the same repository has settled. */
  withLock<T>(state: RepositoryState, task: () => Promise<T>): Promise<T> {
    const result = state.lock.then(task);
    state.lock = result.then(
      () => undefined,
      () => undefined,
    );
    return result;
  }

  /** When the oldest change seen on disk and not indexed yet was seen, or null. */
  oldestUnindexedChange(): number | null {
    let oldest: number | null = null;
    for (const state of this.states.values()) {
      for (const since of [state.pendingSince, state.processingSince]) {
        if (since !== null && (oldest === null || since < oldest)) oldest = since;
      }
    }
    return oldest;
  }

  /** Resolves once every pass queued so far has finished. */
  async settled(): Promise<void> {
    await Promise.all([...this.states.values()].map((state) => state.lock));
  }
}
