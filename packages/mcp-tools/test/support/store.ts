import type { AuditEntry, CodeSearchHit, NellieStore, Repository } from '@nellie/core';
import type { MemoryStore } from '@nellie/test-utils';

/** The first argument of every call to `method`, oldest first. */
export function requestsTo<K extends 'searchCode' | 'searchLessons' | 'searchCheckpoints'>(
  store: MemoryStore,
  method: K,
): Parameters<NellieStore[K]>[0][] {
  return store.callsTo(method).map((args) => args[0]);
}

/** The audit log, oldest first. */
export async function auditOf(store: MemoryStore): Promise<AuditEntry[]> {
  return (await store.listAudit()).reverse();
}

/** Registers a repository, optionally as indexed at a given time. */
export async function addRepository(
  store: MemoryStore,
  name: string,
  rootPath: string,
  lastIndexedAt: string | null = null,
): Promise<Repository> {
  const repository = await store.upsertRepository({ rootPath, name });
  if (lastIndexedAt !== null) {
    await store.markRepositoryIndexed(repository.id, new Date(lastIndexedAt));
  }
  return repository;
}

/**
 * Makes the store answer code searches with these hits (after validating and recording the
 * request as usual), for tests of how hits are presented: exact scores, snippets, freshness.
 */
export function answerCodeSearches(store: MemoryStore, hits: readonly CodeSearchHit[]): void {
  const search = store.searchCode;
  store.searchCode = async (request) => {
    await search(request);
    return hits
      .filter(
        (hit) =>
          (request.repository === undefined || hit.repository === request.repository) &&
          (request.language === undefined || hit.language === request.language),
      )
      .slice(0, request.limit ?? 10);
  };
}

/** A code search hit in the repository `api`, with the fields overridden as given. */
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
