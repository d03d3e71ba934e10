/**
 * The input limits every interface enforces: the store's own validation, the MCP tool schemas and
 * the REST schemas all read them from here, so an input accepted (or rejected) by one is accepted
 * (or rejected) by all. Lengths count UTF-16 code units, as JavaScript's `string.length` does.
 */
export const limits = {
  /** Search query text. */
  queryLength: 4096,
  /** Results of one search. */
  searchResults: 100,
  /** Items on one page of a list (lessons, recent checkpoints). */
  pageSize: 100,
  /** Items skipped before a page: deep paging beyond this is refused, not slow. */
  offset: 100_000,
  /** Audit entries in one page. */
  auditPageSize: 1000,
  /** Ids of lessons, checkpoints and jobs. */
  idLength: 200,
  lessonTitleLength: 500,
  lessonContentLength: 100_000,
  /** Tags on one lesson or in one filter. */
  lessonTags: 50,
  tagLength: 100,
  agentLength: 200,
  /** Repository names and absolute root paths. */
  repositoryLength: 4096,
  /** Language ids, e.g. `typescript`. */
  languageLength: 100,
  checkpointWorkingOnLength: 10_000,
  sessionIdLength: 200,
  /** Checkpoint state, serialised as JSON, in UTF-8 bytes. */
  checkpointStateBytes: 256 * 1024,
  /** Path globs: characters, wildcards plus brace alternatives, and brace nesting depth. */
  globLength: 500,
  globWildcards: 32,
  globBraceDepth: 3,
} as const;

export type Limits = typeof limits;

// With the `u` flag a surrogate class only matches a surrogate that is not part of a pair.
const loneSurrogate = /\p{Cs}/u;

/**
 * True when `text` holds a lone UTF-16 surrogate. Such text cannot be stored as UTF-8 without
 * being altered (it would come back as U+FFFD), so stored text fields reject it.
 */
export function hasLoneSurrogate(text: string): boolean {
  return loneSurrogate.test(text);
}

/** The message every interface gives for a lone surrogate in `field`. */
export function loneSurrogateMessage(field: string): string {
  return `${field} contains a lone UTF-16 surrogate (half of an emoji or other character outside the Basic Multilingual Plane); send well-formed Unicode text`;
}
