import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { NellieStore } from '@nellie/core';
import { createSqliteStore } from '@nellie/storage';
import { limitCases, type LimitCase, type LimitedOperation } from '@nellie/test-utils';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { connect, disabledModel, textOf, type Harness } from './support/harness.ts';

// The tools accept and refuse exactly what the store and REST do: the same table runs in the
// storage and http-api packages. Real SQLite file, real SDK client.

let directory: string;
let store: NellieStore;
let harness: Harness;

beforeAll(async () => {
  directory = await mkdtemp(join(tmpdir(), 'nellie-mcp-limits-'));
  store = await createSqliteStore({ path: join(directory, 'nellie.db') });
  harness = await connect({ store, modelStatus: disabledModel, version: '1.0.0', actor: 'tester' });
});
afterAll(async () => {
  await harness.close();
  await store.close();
  await rm(directory, { recursive: true, force: true });
});

const tools: Record<LimitedOperation, string> = {
  addLesson: 'add_lesson',
  listLessons: 'list_lessons',
  searchCode: 'search_code',
  searchLessons: 'search_lessons',
  addCheckpoint: 'add_checkpoint',
  getRecentCheckpoints: 'get_recent_checkpoints',
  searchCheckpoints: 'search_checkpoints',
};

/** Store field names that the tools spell differently. */
const argumentNames: Record<string, string> = {
  workingOn: 'working_on',
  sessionId: 'session_id',
};

function call(limitCase: LimitCase, value: unknown) {
  const args: Record<string, unknown> = {};
  for (const [key, item] of Object.entries({ ...limitCase.base, [limitCase.field]: value })) {
    args[argumentNames[key] ?? key] = item;
  }
  return harness.call(tools[limitCase.operation], args);
}

describe('MCP tool limits', () => {
  it.each(limitCases)('$name: accepts the limit, refuses one more', async (limitCase) => {
    const accepted = await call(limitCase, limitCase.accepted);
    if (limitCase.acceptedFindsNothing) expect(textOf(accepted)).toMatch(/^NOT_FOUND: /);
    else expect(accepted.isError ?? false, textOf(accepted)).toBe(false);
    const refused = await call(limitCase, limitCase.refused);
    expect(refused.isError).toBe(true);
  });
});

describe('MCP writes are kept exactly or refused', () => {
  it('refuses a lone surrogate in a lesson title, naming the field', async () => {
    const result = await harness.call('add_lesson', { title: 'A\uD800B', content: 'c' });
    expect(result.isError).toBe(true);
    expect(textOf(result)).toContain('title contains a lone UTF-16 surrogate');
  });

  it('returns checkpoint state exactly as sent, own __proto__ keys included', async () => {
    const stateJson = '{"__proto__":{"x":1},"keep":1}';
    const state = JSON.parse(stateJson) as Record<string, unknown>;
    const result = await harness.call('add_checkpoint', {
      agent: 'agent-1',
      working_on: 'Work',
      state,
    });
    expect(result.isError ?? false, textOf(result)).toBe(false);
    const { checkpoint } = result.structuredContent as {
      checkpoint: { id: string; state: unknown };
    };
    expect(JSON.stringify(checkpoint.state)).toBe(stateJson);
    expect(JSON.stringify((await store.getCheckpoint(checkpoint.id))?.state)).toBe(stateJson);
    const read = await harness.call('get_checkpoint', { id: checkpoint.id });
    const readBack = read.structuredContent as { checkpoint: { state: unknown } };
    expect(JSON.stringify(readBack.checkpoint.state)).toBe(stateJson);
  });
});
