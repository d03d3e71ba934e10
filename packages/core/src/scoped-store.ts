import {
  describeRepositories,
  isFullAccess,
  requireAllRepositories,
  requireScope,
  type Access,
} from './access.ts';
import type { AgentStatus, Checkpoint } from './checkpoints.ts';
import { repositoryNotFound, type Repository } from './code.ts';
import { NellieError } from './errors.ts';
import type { CodeIndexer, IndexJob } from './indexer.ts';
import type { Lesson, Page } from './lessons.ts';
import { limits } from './limits.ts';
import { searchDefaults } from './search-vocabulary.ts';
import type { NellieStore } from './store.ts';

/** Default page sizes of the stores, used when a request spreads over several repositories. */
const defaultLessonPage = 50;
const defaultRecentCheckpoints = 10;

function byScore<T extends { score: number }>(left: T, right: T): number {
  return right.score - left.score;
}

function newestFirst<T extends { createdAt: string; id: string }>(left: T, right: T): number {
  if (left.createdAt !== right.createdAt) return left.createdAt < right.createdAt ? 1 : -1;
  return left.id < right.id ? 1 : left.id > right.id ? -1 : 0;
}

/** What one key may see: its repositories by name, and their root paths once looked up. */
class RepositoryScope {
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

  /**
   * Whether a repository reference (a name or a root path, as lessons and filters hold it) is one
   * of the key's. Items without a repository belong to nobody's repositories and are not visible.
   */
  async sees(reference: string | null | undefined): Promise<boolean> {
    if (reference === null || reference === undefined) return false;
    if (this.names.includes(reference)) return true;
    return (await this.repositories()).some((repository) => repository.rootPath === reference);
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
}

/**
 * A view of `store` for one caller: writes need the `write` scope (repository administration
 * needs `admin` over every repository), and a key limited to some repositories sees only their
 * code, lessons and checkpoints and writes only to them. Reads of an invisible item answer as if
 * it did not exist; writes naming another repository are refused with `FORBIDDEN`.
 *
 * Full access returns `store` itself. Searches over several repositories run once per repository
 * and are merged by score. Closing the view leaves `store` open.
 */
export function scopeStore(store: NellieStore, access: Access): NellieStore {
  if (isFullAccess(access)) return store;
  const write = (action: string): void => requireScope(access, 'write', action);
  const administer = (action: string): void => {
    requireScope(access, 'admin', action);
    requireAllRepositories(access, action);
  };
  const internal = (action: string): never => {
    throw new NellieError('FORBIDDEN', `${action} is not available to API keys.`);
  };
  const noop = (): Promise<void> => Promise.resolve();

  if (access.repositories === null) {
    return {
      ...store,
      embeddingModel: store.embeddingModel,
      principals: undefined,
      upsertRepository: () => internal('Registering a repository'),
      deleteRepository: (id) => (administer('Removing a repository'), store.deleteRepository(id)),
      renameRepository: store.renameRepository
        ? (nameOrPath, newName) => (
            administer('Renaming a repository'),
            store.renameRepository!(nameOrPath, newName)
          )
        : undefined,
      addLesson: (input) => (write('Recording a lesson'), store.addLesson(input)),
      updateLesson: (id, patch) => (write('Changing a lesson'), store.updateLesson(id, patch)),
      deleteLesson: (id) => (write('Deleting a lesson'), store.deleteLesson(id)),
      confirmLesson: (id) => (write('Confirming a lesson'), store.confirmLesson(id)),
      addCheckpoint: (input) => (write('Saving a checkpoint'), store.addCheckpoint(input)),
      deleteCheckpoint: (id) => (write('Deleting a checkpoint'), store.deleteCheckpoint(id)),
      listAudit: (query) => (administer('Reading the audit log'), store.listAudit(query)),
      close: noop,
      [Symbol.asyncDispose]: noop,
    };
  }

  const scope = new RepositoryScope(store, access, access.repositories);
  const visibleLesson = async (lesson: Lesson | null): Promise<Lesson | null> =>
    lesson && (await scope.sees(lesson.repository)) ? lesson : null;
  const visibleCheckpoint = async (checkpoint: Checkpoint | null): Promise<Checkpoint | null> =>
    checkpoint && (await scope.sees(checkpoint.repository)) ? checkpoint : null;
  const lessonNotFound = (id: string): NellieError =>
    new NellieError('NOT_FOUND', `No lesson with id ${id}.`);
  const requireVisibleRepositoryId = async (id: number, action: string): Promise<void> => {
    if (!(await scope.visibleIds()).has(id)) {
      throw new NellieError('FORBIDDEN', `${action}: this repository is not one of the key's.`);
    }
  };
  /** Hides what an agent is doing when its last checkpoint is in another repository. */
  const visibleAgent = async (status: AgentStatus): Promise<AgentStatus> => {
    if (status.lastCheckpointId === null) return status;
    const last = await visibleCheckpoint(await store.getCheckpoint(status.lastCheckpointId));
    return last ? status : { ...status, currentTask: null, lastCheckpointId: null };
  };
  const listLessonsOf = async (
    request: Parameters<NellieStore['listLessons']>[0] & { repository: string },
    wanted: number,
  ): Promise<Page<Lesson>> => {
    const items: Lesson[] = [];
    let total = 0;
    for (let offset = 0; items.length < wanted; offset += limits.pageSize) {
      const page = await store.listLessons({
        ...request,
        offset,
        limit: Math.min(limits.pageSize, wanted - items.length),
      });
      total = page.total;
      items.push(...page.items);
      if (page.items.length === 0 || offset + page.items.length >= page.total) break;
    }
    return { items, total };
  };

  return {
    embeddingModel: store.embeddingModel,

    upsertRepository: () => internal('Registering a repository'),
    getRepository: async (nameOrPath) => {
      const repository = await store.getRepository(nameOrPath);
      return repository && scope.names.includes(repository.name) ? repository : null;
    },
    listRepositories: () => scope.repositories(),
    deleteRepository: (id) => (administer('Removing a repository'), store.deleteRepository(id)),
    markRepositoryIndexed: () => internal('Marking a repository indexed'),
    listRepositorySummaries: store.listRepositorySummaries
      ? async () =>
          (await store.listRepositorySummaries!()).filter((summary) =>
            scope.names.includes(summary.name),
          )
      : undefined,
    renameRepository: store.renameRepository
      ? (nameOrPath, newName) => (
          administer('Renaming a repository'),
          store.renameRepository!(nameOrPath, newName)
        )
      : undefined,
    readIndexedFile: store.readIndexedFile
      ? async (request) => {
          if (!(await scope.sees(request.repository))) {
            throw repositoryNotFound(request.repository, scope.names);
          }
          return store.readIndexedFile!(request);
        }
      : undefined,
    listFiles: async (repositoryId) => {
      await requireVisibleRepositoryId(repositoryId, 'Listing files');
      return store.listFiles(repositoryId);
    },
    writeFile: () => internal('Writing indexed files'),
    touchFile: () => internal('Writing indexed files'),
    deleteFiles: () => internal('Deleting indexed files'),
    getChunk: async (id) => {
      const chunk = await store.getChunk(id);
      return chunk && (await scope.visibleIds()).has(chunk.repositoryId) ? chunk : null;
    },
    searchCode: async (request) => {
      if (request.repository !== undefined && !(await scope.sees(request.repository))) {
        throw repositoryNotFound(request.repository, scope.names);
      }
      return scope.across(
        request.repository,
        (repository) => store.searchCode({ ...request, repository }),
        byScore,
        request.limit ?? searchDefaults.limit,
      );
    },
    hasChunkVectors: store.hasChunkVectors
      ? async (request) => {
          const names =
            request.repository === undefined
              ? scope.names
              : (await scope.sees(request.repository))
                ? [request.repository]
                : [];
          const answers = await Promise.all(
            names.map((repository) => store.hasChunkVectors!({ ...request, repository })),
          );
          return answers.some(Boolean);
        }
      : undefined,

    addLesson: async (input) => {
      write('Recording a lesson');
      await scope.requireWritable(input.repository, 'Recording a lesson');
      return store.addLesson(input);
    },
    updateLesson: async (id, patch) => {
      write('Changing a lesson');
      if (!(await visibleLesson(await store.getLesson(id)))) throw lessonNotFound(id);
      if (patch.repository !== undefined) {
        await scope.requireWritable(patch.repository, 'Moving a lesson');
      }
      return store.updateLesson(id, patch);
    },
    getLesson: async (id) => visibleLesson(await store.getLesson(id)),
    listLessons: async (request = {}) => {
      const offset = request.offset ?? 0;
      const limit = request.limit ?? defaultLessonPage;
      if (request.repository !== undefined) {
        return (await scope.sees(request.repository))
          ? store.listLessons(request)
          : { items: [], total: 0 };
      }
      const pages = await Promise.all(
        scope.names.map((repository) => listLessonsOf({ ...request, repository }, offset + limit)),
      );
      return {
        items: pages
          .flatMap((page) => page.items)
          .sort(newestFirst)
          .slice(offset, offset + limit),
        total: pages.reduce((sum, page) => sum + page.total, 0),
      };
    },
    deleteLesson: async (id) => {
      write('Deleting a lesson');
      if (!(await visibleLesson(await store.getLesson(id)))) return false;
      return store.deleteLesson(id);
    },
    searchLessons: (request) =>
      scope.across(
        request.repository,
        (repository) => store.searchLessons({ ...request, repository }),
        byScore,
        request.limit ?? searchDefaults.limit,
      ),
    confirmLesson: async (id) => {
      write('Confirming a lesson');
      if (!(await visibleLesson(await store.getLesson(id)))) throw lessonNotFound(id);
      return store.confirmLesson(id);
    },
    lessonsAnchoredAt: async (locations) => {
      const visible = await Promise.all(
        locations.map((location) => scope.sees(location.repository)),
      );
      const answers = await store.lessonsAnchoredAt(
        locations.filter((_location, index) => visible[index]),
      );
      const ids = new Set(answers.flat().map((lesson) => lesson.id));
      const seen = new Set<string>();
      for (const id of ids) {
        if (await visibleLesson(await store.getLesson(id))) seen.add(id);
      }
      let next = 0;
      return locations.map((_location, index) =>
        visible[index] ? (answers[next++] ?? []).filter((lesson) => seen.has(lesson.id)) : [],
      );
    },
    countLessonsByStaleness: () => store.countLessonsByStaleness(),
    refreshAnchors: () => internal('Refreshing anchors'),

    addCheckpoint: async (input) => {
      write('Saving a checkpoint');
      await scope.requireWritable(input.repository, 'Saving a checkpoint');
      return store.addCheckpoint(input);
    },
    getCheckpoint: async (id) => visibleCheckpoint(await store.getCheckpoint(id)),
    getRecentCheckpoints: (request = {}) =>
      scope.across(
        request.repository,
        (repository) => store.getRecentCheckpoints({ ...request, repository }),
        newestFirst,
        request.limit ?? defaultRecentCheckpoints,
      ),
    searchCheckpoints: (request) =>
      scope.across(
        request.repository,
        (repository) => store.searchCheckpoints({ ...request, repository }),
        byScore,
        request.limit ?? searchDefaults.limit,
      ),
    deleteCheckpoint: async (id) => {
      write('Deleting a checkpoint');
      if (!(await visibleCheckpoint(await store.getCheckpoint(id)))) return false;
      return store.deleteCheckpoint(id);
    },
    getAgentStatus: async (agent) => visibleAgent(await store.getAgentStatus(agent)),
    listAgents: async () => Promise.all((await store.listAgents()).map(visibleAgent)),

    pendingEmbeddings: () => internal('Reading the embedding queue'),
    putEmbeddings: () => internal('Writing embeddings'),

    recordAudit: (entry) => store.recordAudit(entry),
    listAudit: () => internal('Reading the audit log with a key limited to some repositories'),

    stats: () => store.stats(),
    backup: () => internal('Backing up the store'),
    integrityCheck: () => internal('Checking the store'),
    maintenance: () => internal('Store maintenance'),
    probeWrite: store.probeWrite ? () => store.probeWrite!() : undefined,
    close: noop,
    [Symbol.asyncDispose]: noop,
  };
}

/** Strips trailing separators so `/src/app/` and `/src/app` name the same root. */
function normalizeRoot(path: string): string {
  return path.length > 1 ? path.replace(/[\\/]+$/, '') : path;
}

/**
 * A view of `indexer` for one caller: re-indexing a repository needs `write` on it, indexing a
 * new directory, watching and unwatching need `admin` over every repository, and a key limited to
 * some repositories sees only their jobs and watched roots. Reads the repository list once, so
 * make one view per request.
 */
export async function scopeIndexer(
  indexer: CodeIndexer,
  store: Pick<NellieStore, 'listRepositories'>,
  access: Access,
): Promise<CodeIndexer> {
  if (isFullAccess(access)) return indexer;
  const names = access.repositories;
  const visibleRepositories = (await store.listRepositories()).filter(
    (repository) => names === null || names.includes(repository.name),
  );
  const visibleRoots = new Set(visibleRepositories.map((repository) => repository.rootPath));
  const visible = (job: IndexJob): boolean => names === null || names.includes(job.repository);
  const requireVisibleJob = (id: string): void => {
    const job = indexer.getJob(id);
    if (!job || !visible(job)) throw new NellieError('NOT_FOUND', `No index job with id ${id}.`);
  };
  const requireKnownRoot = (rootPath: string, action: string): void => {
    requireScope(access, 'write', action);
    if (visibleRoots.has(normalizeRoot(rootPath))) return;
    requireScope(access, 'admin', `${action} a directory that is not an indexed repository`);
    requireAllRepositories(access, `${action} a new directory`);
  };
  const administer = (action: string): void => {
    requireScope(access, 'admin', action);
    requireAllRepositories(access, action);
  };
  const noop = (): Promise<void> => Promise.resolve();
  return {
    startJob: async (request) => {
      requireKnownRoot(request.rootPath, 'Indexing');
      return indexer.startJob(request);
    },
    getJob: (id) => {
      const job = indexer.getJob(id);
      return job && visible(job) ? job : null;
    },
    listJobs: () => indexer.listJobs().filter(visible),
    cancelJob: (id) => {
      requireScope(access, 'write', 'Cancelling an index job');
      requireVisibleJob(id);
      return indexer.cancelJob(id);
    },
    waitForJob: async (id, options) => {
      requireVisibleJob(id);
      return indexer.waitForJob(id, options);
    },
    diff: async (rootPath, options) => {
      if (names !== null && !visibleRoots.has(normalizeRoot(rootPath))) {
        throw repositoryNotFound(rootPath, names);
      }
      return indexer.diff(rootPath, options);
    },
    watch: async (rootPath) => {
      administer('Watching a directory');
      return indexer.watch(rootPath);
    },
    unwatch: async (rootPath) => {
      administer('Unwatching a directory');
      return indexer.unwatch(rootPath);
    },
    waitForEmbeddings: (options) => indexer.waitForEmbeddings(options),
    status: () => {
      const status = indexer.status();
      if (names === null) return status;
      return {
        ...status,
        watchedRoots: status.watchedRoots.filter((root) => visibleRoots.has(root)),
      };
    },
    close: noop,
    [Symbol.asyncDispose]: noop,
  };
}
