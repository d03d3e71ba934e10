import type { CheckpointHit, CheckpointSearchRequest, CheckpointStore } from './checkpoints.ts';
import { codeMemories } from './anchors.ts';
import type { CodeSearchHit, CodeSearchRequest, CodeStore } from './code.ts';
import type { LessonHit, LessonSearchRequest, LessonStore } from './lessons.ts';
import {
  prepareSearch,
  type ScopeVectors,
  type SearchPreparationDeps,
} from './search-preparation.ts';
import {
  chunkLimitForFiles,
  groupHitsByFile,
  searchDefaults,
  type CodeSearchResponse,
  type SearchGroupBy,
  type SearchRequestMode,
  type SearchResponse,
} from './search-vocabulary.ts';

/** What every search request adds to the store's request: how to rank, and cancellation. */
interface SearchOptions {
  mode?: SearchRequestMode;
  signal?: AbortSignal;
}

export type CodeSearchQuery = Omit<CodeSearchRequest, 'queryVector' | 'signal'> &
  SearchOptions & { groupBy?: SearchGroupBy };
export type LessonSearchQuery = Omit<LessonSearchRequest, 'queryVector'> & SearchOptions;
export type CheckpointSearchQuery = Omit<CheckpointSearchRequest, 'queryVector'> & SearchOptions;

/**
 * Answers a code search the same way for every interface: prepares it (semantic or keyword, with
 * a notice), searches, and groups by file when asked (`limit` then counts files).
 */
export async function answerCodeSearch(
  deps: SearchPreparationDeps & {
    store: Pick<CodeStore, 'searchCode' | 'hasChunkVectors'> &
      Partial<Pick<LessonStore, 'lessonsAnchoredAt'>>;
  },
  request: CodeSearchQuery,
): Promise<CodeSearchResponse> {
  const { mode, signal, groupBy = 'chunk', ...filters } = request;
  const prepared = await prepareSearch(deps, request.query, {
    mode,
    signal,
    vectors: scopeVectors(deps.store, filters),
  });
  const limit = filters.limit ?? searchDefaults.limit;
  const found = await deps.store.searchCode({
    ...filters,
    limit: groupBy === 'file' ? chunkLimitForFiles(limit) : limit,
    ...(prepared.queryVector === undefined ? {} : { queryVector: prepared.queryVector }),
    ...(signal === undefined ? {} : { signal }),
  });
  const hits = await withMemories(deps.store, found);
  const head = {
    query: request.query,
    mode: prepared.mode,
    ...(prepared.notice === undefined ? {} : { notice: prepared.notice }),
  };
  return groupBy === 'file'
    ? { ...head, groupBy, hits: groupHitsByFile(hits, { limit }) }
    : { ...head, groupBy, hits };
}

/** Adds to each hit the lessons anchored to its code, when the store keeps anchors. */
export async function withMemories<Hit extends CodeSearchHit>(
  store: Partial<Pick<LessonStore, 'lessonsAnchoredAt'>>,
  hits: readonly Hit[],
): Promise<Hit[]> {
  if (store.lessonsAnchoredAt === undefined || hits.length === 0) return [...hits];
  const anchored = await store.lessonsAnchoredAt(
    hits.map((hit) => ({
      repository: hit.repository,
      path: hit.path,
      startLine: hit.startLine,
      endLine: hit.endLine,
    })),
  );
  return hits.map((hit, index) => {
    const lessons = anchored[index] ?? [];
    return lessons.length === 0 ? hit : { ...hit, memories: codeMemories(lessons) };
  });
}

/** The searched scope's vectors, as far as the store can tell (a path glob does not narrow it). */
function scopeVectors(
  store: Pick<CodeStore, 'hasChunkVectors'>,
  filters: { repository?: string; language?: string },
): ScopeVectors | undefined {
  if (store.hasChunkVectors === undefined) return undefined;
  const { repository, language } = filters;
  const scope = {
    ...(repository === undefined ? {} : { repository }),
    ...(language === undefined ? {} : { language }),
  };
  const files = language === undefined ? '' : `the ${language} files of `;
  return {
    scope:
      repository === undefined
        ? language === undefined
          ? 'the index'
          : `the ${language} files`
        : `${files}repository "${repository}"`,
    present: () => store.hasChunkVectors!(scope),
  };
}

/** Prepares the query, runs a lesson or checkpoint search with its vector, and shapes the answer. */
async function answerMemorySearch<Request extends { query: string } & SearchOptions, Hit>(
  deps: SearchPreparationDeps,
  request: Request,
  search: (
    query: Omit<Request, 'mode' | 'signal'> & { queryVector?: Float32Array },
  ) => Promise<Hit[]>,
): Promise<SearchResponse<Hit>> {
  const { mode, signal, ...rest } = request;
  const prepared = await prepareSearch(deps, request.query, { mode, signal });
  const hits = await search({
    ...rest,
    ...(prepared.queryVector === undefined ? {} : { queryVector: prepared.queryVector }),
  });
  return {
    query: request.query,
    mode: prepared.mode,
    ...(prepared.notice === undefined ? {} : { notice: prepared.notice }),
    hits,
  };
}

export function answerLessonSearch(
  deps: SearchPreparationDeps & { store: Pick<LessonStore, 'searchLessons'> },
  request: LessonSearchQuery,
): Promise<SearchResponse<LessonHit>> {
  return answerMemorySearch(deps, request, (query) => deps.store.searchLessons(query));
}

export function answerCheckpointSearch(
  deps: SearchPreparationDeps & { store: Pick<CheckpointStore, 'searchCheckpoints'> },
  request: CheckpointSearchQuery,
): Promise<SearchResponse<CheckpointHit>> {
  return answerMemorySearch(deps, request, (query) => deps.store.searchCheckpoints(query));
}
