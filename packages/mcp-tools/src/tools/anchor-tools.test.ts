import { createMemoryStore, seedRepository } from '@nellie/test-utils';
import { afterEach, describe, expect, it } from 'vitest';
import { connect, disabledModel, textOf, type Harness } from '../../test/support/harness.ts';

let harness: Harness | undefined;
afterEach(async () => {
  await harness?.close();
  harness = undefined;
});

const retryUpload =
  'export async function retryUpload(file: Blob) {\n  return send(file, { retries: 3 });\n}';

async function start() {
  const store = createMemoryStore();
  const repository = await seedRepository(
    store,
    '/work/shop',
    { 'src/upload.ts': retryUpload, 'src/size.ts': 'export function formatSize() {}' },
    { name: 'shop' },
  );
  harness = await connect({ store, modelStatus: disabledModel, version: '1.0.0', actor: 'tester' });
  return { harness, store, repository };
}

interface LessonData {
  lesson: { id: string; staleness: string | null; anchors: { path: string; state: string }[] };
}

describe('anchored lessons over MCP', () => {
  it('anchors lessons, shows them on code hits, follows changes and confirms', async () => {
    const { harness, store, repository } = await start();
    const added = await harness.call('add_lesson', {
      title: 'Never retry uploads on 4xx',
      content: 'The CDN bans clients that retry client errors.',
      severity: 'critical',
      anchors: ['shop:src/upload.ts#retryUpload'],
    });
    expect(added.isError ?? false, textOf(added)).toBe(false);
    const { lesson } = added.structuredContent as unknown as LessonData;
    expect(lesson).toMatchObject({
      staleness: 'current',
      anchors: [{ path: 'src/upload.ts', state: 'current' }],
    });
    const automatic = await harness.call('add_lesson', {
      title: 'formatSize rounds down',
      content: 'Whole bytes.',
    });
    expect(automatic.structuredContent).toMatchObject({
      lesson: { anchors: [{ path: 'src/size.ts', origin: 'automatic' }] },
    });

    const found = await harness.call('search_code', { query: 'retryUpload', groupBy: 'chunk' });
    expect(found.structuredContent).toMatchObject({
      hits: [
        {
          path: 'src/upload.ts',
          memories: {
            count: 1,
            severities: { critical: 1, warning: 0, info: 0 },
            lessons: [{ id: lesson.id, title: 'Never retry uploads on 4xx', staleness: 'current' }],
          },
        },
      ],
    });
    expect(textOf(found)).toContain(
      `Lessons here: 1 lesson, 1 critical: [critical] Never retry uploads on 4xx (id ${lesson.id})`,
    );

    await seedRepository(store, '/work/shop', {
      'src/upload.ts':
        'export async function retryUpload(file: Blob, retries = 3) {\n  return send(file, { retries });\n}',
    });
    await store.refreshAnchors(repository.id, ['src/upload.ts']);
    const stale = await harness.call('get_lesson', { id: lesson.id });
    expect(textOf(stale)).toContain(
      'shop:src/upload.ts:1-3 retryUpload: changed (+2/-2 lines, signature changed)',
    );
    const changedOnly = await harness.call('search_lessons', {
      query: 'retry uploads',
      staleness: ['changed'],
    });
    expect(changedOnly.structuredContent).toMatchObject({ hits: [{ lesson: { id: lesson.id } }] });
    expect(textOf(changedOnly)).toContain('changed: its code changed since');

    const confirmed = await harness.call('update_lesson', { id: lesson.id, confirm: true });
    expect(confirmed.structuredContent).toMatchObject({
      lesson: { staleness: 'current' },
      changed: ['confirm'],
    });
    const missing = await harness.call('update_lesson', { id: 'nope', confirm: true });
    expect(missing.isError).toBe(true);
    expect(textOf(missing)).toContain('NOT_FOUND');
    const malformed = await harness.call('add_lesson', {
      title: 't',
      content: 'c',
      anchors: ['src/upload.ts'],
    });
    expect(malformed.isError).toBe(true);
    expect(textOf(malformed)).toContain('repository:path[#symbol][:start-end]');

    const refused = await harness.call('add_lesson', {
      title: 't',
      content: 'c',
      anchors: ['shop:src/upload.ts#nothingLikeThis'],
    });
    expect(refused.isError).toBe(true);
    expect(textOf(refused)).toContain('Cannot anchor to symbol "nothingLikeThis"');
  });
});

describe('anchored checkpoints over MCP', () => {
  it('shows a checkpoint whose code changed as stale until confirm_checkpoint', async () => {
    const { harness, store, repository } = await start();
    const added = await harness.call('add_checkpoint', {
      agent: 'claude',
      working_on: 'Making uploads give up',
      repository: 'shop',
      anchors: ['shop:src/upload.ts#retryUpload', 'shop:src/size.ts'],
    });
    expect(added.isError ?? false, textOf(added)).toBe(false);
    const { checkpoint } = added.structuredContent as unknown as { checkpoint: { id: string } };

    await seedRepository(store, '/work/shop', {
      'src/upload.ts':
        'export async function retryUpload(file: Blob, retries = 3) {\n  return send(file, { retries });\n}',
    });
    await store.deleteFiles(repository.id, ['src/size.ts']);
    await store.refreshAnchors(repository.id, ['src/upload.ts', 'src/size.ts']);
    const stale = await harness.call('get_checkpoint', { id: checkpoint.id });
    expect(stale.structuredContent).toMatchObject({ checkpoint: { staleness: 'gone' } });

    const confirmed = await harness.call('confirm_checkpoint', { id: checkpoint.id });
    expect(confirmed.isError ?? false, textOf(confirmed)).toBe(false);
    expect(confirmed.structuredContent).toMatchObject({
      checkpoint: {
        id: checkpoint.id,
        staleness: 'current',
        anchors: [{ path: 'src/upload.ts', state: 'current' }],
      },
    });
    expect(textOf(confirmed)).toContain('shop:src/upload.ts:1-3 retryUpload: current');
    expect(await store.listAudit({ action: 'checkpoint.confirm' })).toMatchObject([
      { target: checkpoint.id, actor: 'tester', details: { anchors: 1 } },
    ]);

    const missing = await harness.call('confirm_checkpoint', { id: 'nope' });
    expect(missing.isError).toBe(true);
    expect(textOf(missing)).toContain('NOT_FOUND: No checkpoint with id "nope"');
  });
});
