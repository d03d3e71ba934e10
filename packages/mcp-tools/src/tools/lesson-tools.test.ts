import { createMemoryStore } from '@nellie/test-utils';
import { auditOf, requestsTo } from '../../test/support/store.ts';
import { afterEach, describe, expect, it } from 'vitest';
import { connect, disabledModel, textOf, type Harness } from '../../test/support/harness.ts';

let harness: Harness | undefined;
afterEach(async () => {
  await harness?.close();
  harness = undefined;
});

async function start() {
  const store = createMemoryStore();
  harness = await connect({ store, modelStatus: disabledModel, version: '1.0.0', actor: 'tester' });
  return { harness, store };
}

interface LessonData {
  lesson: {
    id: string;
    title: string;
    tags: string[];
    severity: string;
    repository: string | null;
  };
}

describe('lesson tools', () => {
  it('add_lesson saves a lesson with defaults and audits it without its content', async () => {
    const { harness, store } = await start();

    const result = await harness.call('add_lesson', {
      title: 'Run migrations before seeding',
      content: 'The seed script assumes the latest schema; run `pnpm db:migrate` first.',
    });

    expect(result.isError).toBeFalsy();
    const { lesson } = result.structuredContent as unknown as LessonData;
    expect(lesson).toMatchObject({ severity: 'info', tags: [], repository: null, agent: null });
    expect(textOf(result)).toBe(
      `Saved lesson [info] Run migrations before seeding (id ${lesson.id}).`,
    );
    expect(await auditOf(store)).toEqual([
      expect.objectContaining({
        actor: 'tester',
        channel: 'mcp',
        action: 'lesson.create',
        target: lesson.id,
        details: { severity: 'info', tags: 0, repository: null },
      }),
    ]);
    expect(JSON.stringify(await auditOf(store))).not.toContain('pnpm db:migrate');
  });

  it('add, get, update, list, search and delete round-trip', async () => {
    const { harness, store } = await start();
    const added = await harness.call('add_lesson', {
      title: 'SQLite busy errors',
      content: 'Set busy_timeout before the first write.',
      tags: ['sqlite', 'db'],
      severity: 'warning',
      repository: 'api',
      agent: 'claude',
    });
    const { id } = (added.structuredContent as unknown as LessonData).lesson;
    await harness.call('add_lesson', {
      title: 'Prefer pnpm',
      content: 'Use pnpm, not npm.',
      tags: ['tooling'],
    });

    const got = await harness.call('get_lesson', { id });
    expect(textOf(got)).toContain(`Lesson ${id}: SQLite busy errors`);
    expect(textOf(got)).toContain(
      'Severity: warning · Tags: sqlite, db · Repository: api · Agent: claude',
    );
    expect(textOf(got)).toContain('Set busy_timeout before the first write.');

    const updated = await harness.call('update_lesson', {
      id,
      severity: 'critical',
      repository: null,
    });
    expect(textOf(updated)).toBe(
      `Updated severity, repository of lesson [critical] SQLite busy errors (id ${id}; tags sqlite, db).`,
    );
    expect(updated.structuredContent).toMatchObject({
      lesson: { severity: 'critical', repository: null, title: 'SQLite busy errors' },
      changed: ['severity', 'repository'],
    });

    const listed = await harness.call('list_lessons', { limit: 1 });
    expect(textOf(listed)).toContain('Lessons 1-1 of 2, newest first:');
    expect(textOf(listed)).toContain('More: call again with offset 1.');
    expect(listed.structuredContent).toMatchObject({ total: 2, offset: 0, nextOffset: 1 });
    const page2 = await harness.call('list_lessons', { limit: 1, offset: 1 });
    expect(page2.structuredContent).toMatchObject({ nextOffset: null, lessons: [{ id }] });

    const filtered = await harness.call('list_lessons', { tags: ['sqlite'], severity: 'critical' });
    expect(filtered.structuredContent).toMatchObject({ total: 1, lessons: [{ id }] });

    const found = await harness.call('search_lessons', { query: 'busy timeout', tags: ['db'] });
    expect(textOf(found)).toContain('1 lesson for "busy timeout":');
    expect(textOf(found)).toContain(
      `1. [critical] SQLite busy errors (id ${id}; tags sqlite, db) score`,
    );
    expect(textOf(found)).toContain('Keyword results only');
    expect(requestsTo(store, 'searchLessons')[0]).toMatchObject({
      query: 'busy timeout',
      tags: ['db'],
      limit: 10,
    });
    expect(requestsTo(store, 'searchLessons')[0]!.queryVector).toBeUndefined();

    const deleted = await harness.call('delete_lesson', { id });
    expect(textOf(deleted)).toBe(`Deleted lesson ${id}.`);
    expect((await harness.call('get_lesson', { id })).isError).toBe(true);

    expect((await auditOf(store)).map((entry) => [entry.action, entry.actor])).toEqual([
      ['lesson.create', 'tester'],
      ['lesson.create', 'tester'],
      ['lesson.update', 'tester'],
      ['lesson.delete', 'tester'],
    ]);
    expect((await auditOf(store))[2]!.details).toEqual({ fields: ['severity', 'repository'] });
  });

  it('answers NOT_FOUND with a hint for unknown ids, writing nothing', async () => {
    const { harness, store } = await start();
    const hint =
      'NOT_FOUND: No lesson with id "nope". Find lesson ids with search_lessons or list_lessons.';

    for (const [tool, args] of [
      ['get_lesson', { id: 'nope' }],
      ['update_lesson', { id: 'nope', title: 'New title' }],
      ['delete_lesson', { id: 'nope' }],
    ] as const) {
      const result = await harness.call(tool, args);
      expect(result.isError, tool).toBe(true);
      expect(textOf(result), tool).toBe(hint);
    }
    expect(await auditOf(store)).toEqual([]);
  });

  it('update_lesson without any field to change is INVALID_INPUT', async () => {
    const { harness } = await start();
    const added = await harness.call('add_lesson', { title: 't', content: 'c' });
    const { id } = (added.structuredContent as unknown as LessonData).lesson;

    const result = await harness.call('update_lesson', { id });
    expect(result.isError).toBe(true);
    expect(textOf(result)).toBe(
      'INVALID_INPUT: Nothing to update: give at least one of title, content, tags, severity, repository or confirm.',
    );
  });

  it('search and list say what to do when nothing is found', async () => {
    const { harness } = await start();
    expect(textOf(await harness.call('search_lessons', { query: 'anything' }))).toMatch(
      /^No lesson matched "anything"/,
    );
    expect(textOf(await harness.call('list_lessons'))).toBe(
      'No lessons match. Record one with add_lesson.',
    );
  });

  it('search_lessons and search_checkpoints filter by repository, or by the deprecated repo', async () => {
    const { harness, store } = await start();
    for (const filter of [{ repository: 'api' }, { repo: 'api' }]) {
      const lessons = await harness.call('search_lessons', { query: 'retry', ...filter });
      expect(lessons.isError ?? false, textOf(lessons)).toBe(false);
      expect(lessons.structuredContent).toMatchObject({
        query: 'retry',
        mode: 'keyword',
        hits: [],
      });
      const checkpoints = await harness.call('search_checkpoints', { query: 'retry', ...filter });
      expect(checkpoints.isError ?? false, textOf(checkpoints)).toBe(false);
    }
    expect(requestsTo(store, 'searchLessons').map((request) => request.repository)).toEqual([
      'api',
      'api',
    ]);
    expect(requestsTo(store, 'searchCheckpoints').map((request) => request.repository)).toEqual([
      'api',
      'api',
    ]);
  });

  it('writes and lists accept the deprecated repo for repository; both at once must agree', async () => {
    const { harness, store } = await start();
    const added = await harness.call('add_lesson', { title: 't', content: 'c', repo: 'api' });
    const { id } = (added.structuredContent as unknown as LessonData).lesson;
    expect(added.structuredContent).toMatchObject({ lesson: { repository: 'api' } });
    expect(added.structuredContent).not.toHaveProperty('lesson.repo');

    const listed = await harness.call('list_lessons', { repo: 'api' });
    expect(listed.structuredContent).toMatchObject({ total: 1, lessons: [{ id }] });
    expect(store.callsTo('listLessons').at(-1)?.[0]).toMatchObject({ repository: 'api' });

    const cleared = await harness.call('update_lesson', { id, repo: null });
    expect(cleared.structuredContent).toMatchObject({
      lesson: { repository: null },
      changed: ['repository'],
    });

    const checkpoint = await harness.call('add_checkpoint', {
      agent: 'claude',
      working_on: 'Retry rework',
      repo: 'api',
    });
    expect(checkpoint.structuredContent).toMatchObject({ checkpoint: { repository: 'api' } });
    const recent = await harness.call('get_recent_checkpoints', { repo: 'api' });
    expect(recent.structuredContent).toMatchObject({ checkpoints: [{ repository: 'api' }] });

    for (const [tool, args] of [
      ['add_lesson', { title: 't', content: 'c', repo: 'a', repository: 'b' }],
      ['update_lesson', { id, repo: 'a', repository: null }],
      ['list_lessons', { repo: 'a', repository: 'b' }],
      ['add_checkpoint', { agent: 'claude', working_on: 'w', repo: 'a', repository: 'b' }],
      ['get_recent_checkpoints', { repo: 'a', repository: 'b' }],
    ] as const) {
      const result = await harness.call(tool, args);
      expect(result.isError, tool).toBe(true);
      expect(textOf(result), tool).toContain('Give repository and repo once');
    }
  });
});
