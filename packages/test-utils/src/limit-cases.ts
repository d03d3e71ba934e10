import { limits } from '@nellie/core';

/** The operations whose inputs are limited, in store terms. */
export type LimitedOperation =
  | 'addLesson'
  | 'listLessons'
  | 'searchCode'
  | 'searchLessons'
  | 'addCheckpoint'
  | 'getRecentCheckpoints'
  | 'searchCheckpoints';

/**
 * One limit, interface-neutral: every interface (store, REST, MCP) must accept `accepted` and
 * refuse `refused` for `field` of `operation`, everything else being `base`.
 */
export interface LimitCase {
  name: string;
  operation: LimitedOperation;
  /** Field name in store terms (camelCase). */
  field: string;
  base: Record<string, unknown>;
  accepted: unknown;
  refused: unknown;
  /**
   * The accepted value is a filter that matches nothing in an empty store, so it passes
   * validation and is then refused as `NOT_FOUND` (a filter matching nothing is an error).
   */
  acceptedFindsNothing?: true;
}

const lesson = { title: 'A lesson', content: 'What happened and what to do.' };
const checkpoint = { agent: 'agent-1', workingOn: 'Migrating the auth module' };
const query = { query: 'subscribe' };
const repeated = (length: number) => 'x'.repeat(length);
const tags = (count: number) => Array.from({ length: count }, (_, index) => `tag-${index}`);
/** A state object whose JSON is exactly `bytes` long. */
const stateOf = (bytes: number) => ({ s: repeated(bytes - '{"s":""}'.length) });

export const limitCases: readonly LimitCase[] = [
  {
    name: 'lesson title length',
    operation: 'addLesson',
    field: 'title',
    base: lesson,
    accepted: repeated(limits.lessonTitleLength),
    refused: repeated(limits.lessonTitleLength + 1),
  },
  {
    name: 'lesson content length',
    operation: 'addLesson',
    field: 'content',
    base: lesson,
    accepted: repeated(limits.lessonContentLength),
    refused: repeated(limits.lessonContentLength + 1),
  },
  {
    name: 'tags per lesson',
    operation: 'addLesson',
    field: 'tags',
    base: lesson,
    accepted: tags(limits.lessonTags),
    refused: tags(limits.lessonTags + 1),
  },
  {
    name: 'tag length',
    operation: 'addLesson',
    field: 'tags',
    base: lesson,
    accepted: [repeated(limits.tagLength)],
    refused: [repeated(limits.tagLength + 1)],
  },
  {
    name: 'lesson agent length',
    operation: 'addLesson',
    field: 'agent',
    base: lesson,
    accepted: repeated(limits.agentLength),
    refused: repeated(limits.agentLength + 1),
  },
  {
    name: 'lone surrogate in a lesson title',
    operation: 'addLesson',
    field: 'title',
    base: lesson,
    accepted: 'A\u{1F600}B',
    refused: 'A\uD800B',
  },
  {
    name: 'lone surrogate in a lesson tag',
    operation: 'addLesson',
    field: 'tags',
    base: lesson,
    accepted: ['\u{1F600}'],
    refused: ['\uDC00'],
  },
  {
    name: 'lesson page size',
    operation: 'listLessons',
    field: 'limit',
    base: {},
    accepted: limits.pageSize,
    refused: limits.pageSize + 1,
  },
  {
    name: 'lesson page offset',
    operation: 'listLessons',
    field: 'offset',
    base: {},
    accepted: limits.offset,
    refused: limits.offset + 1,
  },
  {
    name: 'query length',
    operation: 'searchCode',
    field: 'query',
    base: query,
    accepted: repeated(limits.queryLength),
    refused: repeated(limits.queryLength + 1),
  },
  {
    name: 'code search results',
    operation: 'searchCode',
    field: 'limit',
    base: query,
    accepted: limits.searchResults,
    refused: limits.searchResults + 1,
  },
  {
    name: 'path glob length',
    operation: 'searchCode',
    field: 'pathGlob',
    base: query,
    acceptedFindsNothing: true,
    accepted: repeated(limits.globLength),
    refused: repeated(limits.globLength + 1),
  },
  {
    name: 'language length',
    operation: 'searchCode',
    field: 'language',
    base: query,
    acceptedFindsNothing: true,
    accepted: repeated(limits.languageLength),
    refused: repeated(limits.languageLength + 1),
  },
  {
    name: 'tags in a lesson search',
    operation: 'searchLessons',
    field: 'tags',
    base: query,
    accepted: tags(limits.lessonTags),
    refused: tags(limits.lessonTags + 1),
  },
  {
    name: 'checkpoint working-on length',
    operation: 'addCheckpoint',
    field: 'workingOn',
    base: checkpoint,
    accepted: repeated(limits.checkpointWorkingOnLength),
    refused: repeated(limits.checkpointWorkingOnLength + 1),
  },
  {
    name: 'checkpoint session id length',
    operation: 'addCheckpoint',
    field: 'sessionId',
    base: checkpoint,
    accepted: repeated(limits.sessionIdLength),
    refused: repeated(limits.sessionIdLength + 1),
  },
  {
    name: 'checkpoint state size',
    operation: 'addCheckpoint',
    field: 'state',
    base: checkpoint,
    accepted: stateOf(limits.checkpointStateBytes),
    refused: stateOf(limits.checkpointStateBytes + 1),
  },
  {
    name: 'lone surrogate in what a checkpoint works on',
    operation: 'addCheckpoint',
    field: 'workingOn',
    base: checkpoint,
    accepted: 'Fix \u{1F41B}',
    refused: 'Fix \uD83D',
  },
  {
    name: 'recent checkpoints page size',
    operation: 'getRecentCheckpoints',
    field: 'limit',
    base: {},
    accepted: limits.pageSize,
    refused: limits.pageSize + 1,
  },
  {
    name: 'checkpoint search results',
    operation: 'searchCheckpoints',
    field: 'limit',
    base: query,
    accepted: limits.searchResults,
    refused: limits.searchResults + 1,
  },
];
