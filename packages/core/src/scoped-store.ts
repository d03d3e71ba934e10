import { isFullAccess, requireAllRepositories, requireScope, type Access } from './access.ts';
import type { AgentStatus, Checkpoint } from './checkpoints.ts';
import { NellieError } from './errors.ts';
import type { Lesson, Page } from './lessons.ts';
import { limits } from './limits.ts';
import { RepositoryScope } from './repository-scope.ts';
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
      confirmCheckpoint: (id) => (write('Confirming a checkpoint'), store.confirmCheckpoint(id)),
      listAudit: (query) => (administer('Reading the audit log'), store.listAudit(query)),
      close: noop,
      [Symbol.asyncDispose]: noop,
    };
  }

  const scope = new RepositoryScope(store, access, access.repositories);
  const visibleLesson = (lesson: Lesson | null): Promise<Lesson | null> => scope.lesson(lesson);
  const visibleLessons = async <T extends { lesson: Lesson }>(hits: T[]): Promise<T[]> =>
    Promise.all(hits.map(async (hit) => ({ ...hit, lesson: (await scope.lesson(hit.lesson))! })));
  const visibleCheckpoint = (checkpoint: Checkpoint | null): Promise<Checkpoint | null> =>
    scope.checkpoint(checkpoint);
  /** Checkpoints of a visible repository, with the anchors the key may see. */
  const visibleCheckpoints = async (checkpoints: Checkpoint[]): Promise<Checkpoint[]> =>
    (await Promise.all(checkpoints.map(visibleCheckpoint))).filter(
      (checkpoint) => checkpoint !== null,
    );
  const lessonNotFound = (id: string): NellieError =>
    new NellieError('NOT_FOUND', `No lesson with id ${id}.`);
  const checkpointNotFound = (id: string): NellieError =>
    new NellieError('NOT_FOUND', `No checkpoint with id ${id}.`);
  const requireVisibleRepositoryId = async (id: number, action: string): Promise<void> => {
    if (!(await scope.visibleIds()).has(id)) {
      throw new NellieError('FORBIDDEN', `${action}: this repository is not one of the key's.`);
    }
  };
  /**
   * An agent whose last checkpoint is in another repository answers as an agent that never saved
   * one, so neither its work nor when it last worked shows.
   */
  const visibleAgent = async (status: AgentStatus): Promise<AgentStatus> => {
    if (status.lastCheckpointId === null) return status;
    const last = await visibleCheckpoint(await store.getCheckpoint(status.lastCheckpointId));
    return last
      ? status
      : {
          agent: status.agent,
          status: 'idle',
          currentTask: null,
          lastCheckpointId: null,
          updatedAt: null,
        };
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
          await scope.requireIndexed(request.repository);
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
      if (request.repository !== undefined) {
        await scope.requireIndexed(request.repository);
        return store.searchCode(request);
      }
      // Only indexed repositories: the store's answer for an unknown one names every repository.
      const lists = await Promise.all(
        (await scope.indexedNames()).map((repository) =>
          store.searchCode({ ...request, repository }),
        ),
      );
      return lists
        .flat()
        .sort(byScore)
        .slice(0, request.limit ?? searchDefaults.limit);
    },
    hasChunkVectors: store.hasChunkVectors
      ? async (request) => {
          const indexed = await scope.indexedNames();
          const names =
            request.repository === undefined
              ? indexed
              : indexed.filter((name) => name === request.repository);
          const answers = await Promise.all(
            names.map((repository) => store.hasChunkVectors!({ ...request, repository })),
          );
          return answers.some(Boolean);
        }
      : undefined,

    addLesson: async (input) => {
      write('Recording a lesson');
      await scope.requireWritable(input.repository, 'Recording a lesson');
      await scope.requireAnchorsWritable(input.anchors, 'Anchoring a lesson');
      return visibleLesson(await store.addLesson(input)) as Promise<Lesson>;
    },
    updateLesson: async (id, patch) => {
      write('Changing a lesson');
      if (!(await visibleLesson(await store.getLesson(id)))) throw lessonNotFound(id);
      if (patch.repository !== undefined) {
        await scope.requireWritable(patch.repository, 'Moving a lesson');
      }
      await scope.requireAnchorsWritable(patch.anchors, 'Anchoring a lesson');
      return (await visibleLesson(await store.updateLesson(id, patch)))!;
    },
    getLesson: async (id) => visibleLesson(await store.getLesson(id)),
    listLessons: async (request = {}) => {
      const offset = request.offset ?? 0;
      const limit = request.limit ?? defaultLessonPage;
      if (request.repository !== undefined) {
        if (!(await scope.sees(request.repository))) return { items: [], total: 0 };
        const page = await store.listLessons(request);
        return { ...page, items: await Promise.all(page.items.map(visibleLesson)) } as Page<Lesson>;
      }
      const pages = await Promise.all(
        scope.names.map((repository) => listLessonsOf({ ...request, repository }, offset + limit)),
      );
      return {
        items: (await Promise.all(
          pages
            .flatMap((page) => page.items)
            .sort(newestFirst)
            .slice(offset, offset + limit)
            .map(visibleLesson),
        )) as Lesson[],
        total: pages.reduce((sum, page) => sum + page.total, 0),
      };
    },
    deleteLesson: async (id) => {
      write('Deleting a lesson');
      if (!(await visibleLesson(await store.getLesson(id)))) return false;
      return store.deleteLesson(id);
    },
    searchLessons: async (request) =>
      visibleLessons(
        await scope.across(
          request.repository,
          (repository) => store.searchLessons({ ...request, repository }),
          byScore,
          request.limit ?? searchDefaults.limit,
        ),
      ),
    confirmLesson: async (id) => {
      write('Confirming a lesson');
      if (!(await visibleLesson(await store.getLesson(id)))) throw lessonNotFound(id);
      return (await visibleLesson(await store.confirmLesson(id)))!;
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
    countLessonsByStaleness: () => scope.countLessonsByStaleness(),
    refreshAnchors: () => internal('Refreshing anchors'),

    addCheckpoint: async (input) => {
      write('Saving a checkpoint');
      await scope.requireWritable(input.repository, 'Saving a checkpoint');
      await scope.requireAnchorsWritable(input.anchors, 'Anchoring a checkpoint');
      return (await scope.checkpoint(await store.addCheckpoint(input)))!;
    },
    getCheckpoint: async (id) => visibleCheckpoint(await store.getCheckpoint(id)),
    countCheckpoints: store.countCheckpoints
      ? async (request = {}) => {
          const names =
            request.repository === undefined
              ? scope.names
              : (await scope.sees(request.repository))
                ? [request.repository]
                : [];
          const counts = await Promise.all(
            names.map((repository) => store.countCheckpoints!({ ...request, repository })),
          );
          return counts.reduce((total, count) => total + count, 0);
        }
      : undefined,
    getRecentCheckpoints: (request = {}) =>
      scope.across(
        request.repository,
        async (repository) =>
          visibleCheckpoints(await store.getRecentCheckpoints({ ...request, repository })),
        newestFirst,
        request.limit ?? defaultRecentCheckpoints,
      ),
    searchCheckpoints: (request) =>
      scope.across(
        request.repository,
        async (repository) => {
          const hits = await store.searchCheckpoints({ ...request, repository });
          const shown = await visibleCheckpoints(hits.map((hit) => hit.checkpoint));
          return hits.flatMap((hit) => {
            const checkpoint = shown.find((visible) => visible.id === hit.checkpoint.id);
            return checkpoint ? [{ ...hit, checkpoint }] : [];
          });
        },
        byScore,
        request.limit ?? searchDefaults.limit,
      ),
    deleteCheckpoint: async (id) => {
      write('Deleting a checkpoint');
      if (!(await visibleCheckpoint(await store.getCheckpoint(id)))) return false;
      return store.deleteCheckpoint(id);
    },
    confirmCheckpoint: async (id) => {
      write('Confirming a checkpoint');
      if (!(await visibleCheckpoint(await store.getCheckpoint(id)))) throw checkpointNotFound(id);
      return (await visibleCheckpoint(await store.confirmCheckpoint(id)))!;
    },
    getAgentStatus: async (agent) => visibleAgent(await store.getAgentStatus(agent)),
    listAgents: async () =>
      (await Promise.all((await store.listAgents()).map(visibleAgent))).filter(
        (status) => status.updatedAt !== null,
      ),

    pendingEmbeddings: () => internal('Reading the embedding queue'),
    putEmbeddings: () => internal('Writing embeddings'),

    recordAudit: (entry) => store.recordAudit(entry),
    listAudit: () => internal('Reading the audit log with a key limited to some repositories'),

    stats: () => scope.stats(),
    backup: () => internal('Backing up the store'),
    integrityCheck: () => internal('Checking the store'),
    maintenance: () => internal('Store maintenance'),
    probeWrite: store.probeWrite ? () => store.probeWrite!() : undefined,
    close: noop,
    [Symbol.asyncDispose]: noop,
  };
}
