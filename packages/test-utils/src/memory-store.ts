/* eslint-disable @typescript-eslint/require-await -- an in-memory fake of asynchronous contracts */
import { stat, writeFile } from 'node:fs/promises';
import { basename, isAbsolute, join } from 'node:path';
import {
  anchorStates,
  formatCheckpointForEmbedding,
  formatChunkForEmbedding,
  formatLessonForEmbedding,
  limits,
  NellieError,
  reciprocalRankFusion,
  stalenessScoreFactor,
  throwIfAborted,
  type AgentStatus,
  type AuditEntry,
  type Checkpoint,
  type CheckpointInput,
  type ChunkInput,
  type CodeSearchHit,
  type CodeSearchRequest,
  type EmbeddingModelInfo,
  type FileInput,
  type IndexedFile,
  type Lesson,
  type LessonInput,
  type NellieStore,
  type PendingEmbedding,
  type Repository,
  type ScoreBreakdown,
  type StoredChunk,
} from '@nellie/core';
import { MemoryAnchors } from './memory-store/anchors.ts';
import { checkCodeFiltersMatch } from './memory-store/code-filter-check.ts';
import { cosine, globMatcher, rankLexically } from './memory-store/ranking.ts';
import {
  checkKeys,
  checkRelativePath,
  contentHashPattern,
  filter,
  invalid,
  limitOf,
  offsetOf,
  optionalText,
  severityOf,
  sha256,
  tagsOf,
  text,
} from './memory-store/validation.ts';

export interface MemoryStoreOptions {
  /** The model whose vectors the store holds; null (the default) turns vectors off. */
  embedding?: EmbeddingModelInfo | null;
}

type StoreMethod = {
  [K in keyof NellieStore]-?: NellieStore[K] extends (...args: never[]) => unknown ? K : never;
}[keyof NellieStore];

/**
 * The in-memory `NellieStore` for fast unit tests. It passes the same `nellieStoreContract` as
 * the SQLite store; lexical search is a word-part match ranked by rarity and vector search is
 * exact cosine similarity, fused with reciprocal rank fusion. Besides the store it lets a test
 * see what was asked of it and make calls fail.
 */
export interface MemoryStore extends NellieStore {
  /** The arguments of every call to `method`, oldest first. */
  callsTo<K extends StoreMethod>(method: K): Parameters<NellieStore[K]>[];
  /** Makes the next call to `method` reject with `error`. */
  failNext(method: StoreMethod, error: Error): void;
  /**
   * Makes every call to `method` (to any method when omitted: a broken disk) reject with
   * `error`, until called again with null.
   */
  failWith(error: Error | null, method?: StoreMethod): void;
  readonly closed: boolean;
  /** Paths of the repository's files, sorted. */
  paths(repositoryId?: number): string[];
  /** The chunks of one file, in order. */
  chunksOf(path: string, repositoryId?: number): StoredChunk[];
  /** Paths of the repository's files with a chunk containing `text`, sorted. */
  pathsContaining(text: string, repositoryId?: number): string[];
  /** The vector stored for a content hash. */
  vectorOf(contentHash: string): Float32Array | undefined;
}

interface Embeddable {
  contentHash: string;
  text: string;
  /** Write order, for `pendingEmbeddings` (oldest first). */
  seq: number;
}

interface StoredFile extends IndexedFile {
  chunkIds: number[];
}

/** Creates an empty in-memory store. */
export function createMemoryStore(options: MemoryStoreOptions = {}): MemoryStore {
  const embeddingModel = options.embedding ?? null;
  const repositories = new Map<number, Repository>();
  const files = new Map<number, Map<string, StoredFile>>();
  const chunks = new Map<number, StoredChunk & { seq: number }>();
  const lessons = new Map<string, Lesson & { seq: number; contentHash: string }>();
  const checkpoints: (Checkpoint & { seq: number; contentHash: string })[] = [];
  const vectors = new Map<string, Float32Array>();
  const audit: AuditEntry[] = [];
  let nextId = 1;
  let seq = 0;
  let lastTime = 0;
  const now = (): string => {
    // Strictly increasing, so newest-first orders are stable within one millisecond.
    lastTime = Math.max(Date.now(), lastTime + 1);
    return new Date(lastTime).toISOString();
  };

  const repositoryFor = (id: number): Repository => {
    const repository = repositories.get(id);
    if (!repository) throw new NellieError('NOT_FOUND', `No repository with id ${id}.`);
    return repository;
  };
  const findRepository = (nameOrPath: string): Repository | null =>
    [...repositories.values()].find(
      (repository) => repository.name === nameOrPath || repository.rootPath === nameOrPath,
    ) ?? null;
  const anchors = new MemoryAnchors({
    findRepository,
    repository: (id) => repositories.get(id),
    chunksAt: (repositoryId, path) =>
      (files.get(repositoryId)?.get(path)?.chunkIds ?? [])
        .map((id) => chunks.get(id)!)
        .sort((a, b) => a.startLine - b.startLine)
        .map((chunk) => ({
          path,
          startLine: chunk.startLine,
          endLine: chunk.endLine,
          symbolName: chunk.symbolName,
          content: chunk.content,
        })),
    files: () =>
      [...files.entries()].flatMap(([repositoryId, byPath]) =>
        [...byPath.keys()].map((path) => ({ repositoryId, path })),
      ),
  });

  /** Drops vectors nothing refers to any more, as the SQLite store does. */
  const collectVectors = (): void => {
    const referenced = new Set<string>();
    for (const chunk of chunks.values()) referenced.add(chunk.contentHash);
    for (const lesson of lessons.values()) referenced.add(lesson.contentHash);
    for (const checkpoint of checkpoints) referenced.add(checkpoint.contentHash);
    for (const hash of vectors.keys()) if (!referenced.has(hash)) vectors.delete(hash);
  };

  const removeFile = (repositoryId: number, path: string): boolean => {
    const file = files.get(repositoryId)?.get(path);
    if (!file) return false;
    for (const id of file.chunkIds) chunks.delete(id);
    files.get(repositoryId)!.delete(path);
    return true;
  };

  const embeddables = (): Embeddable[] => [
    ...[...chunks.values()].map((chunk) => ({
      contentHash: chunk.contentHash,
      text: formatChunkForEmbedding(chunk),
      seq: chunk.seq,
    })),
    ...[...lessons.values()].map((lesson) => ({
      contentHash: lesson.contentHash,
      text: formatLessonForEmbedding(lesson),
      seq: lesson.seq,
    })),
    ...checkpoints.map((checkpoint) => ({
      contentHash: checkpoint.contentHash,
      text: formatCheckpointForEmbedding(checkpoint),
      seq: checkpoint.seq,
    })),
  ];

  const checkQuery = (query: unknown, vector: unknown): Float32Array | undefined => {
    if (typeof query !== 'string') throw invalid('query must be a string.');
    if (query.length > limits.queryLength) {
      throw invalid(`The query is ${query.length} characters long; at most ${limits.queryLength}.`);
    }
    if (vector === undefined) {
      if (query.trim() === '') throw invalid('The query is empty.');
      return undefined;
    }
    if (!(vector instanceof Float32Array)) throw invalid('queryVector must be a Float32Array.');
    if (!embeddingModel) throw invalid('This store has no embedding model; omit queryVector.');
    if (vector.length !== embeddingModel.dimensions) {
      throw invalid(
        `queryVector has ${vector.length} dimensions; the store holds ${embeddingModel.dimensions}.`,
      );
    }
    if (vector.some((value) => !Number.isFinite(value))) {
      throw invalid('queryVector holds a non-finite value.');
    }
    if (vector.every((value) => value === 0)) throw invalid('queryVector is all zeros.');
    return vector;
  };

  /** Lexical and vector rankings fused; `vectorOf` null when the item has no vector. */
  const fuse = <T>(
    query: string,
    queryVector: Float32Array | undefined,
    candidates: readonly T[],
    key: (item: T) => string | number,
    textOf: (item: T) => string,
    hashOf: (item: T) => string,
    limit: number,
    exactName?: (item: T) => string | null,
  ): { item: T; score: number; scores: ScoreBreakdown }[] => {
    const lexical = query.trim() === '' ? [] : rankLexically(query, candidates, textOf, exactName);
    const byVector = queryVector
      ? candidates
          .filter((item) => vectors.has(hashOf(item)))
          .map((item) => ({ item, similarity: cosine(queryVector, vectors.get(hashOf(item))!) }))
          .sort((a, b) => b.similarity - a.similarity)
      : [];
    const lexicalRank = new Map(lexical.map((entry, index) => [key(entry.item), { index, entry }]));
    const vectorRank = new Map(byVector.map((entry, index) => [key(entry.item), { index, entry }]));
    return reciprocalRankFusion(
      [
        { items: lexical.map((entry) => entry.item) },
        { items: byVector.map((entry) => entry.item) },
      ],
      key,
    )
      .slice(0, limit)
      .map(({ item, score }) => {
        const scores: ScoreBreakdown = { fused: score };
        const lexicalEntry = lexicalRank.get(key(item));
        if (lexicalEntry) {
          scores.lexical = { rank: lexicalEntry.index + 1, score: lexicalEntry.entry.score };
        }
        const vectorEntry = vectorRank.get(key(item));
        if (vectorEntry) {
          scores.vector = { rank: vectorEntry.index + 1, similarity: vectorEntry.entry.similarity };
        }
        return { item, score, scores };
      });
  };

  const agentStatus = (agent: string): AgentStatus => {
    const latest = checkpoints.filter((checkpoint) => checkpoint.agent === agent).at(-1);
    if (!latest) {
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

  const publicLesson = ({
    seq: _seq,
    contentHash: _hash,
    ...lesson
  }: Lesson & {
    seq: number;
    contentHash: string;
  }): Lesson => ({
    ...lesson,
    tags: [...lesson.tags],
    anchors: anchors.anchorsOf(lesson.id),
    staleness: anchors.stalenessOf(lesson.id),
  });
  const publicCheckpoint = ({
    seq: _seq,
    contentHash: _hash,
    ...checkpoint
  }: Checkpoint & {
    seq: number;
    contentHash: string;
  }): Checkpoint => structuredClone(checkpoint);
  const matchesLesson = (
    lesson: Lesson,
    filters: {
      tags?: readonly string[];
      severity?: string;
      repository?: string;
      agent?: string;
      staleness?: readonly string[];
    },
  ): boolean =>
    (filters.tags ?? []).every((tag) =>
      lesson.tags.some((own) => own.toLowerCase() === tag.toLowerCase()),
    ) &&
    (filters.severity === undefined || lesson.severity === filters.severity) &&
    (filters.repository === undefined || lesson.repository === filters.repository) &&
    (filters.agent === undefined || lesson.agent === filters.agent) &&
    (filters.staleness === undefined ||
      filters.staleness.length === 0 ||
      filters.staleness.includes(anchors.stalenessOf(lesson.id) ?? ''));
  const checkStaleness = (staleness: unknown): void => {
    if (staleness === undefined) return;
    if (
      !Array.isArray(staleness) ||
      staleness.some((state) => !(anchorStates as readonly unknown[]).includes(state))
    ) {
      throw invalid(`staleness must be a list of ${anchorStates.join(', ')}.`);
    }
  };

  const lessonRecord = (lesson: Lesson): Lesson & { seq: number; contentHash: string } => ({
    ...lesson,
    seq: (seq += 1),
    contentHash: sha256(`lesson\n${formatLessonForEmbedding(lesson)}`),
  });

  const store: Omit<NellieStore, StoreMethod> & { [K in StoreMethod]: NellieStore[K] } = {
    embeddingModel,

    // ---------------------------------------------------------------- code
    async upsertRepository(input) {
      const rootPath = input?.rootPath;
      if (typeof rootPath !== 'string' || !isAbsolute(rootPath)) {
        throw invalid(`The repository root "${String(rootPath)}" must be an absolute path.`);
      }
      const name =
        input.name === undefined ? undefined : text(input.name, 'name', limits.repositoryLength);
      const existing = [...repositories.values()].find((entry) => entry.rootPath === rootPath);
      const owner = name === undefined ? undefined : findRepository(name);
      if (name !== undefined && owner && owner.rootPath !== rootPath) {
        throw new NellieError('CONFLICT', `The repository name "${name}" is taken.`);
      }
      if (existing) {
        if (name !== undefined) existing.name = name;
        return { ...existing };
      }
      let unique = name ?? basename(rootPath);
      const base = unique;
      for (let suffix = 2; findRepository(unique); suffix += 1) unique = `${base}-${suffix}`;
      const repository: Repository = {
        id: nextId++,
        name: unique,
        rootPath,
        createdAt: now(),
        lastIndexedAt: null,
      };
      repositories.set(repository.id, repository);
      files.set(repository.id, new Map());
      return { ...repository };
    },
    async getRepository(nameOrPath) {
      const repository = findRepository(nameOrPath);
      return repository ? { ...repository } : null;
    },
    async listRepositories() {
      return [...repositories.values()]
        .map((repository) => ({ ...repository }))
        .sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
    },
    async deleteRepository(id) {
      repositoryFor(id);
      for (const path of [...files.get(id)!.keys()]) removeFile(id, path);
      files.delete(id);
      anchors.forgetRepository(id);
      repositories.delete(id);
      collectVectors();
    },
    async markRepositoryIndexed(id, at = new Date()) {
      repositoryFor(id).lastIndexedAt = at.toISOString();
    },
    async listFiles(repositoryId) {
      repositoryFor(repositoryId);
      return [...files.get(repositoryId)!.values()]
        .map(({ chunkIds: _ids, ...file }) => ({ ...file }))
        .sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
    },
    async writeFile(repositoryId, file: FileInput, input: readonly ChunkInput[]) {
      repositoryFor(repositoryId);
      const path = checkRelativePath(file?.path);
      for (const chunk of input) {
        if (
          !Number.isInteger(chunk.startLine) ||
          !Number.isInteger(chunk.endLine) ||
          chunk.startLine < 1 ||
          chunk.endLine < chunk.startLine ||
          typeof chunk.content !== 'string'
        ) {
          throw invalid(`A chunk of ${path} has lines ${chunk.startLine}-${chunk.endLine}.`);
        }
      }
      removeFile(repositoryId, path);
      const stored: StoredFile = {
        repositoryId,
        path,
        language: file.language,
        size: file.size,
        mtimeMs: file.mtimeMs,
        contentHash: file.contentHash,
        indexedAt: now(),
        chunkIds: [],
      };
      for (const chunk of input) {
        const id = nextId++;
        chunks.set(id, {
          id,
          repositoryId,
          path,
          startLine: chunk.startLine,
          endLine: chunk.endLine,
          content: chunk.content,
          symbolName: chunk.symbolName ?? null,
          symbolKind: chunk.symbolKind ?? null,
          enclosingSymbol: chunk.enclosingSymbol ?? null,
          language: chunk.language ?? file.language,
          contentHash: sha256(chunk.content),
          seq: (seq += 1),
        });
        stored.chunkIds.push(id);
      }
      files.get(repositoryId)!.set(path, stored);
      collectVectors();
    },
    async touchFile(repositoryId, path, info) {
      repositoryFor(repositoryId);
      const file = files.get(repositoryId)!.get(path);
      if (!file) throw new NellieError('NOT_FOUND', `The file ${path} is not indexed.`);
      file.size = info.size;
      file.mtimeMs = info.mtimeMs;
    },
    async deleteFiles(repositoryId, paths) {
      repositoryFor(repositoryId);
      let removed = 0;
      for (const path of paths) if (removeFile(repositoryId, path)) removed += 1;
      collectVectors();
      return removed;
    },
    async getChunk(id) {
      const chunk = chunks.get(id);
      if (!chunk) return null;
      const { seq: _seq, ...stored } = chunk;
      return stored;
    },
    async searchCode(request: CodeSearchRequest) {
      if (typeof request !== 'object' || request === null) throw invalid('Give a search request.');
      checkKeys(
        request,
        ['query', 'queryVector', 'limit', 'signal', 'repository', 'pathGlob', 'language'],
        'code search',
      );
      const queryVector = checkQuery(request.query, request.queryVector);
      const limit = limitOf(request.limit, limits.searchResults, 10);
      const repositoryFilter = filter(request.repository, 'repository', limits.repositoryLength);
      const pathGlob = filter(request.pathGlob, 'pathGlob', limits.globLength);
      const language = filter(request.language, 'language', limits.languageLength);
      throwIfAborted(request.signal);
      const repositoryId = checkCodeFiltersMatch(
        {
          repositories: [...repositories.values()],
          files: [...files.values()].flatMap((byPath) => [...byPath.values()]),
          chunks: [...chunks.values()],
        },
        { repository: repositoryFilter, language, pathGlob },
      )?.id;
      const wantedLanguage = language?.trim().toLowerCase();
      const matchesGlob = pathGlob === undefined ? () => true : globMatcher(pathGlob);
      const candidates = [...chunks.values()].filter(
        (chunk) =>
          (repositoryId === undefined || chunk.repositoryId === repositoryId) &&
          (wantedLanguage === undefined || chunk.language === wantedLanguage) &&
          matchesGlob(chunk.path),
      );
      const fused = fuse(
        request.query,
        queryVector,
        candidates,
        (chunk) => chunk.id,
        (chunk) =>
          `${chunk.path} ${chunk.enclosingSymbol ?? ''} ${chunk.symbolName ?? ''} ${chunk.content}`,
        (chunk) => chunk.contentHash,
        limit,
        (chunk) => chunk.symbolName,
      );
      const hits: CodeSearchHit[] = [];
      for (const { item: chunk, score, scores } of fused) {
        const repository = repositories.get(chunk.repositoryId)!;
        const file = files.get(chunk.repositoryId)!.get(chunk.path)!;
        const absolutePath = join(repository.rootPath, chunk.path);
        hits.push({
          chunkId: chunk.id,
          repository: repository.name,
          rootPath: repository.rootPath,
          path: chunk.path,
          absolutePath,
          startLine: chunk.startLine,
          endLine: chunk.endLine,
          symbolName: chunk.symbolName,
          symbolKind: chunk.symbolKind,
          enclosingSymbol: chunk.enclosingSymbol,
          language: chunk.language,
          content: chunk.content,
          score,
          scores,
          freshness: {
            indexedAt: file.indexedAt,
            changedSinceIndexed: await changedOnDisk(absolutePath, file),
          },
        });
      }
      return hits;
    },

    // ---------------------------------------------------------------- lessons
    async addLesson(input: LessonInput) {
      if (typeof input !== 'object' || input === null) throw invalid('Give a lesson.');
      checkKeys(
        input,
        ['title', 'content', 'tags', 'severity', 'repository', 'agent', 'anchors', 'autoAnchor'],
        'lesson',
      );
      const at = now();
      const lesson = lessonRecord({
        id: `lesson_${(nextId++).toString().padStart(6, '0')}`,
        title: text(input.title, 'title', limits.lessonTitleLength),
        content: text(input.content, 'content', limits.lessonContentLength),
        tags: tagsOf(input.tags),
        severity: input.severity === undefined ? 'info' : severityOf(input.severity),
        repository: optionalText(input.repository, 'repository', limits.repositoryLength),
        agent: optionalText(input.agent, 'agent', limits.agentLength),
        anchors: [],
        staleness: null,
        createdAt: at,
        updatedAt: at,
      });
      const explicit = anchors.resolve(input.anchors);
      const automatic =
        input.autoAnchor === false
          ? []
          : anchors.automatic(`${lesson.title}\n${lesson.content}`, lesson.repository);
      lessons.set(lesson.id, lesson);
      anchors.replace(lesson.id, [...explicit, ...automatic]);
      return publicLesson(lesson);
    },
    async updateLesson(id, patch) {
      const lesson = lessons.get(id);
      if (!lesson) throw new NellieError('NOT_FOUND', `No lesson with id ${id}.`);
      if (typeof patch !== 'object' || patch === null) throw invalid('Give the fields to change.');
      checkKeys(
        patch,
        ['title', 'content', 'tags', 'severity', 'repository', 'agent', 'anchors', 'autoAnchor'],
        'lesson',
      );
      const explicit =
        patch.anchors === undefined ? anchors.explicitOf(id) : anchors.resolve(patch.anchors);
      const updated = lessonRecord({
        ...publicLesson(lesson),
        ...(patch.title === undefined
          ? {}
          : { title: text(patch.title, 'title', limits.lessonTitleLength) }),
        ...(patch.content === undefined
          ? {}
          : { content: text(patch.content, 'content', limits.lessonContentLength) }),
        ...(patch.tags === undefined ? {} : { tags: tagsOf(patch.tags) }),
        ...(patch.severity === undefined ? {} : { severity: severityOf(patch.severity) }),
        ...(patch.repository === undefined
          ? {}
          : { repository: optionalText(patch.repository, 'repository', limits.repositoryLength) }),
        ...(patch.agent === undefined
          ? {}
          : { agent: optionalText(patch.agent, 'agent', limits.agentLength) }),
        updatedAt: now(),
      });
      if (updated.contentHash === lesson.contentHash) updated.seq = lesson.seq;
      lessons.set(id, updated);
      const textChanged = updated.title !== lesson.title || updated.content !== lesson.content;
      if (patch.anchors !== undefined || patch.autoAnchor !== undefined || textChanged) {
        const autoAnchor = patch.autoAnchor ?? (anchors.hasAutomatic(id) || textChanged);
        const automatic = autoAnchor
          ? anchors.automatic(`${updated.title}\n${updated.content}`, updated.repository)
          : [];
        anchors.replace(id, [...explicit, ...automatic]);
      }
      collectVectors();
      return publicLesson(updated);
    },
    async getLesson(id) {
      const lesson = lessons.get(id);
      return lesson ? publicLesson(lesson) : null;
    },
    async listLessons(request = {}) {
      checkKeys(
        request,
        ['tags', 'severity', 'repository', 'agent', 'staleness', 'limit', 'offset'],
        'lesson list',
      );
      checkStaleness(request.staleness);
      const limit = limitOf(request.limit, limits.pageSize, 50);
      const offset = offsetOf(request.offset);
      const all = [...lessons.values()]
        .filter((lesson) => matchesLesson(lesson, request))
        .sort((a, b) => (a.createdAt === b.createdAt ? 0 : a.createdAt < b.createdAt ? 1 : -1));
      return { items: all.slice(offset, offset + limit).map(publicLesson), total: all.length };
    },
    async deleteLesson(id) {
      const existed = lessons.delete(id);
      anchors.delete(id);
      collectVectors();
      return existed;
    },
    async searchLessons(request) {
      if (typeof request !== 'object' || request === null) throw invalid('Give a search request.');
      checkKeys(
        request,
        ['query', 'queryVector', 'limit', 'tags', 'severity', 'repository', 'agent', 'staleness'],
        'lesson search',
      );
      checkStaleness(request.staleness);
      const queryVector = checkQuery(request.query, request.queryVector);
      const limit = limitOf(request.limit, limits.searchResults, 10);
      if (request.severity !== undefined) severityOf(request.severity);
      const candidates = [...lessons.values()].filter((lesson) => matchesLesson(lesson, request));
      return fuse(
        request.query,
        queryVector,
        candidates,
        (lesson) => lesson.id,
        (lesson) => `${lesson.title} ${lesson.content} ${lesson.tags.join(' ')}`,
        (lesson) => lesson.contentHash,
        limit,
      )
        .map(({ item, score, scores }) => {
          const lesson = publicLesson(item);
          const factor = lesson.staleness === null ? 1 : stalenessScoreFactor[lesson.staleness];
          return { lesson, score: score * factor, scores };
        })
        .sort((a, b) => b.score - a.score);
    },
    async confirmLesson(id) {
      const lesson = lessons.get(id);
      if (!lesson) throw new NellieError('NOT_FOUND', `No lesson with id ${id}.`);
      anchors.confirm(id);
      return publicLesson(lesson);
    },
    async lessonsAnchoredAt(locations) {
      const rank = { critical: 0, warning: 1, info: 2 } as const;
      return locations.map((location) =>
        anchors
          .lessonsAt(location)
          .map((id) => lessons.get(id)!)
          .sort((a, b) =>
            rank[a.severity] !== rank[b.severity]
              ? rank[a.severity] - rank[b.severity]
              : a.createdAt < b.createdAt
                ? 1
                : -1,
          )
          .map((lesson) => ({
            id: lesson.id,
            title: lesson.title,
            severity: lesson.severity,
            staleness: anchors.stalenessOf(lesson.id)!,
          })),
      );
    },
    async countLessonsByStaleness() {
      return anchors.countByStaleness();
    },
    async refreshAnchors(repositoryId, paths) {
      repositoryFor(repositoryId);
      return anchors.refresh(repositoryId, paths);
    },

    // ---------------------------------------------------------------- checkpoints
    async addCheckpoint(input: CheckpointInput) {
      if (typeof input !== 'object' || input === null) throw invalid('Give a checkpoint.');
      checkKeys(
        input,
        ['agent', 'workingOn', 'state', 'repository', 'sessionId', 'status'],
        'checkpoint',
      );
      const state = input.state ?? {};
      if (typeof state !== 'object' || state === null || Array.isArray(state)) {
        throw invalid('state must be a JSON object.');
      }
      if (Buffer.byteLength(JSON.stringify(state)) > limits.checkpointStateBytes) {
        throw invalid(`state must be at most ${limits.checkpointStateBytes} bytes as JSON.`);
      }
      const status = input.status ?? 'in_progress';
      if (status !== 'in_progress' && status !== 'done') {
        throw invalid('status must be in_progress or done.');
      }
      const workingOn = text(input.workingOn, 'workingOn', limits.checkpointWorkingOnLength);
      const checkpoint = {
        id: `checkpoint_${(nextId++).toString().padStart(6, '0')}`,
        agent: text(input.agent, 'agent', limits.agentLength),
        workingOn,
        state: structuredClone(state),
        repository: optionalText(input.repository, 'repository', limits.repositoryLength),
        sessionId: optionalText(input.sessionId, 'sessionId', limits.sessionIdLength),
        status,
        createdAt: now(),
        seq: (seq += 1),
        contentHash: sha256(`checkpoint\n${formatCheckpointForEmbedding({ workingOn, state })}`),
      };
      checkpoints.push(checkpoint);
      return publicCheckpoint(checkpoint);
    },
    async getCheckpoint(id) {
      const checkpoint = checkpoints.find((entry) => entry.id === id);
      return checkpoint ? publicCheckpoint(checkpoint) : null;
    },
    async countCheckpoints(request = {}) {
      checkKeys(request, ['agent', 'repository'], 'checkpoint count');
      return checkpoints.filter(
        (checkpoint) =>
          (request.agent === undefined || checkpoint.agent === request.agent) &&
          (request.repository === undefined || checkpoint.repository === request.repository),
      ).length;
    },
    async getRecentCheckpoints(request = {}) {
      checkKeys(request, ['agent', 'repository', 'limit'], 'checkpoint list');
      const limit = limitOf(request.limit, limits.pageSize, 10);
      return checkpoints
        .filter(
          (checkpoint) =>
            (request.agent === undefined || checkpoint.agent === request.agent) &&
            (request.repository === undefined || checkpoint.repository === request.repository),
        )
        .reverse()
        .slice(0, limit)
        .map(publicCheckpoint);
    },
    async searchCheckpoints(request) {
      if (typeof request !== 'object' || request === null) throw invalid('Give a search request.');
      checkKeys(
        request,
        ['query', 'queryVector', 'limit', 'agent', 'repository'],
        'checkpoint search',
      );
      const queryVector = checkQuery(request.query, request.queryVector);
      const limit = limitOf(request.limit, limits.searchResults, 10);
      const candidates = checkpoints.filter(
        (checkpoint) =>
          (request.agent === undefined || checkpoint.agent === request.agent) &&
          (request.repository === undefined || checkpoint.repository === request.repository),
      );
      return fuse(
        request.query,
        queryVector,
        candidates,
        (checkpoint) => checkpoint.id,
        (checkpoint) => `${checkpoint.workingOn} ${JSON.stringify(checkpoint.state)}`,
        (checkpoint) => checkpoint.contentHash,
        limit,
      ).map(({ item, score, scores }) => ({ checkpoint: publicCheckpoint(item), score, scores }));
    },
    async deleteCheckpoint(id) {
      const index = checkpoints.findIndex((checkpoint) => checkpoint.id === id);
      if (index === -1) return false;
      checkpoints.splice(index, 1);
      collectVectors();
      return true;
    },
    async getAgentStatus(agent) {
      return agentStatus(text(agent, 'agent', limits.agentLength));
    },
    async listAgents() {
      return [...new Set(checkpoints.map((checkpoint) => checkpoint.agent))]
        .sort()
        .map(agentStatus);
    },

    // ---------------------------------------------------------------- embeddings
    async pendingEmbeddings(limit) {
      if (typeof limit !== 'number' || !Number.isInteger(limit) || limit < 1 || limit > 10_000) {
        throw invalid('limit must be between 1 and 10000.');
      }
      if (!embeddingModel) return [];
      const seen = new Set<string>();
      const pending: PendingEmbedding[] = [];
      for (const item of embeddables().sort((a, b) => a.seq - b.seq)) {
        if (vectors.has(item.contentHash) || seen.has(item.contentHash)) continue;
        seen.add(item.contentHash);
        pending.push({ contentHash: item.contentHash, text: item.text });
        if (pending.length === limit) break;
      }
      return pending;
    },
    async putEmbeddings(items) {
      if (!embeddingModel) throw invalid('This store has no embedding model; it keeps no vectors.');
      items.forEach((item, position) => {
        if (typeof item?.contentHash !== 'string' || !contentHashPattern.test(item.contentHash)) {
          throw invalid(`Item ${position}: contentHash must be a sha256 hex string.`);
        }
        if (!(item.vector instanceof Float32Array)) {
          throw invalid(`Item ${position}: vector must be a Float32Array.`);
        }
        if (item.vector.length !== embeddingModel.dimensions) {
          throw new NellieError(
            'DIMENSION_MISMATCH',
            `Item ${position}: the vector has ${item.vector.length} dimensions; the store holds ${embeddingModel.dimensions}.`,
          );
        }
        if (item.vector.some((value) => !Number.isFinite(value))) {
          throw invalid(`Item ${position}: the vector holds a non-finite value.`);
        }
      });
      const referenced = new Set(embeddables().map((item) => item.contentHash));
      for (const item of items) {
        if (referenced.has(item.contentHash)) vectors.set(item.contentHash, item.vector.slice());
      }
    },

    // ---------------------------------------------------------------- audit
    async recordAudit(entry) {
      if (typeof entry !== 'object' || entry === null) throw invalid('Give an audit entry.');
      if (!['http', 'mcp', 'cli'].includes(entry.channel)) {
        throw invalid('channel must be http, mcp or cli.');
      }
      audit.push({
        id: audit.length + 1,
        at: now(),
        actor: text(entry.actor, 'actor', limits.agentLength),
        channel: entry.channel,
        action: text(entry.action, 'action', 200),
        target: entry.target ?? null,
        details: entry.details === null ? null : structuredClone(entry.details),
      });
    },
    async listAudit(query = {}) {
      checkKeys(query, ['since', 'actor', 'action', 'limit'], 'audit query');
      const limit = limitOf(query.limit, limits.auditPageSize, 100);
      return audit
        .filter(
          (entry) =>
            (query.since === undefined || entry.at >= new Date(query.since).toISOString()) &&
            (query.actor === undefined || entry.actor === query.actor) &&
            (query.action === undefined || entry.action === query.action),
        )
        .reverse()
        .slice(0, limit)
        .map((entry) => structuredClone(entry));
    },

    // ---------------------------------------------------------------- operations
    async stats() {
      const all = [...chunks.values()];
      const withVectors = all.filter((chunk) => vectors.has(chunk.contentHash)).length;
      return {
        repositories: repositories.size,
        files: [...files.values()].reduce((sum, map) => sum + map.size, 0),
        chunks: all.length,
        chunksWithVectors: withVectors,
        chunksPendingEmbedding: embeddingModel ? all.length - withVectors : 0,
        lessons: lessons.size,
        checkpoints: checkpoints.length,
        embeddingModel,
        schemaVersion: 1,
        databaseBytes: 0,
      };
    },
    async backup(destinationPath, backupOptions = {}) {
      throwIfAborted(backupOptions.signal);
      const snapshot = JSON.stringify({
        repositories: [...repositories.values()],
        lessons: [...lessons.values()].map(publicLesson),
        checkpoints: checkpoints.map(publicCheckpoint),
      });
      try {
        await writeFile(destinationPath, snapshot, { flag: backupOptions.replace ? 'w' : 'wx' });
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code === 'EEXIST') {
          throw new NellieError(
            'CONFLICT',
            `${destinationPath} exists; pass replace to replace it.`,
          );
        }
        throw error;
      }
      return { bytes: Buffer.byteLength(snapshot) };
    },
    async integrityCheck() {
      return { ok: true, problems: [] };
    },
    async maintenance(maintenanceOptions = {}) {
      return {
        integrity: { ok: true, problems: [] },
        analyzed: true,
        ftsOptimized: true,
        vacuumed: (maintenanceOptions.vacuum ?? 'auto') !== 'never',
        bytesBefore: 0,
        bytesAfter: 0,
      };
    },
    async probeWrite() {},
    async close() {},
    async [Symbol.asyncDispose]() {},
  };

  return instrument(store, {
    paths(repositoryId = 1) {
      return [...(files.get(repositoryId)?.keys() ?? [])].sort();
    },
    chunksOf(path, repositoryId = 1) {
      const file = files.get(repositoryId)?.get(path);
      return (file?.chunkIds ?? []).map((id) => {
        const { seq: _seq, ...chunk } = chunks.get(id)!;
        return chunk;
      });
    },
    pathsContaining(needle, repositoryId = 1) {
      return [...(files.get(repositoryId)?.values() ?? [])]
        .filter((file) => file.chunkIds.some((id) => chunks.get(id)!.content.includes(needle)))
        .map((file) => file.path)
        .sort();
    },
    vectorOf(contentHash) {
      return vectors.get(contentHash);
    },
  });
}

async function changedOnDisk(
  absolutePath: string,
  file: Pick<IndexedFile, 'size' | 'mtimeMs'>,
): Promise<boolean | null> {
  try {
    const info = await stat(absolutePath);
    return info.size !== file.size || Math.trunc(info.mtimeMs) !== Math.trunc(file.mtimeMs);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    return code === 'ENOENT' || code === 'ENOTDIR' ? true : null;
  }
}

/**
 * Wraps every method: refuses calls once closed, records arguments and applies the failures a
 * test asked for.
 */
function instrument(
  store: NellieStore,
  inspection: Pick<MemoryStore, 'paths' | 'chunksOf' | 'pathsContaining' | 'vectorOf'>,
): MemoryStore {
  const calls = new Map<string, unknown[][]>();
  const nextFailures = new Map<string, Error>();
  const failures = new Map<string, Error>();
  let failure: Error | null = null;
  let closed = false;
  const methods = Object.keys(store).filter(
    (key) => typeof (store as unknown as Record<string, unknown>)[key] === 'function',
  );
  const wrapped: Record<string | symbol, unknown> = {
    get embeddingModel() {
      return store.embeddingModel;
    },
    get closed() {
      return closed;
    },
    callsTo: (method: string) => [...(calls.get(method) ?? [])],
    failNext: (method: string, error: Error) => nextFailures.set(method, error),
    failWith: (error: Error | null, method?: string) => {
      if (method === undefined) failure = error;
      else if (error === null) failures.delete(method);
      else failures.set(method, error);
    },
    ...inspection,
  };
  for (const method of methods) {
    const implementation = (store as unknown as Record<string, (...args: unknown[]) => unknown>)[
      method
    ]!;
    wrapped[method] = async (...args: unknown[]) => {
      if (method === 'close') {
        closed = true;
        return;
      }
      if (closed) throw new NellieError('STORE_CLOSED', 'The store is closed.');
      calls.set(method, [...(calls.get(method) ?? []), args]);
      const next = nextFailures.get(method);
      if (next) {
        nextFailures.delete(method);
        throw next;
      }
      const failing = failures.get(method) ?? failure;
      if (failing) throw failing;
      return implementation(...args);
    };
  }
  wrapped[Symbol.asyncDispose] = () => (wrapped.close as () => Promise<void>)();
  return wrapped as unknown as MemoryStore;
}
