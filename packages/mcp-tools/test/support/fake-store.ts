import { randomUUID } from 'node:crypto';
import {
  NellieError,
  repositoryNotFound,
  type AgentStatus,
  type AuditEntry,
  type Checkpoint,
  type CheckpointSearchRequest,
  type CodeSearchHit,
  type CodeSearchRequest,
  type EmbeddingModelInfo,
  type Lesson,
  type LessonInput,
  type LessonSearchRequest,
  type NellieStore,
  type Repository,
  type StoreStats,
} from '@nellie/core';

/**
 * A small in-memory NellieStore for fast unit tests. Search is a word-overlap score; requests are
 * recorded so tests can check what the tools asked for (e.g. whether a query vector was sent).
 */
export interface FakeStore extends NellieStore {
  codeHits: CodeSearchHit[];
  repositories: Repository[];
  audit: AuditEntry[];
  codeSearches: CodeSearchRequest[];
  lessonSearches: LessonSearchRequest[];
  checkpointSearches: CheckpointSearchRequest[];
  failNext: Partial<Record<keyof NellieStore, Error>>;
}

export function createFakeStore(
  options: { embeddingModel?: EmbeddingModelInfo | null } = {},
): FakeStore {
  const lessons = new Map<string, Lesson>();
  const checkpoints: Checkpoint[] = [];
  let clock = Date.parse('2025-01-01T00:00:00.000Z');
  const now = (): string => new Date((clock += 1000)).toISOString();
  let auditId = 0;

  const words = (text: string): string[] => text.toLowerCase().match(/[a-z0-9_]+/g) ?? [];
  const overlap = (query: string, text: string): number => {
    const have = new Set(words(text));
    return words(query).filter((word) => have.has(word)).length;
  };
  const failIfAsked = (method: keyof NellieStore): void => {
    const error = store.failNext[method];
    if (error !== undefined) {
      delete store.failNext[method];
      throw error;
    }
  };
  const unsupported = (name: string) => (): Promise<never> =>
    Promise.reject(new Error(`fake store: ${name} is not implemented`));

  const matchesLesson = (
    lesson: Lesson,
    filters: { tags?: readonly string[]; severity?: string; repo?: string; agent?: string },
  ): boolean =>
    (filters.tags ?? []).every((tag) => lesson.tags.includes(tag)) &&
    (filters.severity === undefined || lesson.severity === filters.severity) &&
    (filters.repo === undefined || lesson.repo === filters.repo) &&
    (filters.agent === undefined || lesson.agent === filters.agent);

  const agentStatus = (agent: string): AgentStatus => {
    const latest = checkpoints.filter((checkpoint) => checkpoint.agent === agent).at(-1);
    if (latest === undefined) {
      return { agent, status: 'idle', currentTask: null, lastCheckpointId: null, updatedAt: null };
    }
    return {
      agent,
      status: latest.status === 'done' ? 'idle' : 'in_progress',
      currentTask: latest.status === 'done' ? null : latest.workingOn,
      lastCheckpointId: latest.id,
      updatedAt: latest.createdAt,
    };
  };

  const store: FakeStore = {
    codeHits: [],
    repositories: [],
    audit: [],
    codeSearches: [],
    lessonSearches: [],
    checkpointSearches: [],
    failNext: {},
    embeddingModel: options.embeddingModel === undefined ? null : options.embeddingModel,

    // ---- code
    upsertRepository: unsupported('upsertRepository'),
    getRepository(nameOrPath) {
      return Promise.resolve(
        store.repositories.find(
          (repository) => repository.name === nameOrPath || repository.rootPath === nameOrPath,
        ) ?? null,
      );
    },
    listRepositories() {
      return Promise.resolve([...store.repositories]);
    },
    deleteRepository: unsupported('deleteRepository'),
    markRepositoryIndexed: unsupported('markRepositoryIndexed'),
    listFiles: unsupported('listFiles'),
    writeFile: unsupported('writeFile'),
    touchFile: unsupported('touchFile'),
    deleteFiles: unsupported('deleteFiles'),
    getChunk: unsupported('getChunk'),
    searchCode(request) {
      return Promise.resolve().then(() => {
        failIfAsked('searchCode');
        store.codeSearches.push(request);
        // As the real store: a repository filter that matches nothing is NOT_FOUND.
        const { repository: wanted } = request;
        if (
          wanted !== undefined &&
          !store.repositories.some((item) => item.name === wanted || item.rootPath === wanted)
        ) {
          throw repositoryNotFound(wanted, store.repositories.map((item) => item.name));
        }
        return store.codeHits
          .filter(
            (hit) =>
              (request.repository === undefined || hit.repository === request.repository) &&
              (request.language === undefined || hit.language === request.language) &&
              overlap(request.query, `${hit.path} ${hit.symbolName ?? ''} ${hit.content}`) > 0,
          )
          .slice(0, request.limit ?? 10);
      });
    },

    // ---- lessons
    addLesson(input: LessonInput) {
      return Promise.resolve().then(() => {
        failIfAsked('addLesson');
        const at = now();
        const lesson: Lesson = {
          id: randomUUID(),
          title: input.title,
          content: input.content,
          tags: [...(input.tags ?? [])],
          severity: input.severity ?? 'info',
          repo: input.repo ?? null,
          agent: input.agent ?? null,
          createdAt: at,
          updatedAt: at,
        };
        lessons.set(lesson.id, lesson);
        return lesson;
      });
    },
    updateLesson(id, patch) {
      const lesson = lessons.get(id);
      if (lesson === undefined) {
        return Promise.reject(new NellieError('NOT_FOUND', `No lesson ${id}.`));
      }
      const updated: Lesson = {
        ...lesson,
        ...(patch.title === undefined ? {} : { title: patch.title }),
        ...(patch.content === undefined ? {} : { content: patch.content }),
        ...(patch.tags === undefined ? {} : { tags: [...patch.tags] }),
        ...(patch.severity === undefined ? {} : { severity: patch.severity }),
        ...(patch.repo === undefined ? {} : { repo: patch.repo }),
        updatedAt: now(),
      };
      lessons.set(id, updated);
      return Promise.resolve(updated);
    },
    getLesson(id) {
      return Promise.resolve(lessons.get(id) ?? null);
    },
    listLessons(request = {}) {
      const all = [...lessons.values()]
        .reverse()
        .filter((lesson) => matchesLesson(lesson, request));
      const offset = request.offset ?? 0;
      return Promise.resolve({
        items: all.slice(offset, offset + (request.limit ?? 20)),
        total: all.length,
      });
    },
    deleteLesson(id) {
      return Promise.resolve(lessons.delete(id));
    },
    searchLessons(request) {
      store.lessonSearches.push(request);
      const hits = [...lessons.values()]
        .filter((lesson) => matchesLesson(lesson, request))
        .map((lesson) => ({
          lesson,
          score: overlap(
            request.query,
            `${lesson.title} ${lesson.content} ${lesson.tags.join(' ')}`,
          ),
        }))
        .filter((hit) => hit.score > 0)
        .sort((a, b) => b.score - a.score)
        .slice(0, request.limit ?? 10)
        .map((hit, index) => ({
          lesson: hit.lesson,
          score: 1 / (61 + index),
          scores: { fused: 1 / (61 + index), lexical: { rank: index + 1, score: hit.score } },
        }));
      return Promise.resolve(hits);
    },

    // ---- checkpoints
    addCheckpoint(input) {
      const checkpoint: Checkpoint = {
        id: randomUUID(),
        agent: input.agent,
        workingOn: input.workingOn,
        state: input.state ?? {},
        repo: input.repo ?? null,
        sessionId: input.sessionId ?? null,
        status: input.status ?? 'in_progress',
        createdAt: now(),
      };
      checkpoints.push(checkpoint);
      return Promise.resolve(checkpoint);
    },
    getCheckpoint(id) {
      return Promise.resolve(checkpoints.find((checkpoint) => checkpoint.id === id) ?? null);
    },
    getRecentCheckpoints(request = {}) {
      return Promise.resolve(
        checkpoints
          .filter(
            (checkpoint) =>
              (request.agent === undefined || checkpoint.agent === request.agent) &&
              (request.repo === undefined || checkpoint.repo === request.repo),
          )
          .reverse()
          .slice(0, request.limit ?? 10),
      );
    },
    searchCheckpoints(request) {
      store.checkpointSearches.push(request);
      return Promise.resolve(
        checkpoints
          .filter(
            (checkpoint) =>
              (request.agent === undefined || checkpoint.agent === request.agent) &&
              (request.repo === undefined || checkpoint.repo === request.repo) &&
              overlap(
                request.query,
                `${checkpoint.workingOn} ${JSON.stringify(checkpoint.state)}`,
              ) > 0,
          )
          .reverse()
          .slice(0, request.limit ?? 10)
          .map((checkpoint, index) => ({
            checkpoint,
            score: 1 / (61 + index),
            scores: { fused: 1 / (61 + index) },
          })),
      );
    },
    deleteCheckpoint: unsupported('deleteCheckpoint'),
    getAgentStatus(agent) {
      return Promise.resolve(agentStatus(agent));
    },
    listAgents() {
      const agents = [...new Set(checkpoints.map((checkpoint) => checkpoint.agent))].sort();
      return Promise.resolve(agents.map(agentStatus));
    },

    // ---- embeddings
    pendingEmbeddings: () => Promise.resolve([]),
    putEmbeddings: () => Promise.resolve(),

    // ---- audit
    recordAudit(entry) {
      return Promise.resolve().then(() => {
        failIfAsked('recordAudit');
        store.audit.push({ ...entry, id: (auditId += 1), at: now() });
      });
    },
    listAudit() {
      return Promise.resolve([...store.audit].reverse());
    },

    // ---- operations
    stats(): Promise<StoreStats> {
      return Promise.resolve({
        repositories: store.repositories.length,
        files: 12,
        chunks: 40,
        chunksWithVectors: store.embeddingModel === null ? 0 : 30,
        chunksPendingEmbedding: store.embeddingModel === null ? 0 : 10,
        lessons: lessons.size,
        checkpoints: checkpoints.length,
        embeddingModel: store.embeddingModel,
        schemaVersion: 1,
        databaseBytes: 4096,
      });
    },
    backup: unsupported('backup'),
    integrityCheck: unsupported('integrityCheck'),
    maintenance: unsupported('maintenance'),
    close: () => Promise.resolve(),
    [Symbol.asyncDispose]: () => Promise.resolve(),
  };
  return store;
}

export function repository(
  name: string,
  rootPath: string,
  lastIndexedAt: string | null = null,
): Repository {
  return {
    id: Math.floor(Math.random() * 1e6),
    name,
    rootPath,
    createdAt: '2025-01-01T00:00:00.000Z',
    lastIndexedAt,
  };
}

export function codeHit(overrides: Partial<CodeSearchHit> = {}): CodeSearchHit {
  return {
    chunkId: 1,
    repository: 'api',
    rootPath: '/work/api',
    path: 'src/user.ts',
    absolutePath: '/work/api/src/user.ts',
    startLine: 10,
    endLine: 24,
    symbolName: 'getUserById',
    symbolKind: 'function',
    enclosingSymbol: null,
    language: 'typescript',
    content: 'export async function getUserById(id: string) {\n  return db.users.find(id);\n}',
    score: 0.82,
    scores: { fused: 0.82, lexical: { rank: 1, score: 3.1 } },
    freshness: { indexedAt: '2025-01-01T00:00:00.000Z', changedSinceIndexed: false },
    ...overrides,
  };
}
