import { describeRepositories, type Access } from './access.ts';
import { anchorStates, memoryStaleness, type Anchor, type AnchorState } from './anchors.ts';
import type { Checkpoint } from './checkpoints.ts';
import { repositoryNotFound, type Repository } from './code.ts';
import { NellieError } from './errors.ts';
import type { Lesson } from './lessons.ts';
import { limits } from './limits.ts';
import type { NellieStore, StoreStats } from './store.ts';

/** What one key may see: its repositories by name, and their root paths once looked up. */
export class RepositoryScope {
  readonly #store: NellieStore;
  readonly #access: Access;
  readonly names: readonly string[];
  #repositories: Promise<Repository[]> | undefined;

  constructor(store: NellieStore, access: Access, names: readonly string[]) {
    this.#store = store;
    this.#access = access;
    this.names = names;
  }

  /** The key's repositories that exist in the store, read once per view. */
  repositories(): Promise<Repository[]> {
    this.#repositories ??= this.#store
      .listRepositories()
      .then((all) => all.filter((repository) => this.names.includes(repository.name)));
    return this.#repositories;
  }

  async visibleIds(): Promise<Set<number>> {
    return new Set((await this.repositories()).map((repository) => repository.id));
  }

  /** Names of the key's repositories that are indexed. */
  async indexedNames(): Promise<string[]> {
    return (await this.repositories()).map((repository) => repository.name);
  }

  /**
   * Whether a repository reference (a name or a root path, as lessons and filters hold it) is one
   * of the key's. Items without a repository belong to nobody's repositories and are not visible.
   */
  async sees(reference: string | null | undefined): Promise<boolean> {
    if (reference === null || reference === undefined) return false;
    if (this.names.includes(reference)) return true;
    return (await this.repositories()).some((repository) => repository.rootPath === reference);
  }

  /**
   * `NOT_FOUND` unless `reference` names an indexed repository of the key. The message lists only
   * the key's repositories, and reads the same for another key's repository as for none at all.
   */
  async requireIndexed(reference: string): Promise<void> {
    const indexed = (await this.repositories()).some(
      (repository) => repository.name === reference || repository.rootPath === reference,
    );
    if (!indexed) throw repositoryNotFound(reference, await this.indexedNames());
  }

  async requireWritable(reference: string | null | undefined, action: string): Promise<void> {
    if (reference === null || reference === undefined || reference === '') {
      throw new NellieError(
        'FORBIDDEN',
        `${action}: the key of ${this.#access.principal} is limited to ${describeRepositories(this.names)}; name one of them as the repository.`,
      );
    }
    if (!(await this.sees(reference))) {
      throw new NellieError(
        'FORBIDDEN',
        `${action}: the key of ${this.#access.principal} may not write to repository "${reference}"; it is limited to ${describeRepositories(this.names)}.`,
      );
    }
  }

  /** Anchors name their own repository, which must be one of the key's too. */
  async requireAnchorsWritable(
    anchors: readonly { repository: string }[] | undefined,
    action: string,
  ): Promise<void> {
    for (const anchor of anchors ?? []) await this.requireWritable(anchor.repository, action);
  }

  /**
   * The lesson as the key may see it: null outside its repositories, and without the anchors that
   * point into repositories it does not see (its staleness then follows the anchors left).
   */
  async lesson(lesson: Lesson | null): Promise<Lesson | null> {
    if (!lesson || !(await this.sees(lesson.repository))) return null;
    const anchors = await this.#visibleAnchors(lesson.anchors);
    if (anchors === lesson.anchors) return lesson;
    return { ...lesson, anchors, staleness: memoryStaleness(anchors) };
  }

  /** The checkpoint as the key may see it, the same way as `lesson`. */
  async checkpoint(checkpoint: Checkpoint | null): Promise<Checkpoint | null> {
    if (!checkpoint || !(await this.sees(checkpoint.repository))) return null;
    if (!checkpoint.anchors) return checkpoint;
    const anchors = await this.#visibleAnchors(checkpoint.anchors);
    if (anchors === checkpoint.anchors) return checkpoint;
    const { anchors: _hidden, staleness: _worst, ...rest } = checkpoint;
    const staleness = memoryStaleness(anchors);
    return staleness === null ? rest : { ...rest, anchors, staleness };
  }

  /** The anchors in the key's repositories; the same array when that is all of them. */
  async #visibleAnchors(anchors: Anchor[]): Promise<Anchor[]> {
    const shown = await Promise.all(anchors.map((anchor) => this.sees(anchor.repository)));
    return shown.every(Boolean) ? anchors : anchors.filter((_anchor, index) => shown[index]);
  }

  /**
   * Runs a query once for the requested repository (when visible) or once per repository of the
   * key, and merges the answers. An invisible repository answers nothing.
   */
  async across<T>(
    requested: string | undefined,
    run: (repository: string) => Promise<T[]>,
    order: (left: T, right: T) => number,
    limit: number,
  ): Promise<T[]> {
    if (requested !== undefined) return (await this.sees(requested)) ? run(requested) : [];
    const lists = await Promise.all(this.names.map(run));
    return lists.flat().sort(order).slice(0, limit);
  }

  /** Store statistics counted over the key's repositories only. */
  async stats(): Promise<StoreStats> {
    const [all, repositories] = await Promise.all([this.#store.stats(), this.repositories()]);
    // Stores without per-repository summaries count files only; their chunks are not attributed.
    const summaries = this.#store.listRepositorySummaries
      ? (await this.#store.listRepositorySummaries()).filter((summary) =>
          this.names.includes(summary.name),
        )
      : await Promise.all(
          repositories.map(async (repository) => ({
            files: (await this.#store.listFiles(repository.id)).length,
            chunks: 0,
            chunksWithVectors: 0,
          })),
        );
    const sum = (field: 'files' | 'chunks' | 'chunksWithVectors'): number =>
      summaries.reduce((total, summary) => total + summary[field], 0);
    const [lessons, checkpoints] = await Promise.all([
      this.#sumOver((repository) => this.#lessonCount(repository)),
      this.#sumOver((repository) => this.#checkpointCount(repository)),
    ]);
    return {
      ...all,
      repositories: repositories.length,
      files: sum('files'),
      chunks: sum('chunks'),
      chunksWithVectors: sum('chunksWithVectors'),
      chunksPendingEmbedding:
        all.embeddingModel === null ? 0 : sum('chunks') - sum('chunksWithVectors'),
      lessons,
      checkpoints,
    };
  }

  /**
   * Anchored lessons of the key's repositories in each state, each lesson counted in the state it
   * shows the key (anchors into other repositories left out).
   */
  async countLessonsByStaleness(): Promise<Record<AnchorState, number>> {
    const counts = Object.fromEntries(anchorStates.map((state) => [state, 0])) as Record<
      AnchorState,
      number
    >;
    // States no lesson of any repository is in need no listing (nor a store that can filter on
    // staleness).
    const all = await this.#store.countLessonsByStaleness();
    const staleness = anchorStates.filter((state) => all[state] > 0);
    if (staleness.length === 0) return counts;
    for (const repository of this.names) {
      for (let offset = 0; ; offset += limits.pageSize) {
        const page = await this.#store.listLessons({
          repository,
          staleness,
          offset,
          limit: limits.pageSize,
        });
        for (const lesson of page.items) {
          const shown = (await this.lesson(lesson))?.staleness ?? null;
          if (shown !== null) counts[shown] += 1;
        }
        if (page.items.length === 0 || offset + page.items.length >= page.total) break;
      }
    }
    return counts;
  }

  async #sumOver(count: (repository: string) => Promise<number>): Promise<number> {
    return (await Promise.all(this.names.map(count))).reduce((total, value) => total + value, 0);
  }

  async #lessonCount(repository: string): Promise<number> {
    return (await this.#store.listLessons({ repository, limit: 1 })).total;
  }

  /** Stores that cannot count checkpoints give the newest page's length, at most a page. */
  async #checkpointCount(repository: string): Promise<number> {
    if (this.#store.countCheckpoints) return this.#store.countCheckpoints({ repository });
    return (await this.#store.getRecentCheckpoints({ repository, limit: limits.pageSize })).length;
  }
}
