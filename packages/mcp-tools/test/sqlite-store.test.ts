import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { NellieStore } from '@nellie/core';
import { createSqliteStore } from '@nellie/storage';
import { createFakeEmbedder, createFakeIndexer } from '@nellie/test-utils';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { connect, disabledModel, readyModel, textOf, type Harness } from './support/harness.ts';

// The tools against the real SQLite store, on a temporary database file.

let directory: string;
let store: NellieStore | undefined;
let harness: Harness | undefined;

beforeEach(async () => {
  directory = await mkdtemp(join(tmpdir(), 'nellie-mcp-tools-'));
});

afterEach(async () => {
  await harness?.close();
  await store?.close();
  harness = undefined;
  store = undefined;
  await rm(directory, { recursive: true, force: true });
});

/** Does what the indexer's embedding pump does: fills in every pending vector. */
async function embedPending(target: NellieStore, embedder: ReturnType<typeof createFakeEmbedder>) {
  for (;;) {
    const pending = await target.pendingEmbeddings(100);
    if (pending.length === 0) return;
    const vectors = await embedder.embed(pending.map((item) => item.text));
    await target.putEmbeddings(
      pending.map((item, index) => ({ contentHash: item.contentHash, vector: vectors[index]! })),
    );
  }
}

async function indexSampleRepository(target: NellieStore) {
  const repository = await target.upsertRepository({
    rootPath: join(directory, 'api'),
    name: 'api',
  });
  const content = [
    'export class UserService {',
    '  async getUserById(id: string) {',
    '    return this.db.users.find(id);',
    '  }',
    '}',
  ].join('\n');
  await target.writeFile(
    repository.id,
    {
      path: 'src/user-service.ts',
      language: 'typescript',
      size: content.length,
      mtimeMs: Date.now(),
      contentHash: 'a'.repeat(64),
    },
    [
      {
        startLine: 2,
        endLine: 4,
        content: content.split('\n').slice(1, 4).join('\n'),
        symbolName: 'getUserById',
        symbolKind: 'method',
        enclosingSymbol: 'UserService',
        language: 'typescript',
      },
    ],
  );
  await target.markRepositoryIndexed(repository.id);
  return repository;
}

describe('with the SQLite store and semantic search', () => {
  it('runs lessons, checkpoints, code search, status and audit end to end', async () => {
    const embedder = createFakeEmbedder({ dimensions: 16 });
    store = await createSqliteStore({
      path: join(directory, 'nellie.db'),
      embedding: { modelId: embedder.modelId, dimensions: embedder.dimensions },
    });
    harness = await connect({
      store,
      embedder,
      indexer: createFakeIndexer(),
      modelStatus: readyModel(embedder.modelId, embedder.dimensions),
      version: '1.0.0',
      actor: 'local',
    });
    await indexSampleRepository(store);

    // Lessons
    const added = await harness.call('add_lesson', {
      title: 'Set busy_timeout on SQLite connections',
      content:
        'Two processes share the database; without busy_timeout writes fail with SQLITE_BUSY.',
      tags: ['sqlite', 'concurrency'],
      severity: 'critical',
      repository: 'api',
    });
    expect(added.isError).toBeFalsy();
    const lessonId = (added.structuredContent as { lesson: { id: string } }).lesson.id;
    await embedPending(store, embedder);

    const found = await harness.call('search_lessons', { query: 'SQLITE_BUSY busy_timeout' });
    expect(found.structuredContent).toMatchObject({
      mode: 'hybrid',
      hits: [{ lesson: { id: lessonId, severity: 'critical', tags: ['sqlite', 'concurrency'] } }],
    });

    const updated = await harness.call('update_lesson', { id: lessonId, tags: ['sqlite'] });
    expect(updated.structuredContent).toMatchObject({ lesson: { tags: ['sqlite'] } });
    expect(textOf(await harness.call('get_lesson', { id: lessonId }))).toContain(
      'Tags: sqlite · Repository: api',
    );
    expect((await harness.call('list_lessons')).structuredContent).toMatchObject({ total: 1 });

    // Checkpoints
    const checkpoint = await harness.call('add_checkpoint', {
      agent: 'claude',
      working_on: 'Adding retry to the SQLite writer',
      state: { files: ['src/db.ts'], attempt: 2 },
      session_id: 'session-1',
    });
    const checkpointId = (checkpoint.structuredContent as { checkpoint: { id: string } }).checkpoint
      .id;
    expect(checkpoint.structuredContent).toMatchObject({ agentStatus: { status: 'in_progress' } });
    expect(
      (await harness.call('get_checkpoint', { id: checkpointId })).structuredContent,
    ).toMatchObject({
      checkpoint: { state: { files: ['src/db.ts'], attempt: 2 }, sessionId: 'session-1' },
    });
    await embedPending(store, embedder);
    const searched = await harness.call('search_checkpoints', { query: 'retry SQLite writer' });
    expect(searched.structuredContent).toMatchObject({
      hits: [{ checkpoint: { id: checkpointId } }],
    });
    await harness.call('add_checkpoint', {
      agent: 'claude',
      working_on: 'Retry done',
      status: 'done',
    });
    expect(
      (await harness.call('get_agent_status', { agent: 'claude' })).structuredContent,
    ).toMatchObject({
      agents: [{ status: 'idle' }],
    });
    expect(
      (await harness.call('get_recent_checkpoints', { agent: 'claude' })).structuredContent,
    ).toMatchObject({
      checkpoints: [
        { workingOn: 'Retry done' },
        { workingOn: 'Adding retry to the SQLite writer' },
      ],
    });

    // Code
    await embedPending(store, embedder);
    const code = await harness.call('search_code', { query: 'getUserById', repository: 'api' });
    expect(textOf(code)).toContain('1. api:src/user-service.ts score');
    expect(textOf(code)).toContain('   2-4 UserService.getUserById (method)');
    expect(code.structuredContent).toMatchObject({
      mode: 'hybrid',
      groupBy: 'file',
      hits: [
        {
          repository: 'api',
          path: 'src/user-service.ts',
          language: 'typescript',
          chunks: [{ startLine: 2, endLine: 4 }],
        },
      ],
    });
    // Filters that match nothing indexed are errors listing what exists.
    const unknownLanguage = await harness.call('search_code', { query: 'x', language: 'cobol' });
    expect(unknownLanguage.isError).toBe(true);
    expect(textOf(unknownLanguage)).toBe(
      'NOT_FOUND: No indexed file has the language "cobol". Languages indexed: typescript.',
    );
    const unknownGlob = await harness.call('search_code', { query: 'x', pathGlob: 'lib/**' });
    expect(textOf(unknownGlob)).toMatch(/^NOT_FOUND: No indexed path matches the glob "lib\/\*\*"/);

    // Status
    const status = await harness.call('get_status');
    expect(status.structuredContent).toMatchObject({
      version: '1.0.0',
      counts: { repositories: 1, files: 1, chunks: 1, lessons: 1, checkpoints: 2 },
      semanticSearch: { enabled: true },
      repositories: [{ name: 'api', lastIndexedAt: expect.any(String) as string }],
    });

    // Deletion, then everything that was written is in the audit log under the actor.
    expect((await harness.call('delete_lesson', { id: lessonId })).isError).toBeFalsy();
    expect((await harness.call('get_lesson', { id: lessonId })).isError).toBe(true);
    const audit = await store.listAudit();
    expect(audit.map((entry) => entry.action).reverse()).toEqual([
      'lesson.create',
      'lesson.update',
      'checkpoint.create',
      'checkpoint.create',
      'lesson.delete',
    ]);
    expect(new Set(audit.map((entry) => `${entry.actor}/${entry.channel}`))).toEqual(
      new Set(['local/mcp']),
    );
  });

  it('records the authenticated client id as the audit actor', async () => {
    store = await createSqliteStore({ path: join(directory, 'nellie.db') });
    harness = await connect(
      { store, modelStatus: disabledModel, version: '1.0.0' },
      { authInfo: { token: 'not-logged', clientId: 'team-key-1', scopes: [] } },
    );
    await harness.call('add_lesson', { title: 'A', content: 'B' });
    const [entry] = await store.listAudit();
    expect(entry).toMatchObject({ actor: 'team-key-1', channel: 'mcp', action: 'lesson.create' });
  });
});

describe('with a keyword-only SQLite store', () => {
  it('searches lexically and says semantic search is off', async () => {
    store = await createSqliteStore({ path: join(directory, 'nellie.db'), embedding: null });
    harness = await connect({ store, modelStatus: disabledModel, version: '1.0.0' });
    await indexSampleRepository(store);

    const code = await harness.call('search_code', { query: 'getUserById' });
    expect(code.structuredContent).toMatchObject({
      mode: 'keyword',
      hits: [{ path: 'src/user-service.ts', chunks: [{ startLine: 2, endLine: 4 }] }],
    });
    expect(textOf(code)).toContain('Keyword results only');

    const notUpdated = await harness.call('update_lesson', { id: 'does-not-exist', title: 'T' });
    expect(textOf(notUpdated)).toMatch(/^NOT_FOUND: No lesson with id "does-not-exist"/);

    const missing = await harness.call('get_checkpoint', { id: 'does-not-exist' });
    expect(missing.isError).toBe(true);
    expect(textOf(missing)).toMatch(/^NOT_FOUND: No checkpoint with id "does-not-exist"/);

    const status = await harness.call('get_status');
    expect(status.structuredContent).toMatchObject({
      semanticSearch: { enabled: false },
      database: { embeddingModel: null },
    });
  });
});

describe('checkpoints that know their code', () => {
  it('get_recent_checkpoints says which named files changed or are gone since', async () => {
    store = await createSqliteStore({ path: join(directory, 'nellie.db') });
    harness = await connect({ store, modelStatus: disabledModel, version: '1.0.0' });
    const repository = await indexSampleRepository(store);
    await harness.call('add_checkpoint', {
      agent: 'claude',
      working_on: 'Caching in user-service.ts',
      repository: 'api',
    });
    const [saved] = await store.getRecentCheckpoints();
    expect(saved).toMatchObject({
      files: [{ path: 'src/user-service.ts', contentHash: 'a'.repeat(64) }],
    });

    await store.deleteFiles(repository.id, ['src/user-service.ts']);
    const result = await harness.call('get_recent_checkpoints', { agent: 'claude' });
    expect(result.isError).toBeFalsy();
    expect(result.structuredContent).toMatchObject({
      checkpoints: [
        {
          files: [{ path: 'src/user-service.ts' }],
          changesSince: {
            files: [{ path: 'src/user-service.ts', change: 'gone' }],
            unchangedFiles: 0,
          },
        },
      ],
    });
    expect(textOf(result)).toContain('since then: src/user-service.ts gone');
  });
});

async function writeUpload(target: NellieStore, repositoryId: number, content: string) {
  await target.writeFile(
    repositoryId,
    {
      path: 'src/upload.ts',
      language: 'typescript',
      size: content.length,
      mtimeMs: Date.now(),
      contentHash: content.length.toString(16).padStart(64, '0'),
    },
    [
      {
        startLine: 1,
        endLine: content.split('\n').length,
        content,
        symbolName: 'retryUpload',
        symbolKind: 'function',
        language: 'typescript',
      },
    ],
  );
}

interface CheckpointData {
  checkpoint: { id: string; staleness?: string; anchors?: { path: string; state: string }[] };
}

describe('anchored checkpoints with the SQLite store', () => {
  it('saves a checkpoint anchored to code and shows when that code changed', async () => {
    store = await createSqliteStore({ path: join(directory, 'nellie.db') });
    harness = await connect({
      store,
      modelStatus: disabledModel,
      version: '1.0.0',
      actor: 'tester',
    });
    const repository = await store.upsertRepository({
      rootPath: join(directory, 'shop'),
      name: 'shop',
    });
    await writeUpload(
      store,
      repository.id,
      'export async function retryUpload(file: Blob) {\n  return send(file);\n}',
    );

    const saved = await harness.call('add_checkpoint', {
      agent: 'claude',
      working_on: 'Making uploads give up after three tries',
      repository: 'shop',
      anchors: ['shop:src/upload.ts#retryUpload'],
    });
    expect(saved.isError ?? false, textOf(saved)).toBe(false);
    const { checkpoint } = saved.structuredContent as unknown as CheckpointData;
    expect(checkpoint).toMatchObject({
      staleness: 'current',
      anchors: [{ path: 'src/upload.ts', state: 'current' }],
    });

    await writeUpload(
      store,
      repository.id,
      'export async function retryUpload(file: Blob, retries = 3) {\n  return send(file, retries);\n}',
    );
    await store.refreshAnchors(repository.id, ['src/upload.ts']);

    const read = await harness.call('get_checkpoint', { id: checkpoint.id });
    expect(read.structuredContent).toMatchObject({
      checkpoint: { staleness: 'changed', anchors: [{ state: 'changed' }] },
    });
    expect(textOf(read)).toContain('Anchored to (changed):');
    expect(textOf(read)).toContain('shop:src/upload.ts:1-3 retryUpload: changed');
    const recent = await harness.call('get_recent_checkpoints', { agent: 'claude' });
    expect(recent.structuredContent).toMatchObject({
      checkpoints: [{ id: checkpoint.id, staleness: 'changed' }],
    });
    expect(textOf(recent)).toContain('anchored code changed');

    const refused = await harness.call('add_checkpoint', {
      agent: 'claude',
      working_on: 'Anchored to nothing',
      anchors: ['shop:src/upload.ts#nothingLikeThis'],
    });
    expect(refused.isError).toBe(true);
    expect(textOf(refused)).toContain('Cannot anchor to symbol "nothingLikeThis"');
  });
});
