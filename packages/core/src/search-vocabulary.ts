import type { CodeSearchHit } from './code.ts';
import { limits } from './limits.ts';

/**
 * The one vocabulary of search requests and answers. REST bodies, MCP tool arguments and
 * structured content, and `nellie search --json` all use these names and values, so an answer
 * from one interface reads the same as from another.
 *
 * | field        | request                         | answer                          |
 * | ------------ | ------------------------------- | ------------------------------- |
 * | `query`      | text, 1..`limits.queryLength`   | echoed                          |
 * | `repository` | name or absolute root path      |                                 |
 * | `pathGlob`   | glob over relative paths        |                                 |
 * | `language`   | language id, e.g. `typescript`  |                                 |
 * | `limit`      | 1..`limits.searchResults`       |                                 |
 * | `mode`       | `auto` (default) or `keyword`   | `hybrid` or `keyword`           |
 * | `groupBy`    | `chunk` or `file` (code only)   | echoed                          |
 * | `notice`     |                                 | why the answer is keyword-only  |
 * | `hits`       |                                 | best first                      |
 */

/** How an answer was ranked: keyword and semantic ranking fused, or keyword matches only. */
export const searchModes = ['hybrid', 'keyword'] as const;
export type SearchMode = (typeof searchModes)[number];

/**
 * What a caller may ask for: `auto` ranks semantically whenever semantic search is on (else
 * keyword, with a notice); `keyword` skips the query embedding (exact identifiers, lowest latency).
 */
export const searchRequestModes = ['auto', 'keyword'] as const;
export type SearchRequestMode = (typeof searchRequestModes)[number];

/** One entry per matching chunk, or one per file holding its best chunks. */
export const searchGroupings = ['chunk', 'file'] as const;
export type SearchGroupBy = (typeof searchGroupings)[number];

/**
 * Spellings that shipped in 0.1 and are still accepted on input, mapped to their current name.
 * They are deprecated: new clients use the current names.
 */
export const deprecatedSearchFields = {
  /** Every MCP tool, REST body and query string that takes a repository; `nellie search --repo`. */
  repo: 'repository',
  /** MCP `search_code`. */
  path_glob: 'pathGlob',
} as const;

/** Deprecated request mode values, mapped to their current name (REST 0.1 answered `lexical`). */
export const deprecatedSearchModes = { lexical: 'keyword' } as const;

/** Defaults every interface applies. */
export const searchDefaults = {
  limit: 10,
  mode: 'auto',
  /** Chunks shown for each file when results are grouped by file. */
  chunksPerFile: 3,
} as const satisfies { limit: number; mode: SearchRequestMode; chunksPerFile: number };

/** The longest query and the most results any interface accepts (the store enforces the same). */
export const searchLimits = {
  queryLength: limits.queryLength,
  limit: limits.searchResults,
} as const;

/** The shape of every search answer. */
export interface SearchResponse<Hit> {
  query: string;
  mode: SearchMode;
  /** Why the answer is keyword-only, when semantic search was wanted but not possible. */
  notice?: string;
  hits: Hit[];
}

/** A file with its best chunks, as returned when code results are grouped by file. */
export interface CodeFileHit {
  repository: string;
  rootPath: string;
  path: string;
  absolutePath: string;
  language: string | null;
  /** The score of the file's best chunk; files are ranked by it. */
  score: number;
  /** The file's best chunks, best first. */
  chunks: CodeSearchHit[];
}

export type CodeSearchResponse =
  | (SearchResponse<CodeSearchHit> & { groupBy: 'chunk' })
  | (SearchResponse<CodeFileHit> & { groupBy: 'file' });

/** The error body of every interface: REST answers it with a 4xx/5xx status, MCP in `isError`. */
export interface SearchErrorBody {
  error: { code: string; message: string };
}

/**
 * Groups ranked chunks by file: one entry per file, in the rank order of each file's best chunk,
 * holding up to `chunksPerFile` of its chunks (best first). At most `limit` files are returned.
 */
export function groupHitsByFile(
  hits: readonly CodeSearchHit[],
  options: { limit: number; chunksPerFile?: number },
): CodeFileHit[] {
  const chunksPerFile = options.chunksPerFile ?? searchDefaults.chunksPerFile;
  const files = new Map<string, CodeFileHit>();
  for (const hit of hits) {
    const key = `${hit.rootPath}\u0000${hit.path}`;
    let file = files.get(key);
    if (file === undefined) {
      if (files.size >= options.limit) continue;
      file = {
        repository: hit.repository,
        rootPath: hit.rootPath,
        path: hit.path,
        absolutePath: hit.absolutePath,
        language: hit.language,
        score: hit.score,
        chunks: [],
      };
      files.set(key, file);
    }
    if (file.chunks.length < chunksPerFile) file.chunks.push(hit);
  }
  return [...files.values()];
}

/**
 * How many chunks to ask the store for so that `files` files can be filled: grouping needs more
 * chunks than files, bounded by what one search may return.
 */
export function chunkLimitForFiles(files: number): number {
  return Math.min(limits.searchResults, Math.max(files, files * searchDefaults.chunksPerFile));
}
