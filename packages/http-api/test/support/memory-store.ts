/* eslint-disable @typescript-eslint/require-await -- in-memory fakes of asynchronous contracts */
import {
  NellieError,
  repositoryNotFound,
  type AgentStatus,
  type AuditEntry,
  type Checkpoint,
  type CodeSearchHit,
  type Lesson,
  type NellieStore,
  type StoreStats,
} from '@nellie/core';

/**
 * A small in-memory NellieStore for fast unit tests of the HTTP layer. Searches are naive
 * substring matches; the real behaviour is covered by the SQLite store tests.
 */
export function createMemoryStore(
  options: {
    chunks?: Omit<CodeSearchHit, 'score' | 'scores'>[];
    embeddingModel?: { modelId: string; dimensions: number } | null;
  } = {},
): NellieStore & { closed: boolean; failing: boolean } {
  const lessons = new Map<string, Lesson>();
  const checkpoints = new Map<string, Checkpoint>();
  const agents = new Map<string, AgentStatus>();
  const audit: AuditEntry[] = [];
  const chunks = options.chunks ?? [];
  let sequence = 0;
  let tick = Date.parse('2025-01-01T00:00:00.000Z');
  const now = () => new Date((tick += 1000)).toISOString();
  const nextId = (prefix: string) => `${prefix}_${(sequence += 1).toString().padStart(4, '0')}`;

  const check = () => {
    if (store.closed) throw new NellieError('STORE_CLOSED', 'The store is closed.');
    if (store.failing) throw new Error('disk I/O error');
  };
  const matches = (haystack: string, query: string) =>
    query
      .toLowerCase()
      .split(/\W+/)
      .filter(Boolean)
      .some((word) => haystack.toLowerCase().includes(word));
  const score = (rank: number) => ({ fused: 1 / (60 + rank), lexical: { rank, score: 1 } });

  const store = {
    closed: false as boolean,
    failing: false as boolean,
    embeddingModel: options.embeddingModel ?? null,

    async upsertRepository() {
      throw new Error('not used');
    },
    async getRepository() {
      return null;
    },
    async listRepositories() {
      check();
      return [];
    },
    async deleteRepository() {},
    async markRepositoryIndexed() {},
    async listFiles() {
      return [];
    },
    async writeFile() {},
    async touchFile() {},
    async deleteFiles() {
      return 0;
    },
    async getChunk() {
      return null;
    },
    async searchCode(request) {
      check();
      if (request.query.trim() === '') throw new NellieError('INVALID_INPUT', 'Empty query.');
      // As the real store: a repository filter that matches nothing is NOT_FOUND.
      const known = [...new Set(chunks.map((chunk) => chunk.repository))];
      const { repository } = request;
      if (repository !== undefined && !known.includes(repository)) {
        throw repositoryNotFound(repository, known);
      }
      return chunks
        .filter((chunk) => repository === undefined || chunk.repository === repository)
        .filter((chunk) => matches(chunk.content, request.query))
        .filter((chunk) => !request.language || chunk.language === request.language)
        .slice(0, request.limit ?? 10)
        .map((chunk, index) => ({
          ...chunk,
          score: score(index + 1).fused,
          scores: score(index + 1),
        }));
    },

    async addLesson(input) {
      check();
      const at = now();
      const lesson: Lesson = {
        id: nextId('lesson'),
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
    },
    async updateLesson(id, patch) {
      check();
      const lesson = lessons.get(id);
      if (!lesson) throw new NellieError('NOT_FOUND', `No lesson with id ${id}.`);
      const updated: Lesson = {
        ...lesson,
        ...Object.fromEntries(Object.entries(patch).filter(([, value]) => value !== undefined)),
        tags: patch.tags ? [...patch.tags] : lesson.tags,
        updatedAt: now(),
      };
      lessons.set(id, updated);
      return updated;
    },
    async getLesson(id) {
      check();
      return lessons.get(id) ?? null;
    },
    async listLessons(request = {}) {
      check();
      const all = [...lessons.values()]
        .reverse()
        .filter((lesson) => !request.severity || lesson.severity === request.severity)
        .filter((lesson) => !request.repo || lesson.repo === request.repo)
        .filter((lesson) => !request.agent || lesson.agent === request.agent)
        .filter((lesson) => (request.tags ?? []).every((tag) => lesson.tags.includes(tag)));
      const offset = request.offset ?? 0;
      return { items: all.slice(offset, offset + (request.limit ?? 20)), total: all.length };
    },
    async deleteLesson(id) {
      check();
      return lessons.delete(id);
    },
    async searchLessons(request) {
      check();
      return [...lessons.values()]
        .filter((lesson) => matches(`${lesson.title} ${lesson.content}`, request.query))
        .filter((lesson) => !request.severity || lesson.severity === request.severity)
        .filter((lesson) => !request.repo || lesson.repo === request.repo)
        .slice(0, request.limit ?? 10)
        .map((lesson, index) => ({
          lesson,
          score: score(index + 1).fused,
          scores: score(index + 1),
        }));
    },

    async addCheckpoint(input) {
      check();
      const checkpoint: Checkpoint = {
        id: nextId('checkpoint'),
        agent: input.agent,
        workingOn: input.workingOn,
        state: input.state ?? {},
        repo: input.repo ?? null,
        sessionId: input.sessionId ?? null,
        status: input.status ?? 'in_progress',
        createdAt: now(),
      };
      checkpoints.set(checkpoint.id, checkpoint);
      agents.set(input.agent, {
        agent: input.agent,
        status: checkpoint.status === 'done' ? 'idle' : 'in_progress',
        currentTask: checkpoint.status === 'done' ? null : checkpoint.workingOn,
        lastCheckpointId: checkpoint.id,
        updatedAt: checkpoint.createdAt,
      });
      return checkpoint;
    },
    async getCheckpoint(id) {
      check();
      return checkpoints.get(id) ?? null;
    },
    async getRecentCheckpoints(request = {}) {
      check();
      return [...checkpoints.values()]
        .reverse()
        .filter((checkpoint) => !request.agent || checkpoint.agent === request.agent)
        .filter((checkpoint) => !request.repo || checkpoint.repo === request.repo)
        .slice(0, request.limit ?? 10);
    },
    async searchCheckpoints(request) {
      check();
      return [...checkpoints.values()]
        .filter((checkpoint) => matches(checkpoint.workingOn, request.query))
        .filter((checkpoint) => !request.agent || checkpoint.agent === request.agent)
        .slice(0, request.limit ?? 10)
        .map((checkpoint, index) => ({
          checkpoint,
          score: score(index + 1).fused,
          scores: score(index + 1),
        }));
    },
    async deleteCheckpoint(id) {
      check();
      return checkpoints.delete(id);
    },
    async getAgentStatus(agent) {
      check();
      return (
        agents.get(agent) ?? {
          agent,
          status: 'idle',
          currentTask: null,
          lastCheckpointId: null,
          updatedAt: null,
        }
      );
    },
    async listAgents() {
      check();
      return [...agents.values()];
    },

    async pendingEmbeddings() {
      return [];
    },
    async putEmbeddings() {},

    async recordAudit(entry) {
      check();
      audit.push({ ...entry, id: audit.length + 1, at: now() });
    },
    async listAudit(query = {}) {
      check();
      return audit
        .filter((entry) => !query.since || entry.at >= query.since)
        .filter((entry) => !query.actor || entry.actor === query.actor)
        .filter((entry) => !query.action || entry.action === query.action)
        .reverse()
        .slice(0, query.limit ?? 100);
    },

    async stats(): Promise<StoreStats> {
      check();
      return {
        repositories: 0,
        files: new Set(chunks.map((chunk) => chunk.path)).size,
        chunks: chunks.length,
        chunksWithVectors: 0,
        chunksPendingEmbedding: 0,
        lessons: lessons.size,
        checkpoints: checkpoints.size,
        embeddingModel: null,
        schemaVersion: 1,
        databaseBytes: 4096,
      };
    },
    async backup() {
      return { bytes: 0 };
    },
    async integrityCheck() {
      return { ok: true, problems: [] };
    },
    async maintenance() {
      throw new Error('not used');
    },
    async close() {
      store.closed = true;
    },
    async [Symbol.asyncDispose]() {
      store.closed = true;
    },
  } satisfies NellieStore & { closed: boolean; failing: boolean };
  return store;
}
