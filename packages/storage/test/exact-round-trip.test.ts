import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createSqliteStore, type SqliteStore } from '../src/index.ts';
import { useTempDir } from './helpers.ts';

const tempDir = useTempDir();
let store: SqliteStore;
let path: string;

beforeEach(async () => {
  path = join(tempDir(), 'nellie.db');
  store = await createSqliteStore({ path });
});
afterEach(async () => {
  await store.close();
});

async function rejection(promise: Promise<unknown>): Promise<{ code?: string; message: string }> {
  try {
    await promise;
  } catch (error) {
    return error as { code?: string; message: string };
  }
  throw new Error('expected a rejection');
}

describe('stored text is kept exactly or refused', () => {
  it('refuses a lone surrogate in every stored lesson field, naming the field', async () => {
    const lesson = { title: 'A lesson', content: 'Content' };
    for (const [field, value] of [
      ['title', 'A\uD800B'],
      ['content', 'tail \uDFFF'],
      ['tags', ['ok', '\uD83D']],
      ['repository', 'api\uDC00'],
      ['agent', '\uD800agent'],
    ] as const) {
      const error = await rejection(store.addLesson({ ...lesson, [field]: value }));
      expect(error.code).toBe('INVALID_INPUT');
      expect(error.message).toContain(field === 'tags' ? 'tag contains' : `${field} contains`);
      expect(error.message).toContain('lone UTF-16 surrogate');
    }
    const saved = await store.addLesson(lesson);
    const update = await rejection(store.updateLesson(saved.id, { title: 'B\uD800' }));
    expect(update.code).toBe('INVALID_INPUT');
    expect((await store.getLesson(saved.id))?.title).toBe('A lesson');
    expect((await store.listLessons()).total).toBe(1);
  });

  it('refuses a lone surrogate in stored checkpoint text', async () => {
    const checkpoint = { agent: 'agent-1', workingOn: 'Work' };
    for (const field of ['agent', 'workingOn', 'repository', 'sessionId'] as const) {
      const error = await rejection(store.addCheckpoint({ ...checkpoint, [field]: 'x\uD800' }));
      expect(error.code).toBe('INVALID_INPUT');
      expect(error.message).toContain(`${field} contains a lone UTF-16 surrogate`);
    }
    expect(await store.getRecentCheckpoints()).toEqual([]);
  });

  it('keeps characters outside the Basic Multilingual Plane exactly, after reopening', async () => {
    const saved = await store.addLesson({
      title: 'A\u{1F600}B',
      content: '\u{1F41B} fixed',
      tags: ['\u{1F680}'],
    });
    await store.close();
    store = await createSqliteStore({ path });
    const lesson = await store.getLesson(saved.id);
    expect(lesson).toMatchObject({
      title: 'A\u{1F600}B',
      content: '\u{1F41B} fixed',
      tags: ['\u{1F680}'],
    });
  });

  it('stores checkpoint state exactly, own __proto__ keys and lone surrogates in values included', async () => {
    const body = '{"__proto__":{"x":1},"keep":1,"nested":{"__proto__":[1,2]},"text":"A\\ud800B"}';
    const state = JSON.parse(body) as Record<string, unknown>;
    const saved = await store.addCheckpoint({ agent: 'agent-1', workingOn: 'Work', state });
    expect(JSON.stringify(saved.state)).toBe(body);
    await store.close();
    store = await createSqliteStore({ path });
    const read = await store.getCheckpoint(saved.id);
    expect(JSON.stringify(read?.state)).toBe(body);
    expect(Object.keys(read!.state)).toEqual(['__proto__', 'keep', 'nested', 'text']);
    expect(Object.getPrototypeOf(read!.state)).toBe(Object.prototype);
    const [recent] = await store.getRecentCheckpoints();
    expect(JSON.stringify(recent?.state)).toBe(body);
  });

  it('refuses state that is not a JSON object', async () => {
    for (const state of [[1, 2], 'text', null]) {
      const error = await rejection(
        store.addCheckpoint({ agent: 'a', workingOn: 'w', state: state as never }),
      );
      expect(error.code).toBe('INVALID_INPUT');
      expect(error.message).toContain('state');
    }
  });
});
