/* eslint-disable @typescript-eslint/require-await -- an in-memory fake of asynchronous contracts */
import { stat } from 'node:fs/promises';
import { basename, isAbsolute, join } from 'node:path';
import {
  limits,
  NellieError,
  throwIfAborted,
  type ChunkInput,
  type CodeSearchHit,
  type CodeSearchRequest,
  type FileInput,
  type IndexedFile,
  type Repository,
} from '@nellie/core';
import { checkCodeFiltersMatch } from './code-filter-check.ts';
import { checkQuery, fuse } from './hybrid-search.ts';
import { globMatcher } from './ranking.ts';
import type { MemoryState, StoreMethods, StoredFile } from './state.ts';
import {
  checkKeys,
  checkRelativePath,
  filter,
  invalid,
  limitOf,
  sha256,
  text,
} from './validation.ts';

export type CodeMethod =
  | 'upsertRepository'
  | 'getRepository'
  | 'listRepositories'
  | 'deleteRepository'
  | 'markRepositoryIndexed'
  | 'listFiles'
  | 'writeFile'
  | 'touchFile'
  | 'deleteFiles'
  | 'getChunk'
  | 'searchCode';

/** Repositories, indexed files and code search. */
export function codeMethods(state: MemoryState): StoreMethods<CodeMethod> {
  const {
    repositories,
    files,
    chunks,
    anchors,
    checkpointAnchors,
    newId,
    nextSeq,
    now,
    repositoryFor,
    findRepository,
    collectVectors,
    removeFile,
  } = state;
  return {
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
        id: newId(),
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
      checkpointAnchors.forgetRepository(id);
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
        const id = newId();
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
          seq: nextSeq(),
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
      const queryVector = checkQuery(state, request.query, request.queryVector);
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
        state,
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
  };
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
