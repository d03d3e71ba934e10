import { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import { NellieError, limits } from '@nellie/core';
import {
  type MemoryStore,
  createFakeEmbedder,
  createFakeIndexer,
  createMemoryStore,
} from '@nellie/test-utils';
import { auditOf } from '../test/support/store.ts';
import { afterEach, describe, expect, it } from 'vitest';
import {
  connect,
  createRecordingLogger,
  disabledModel,
  textOf,
  type Harness,
} from '../test/support/harness.ts';
import { nellieToolNames, registerNellieTools } from './index.ts';

const expectedTools = [
  'search_code',
  'read_file',
  'list_repositories',
  'remove_repository',
  'rename_repository',
  'index_repo',
  'get_index_status',
  'add_lesson',
  'search_lessons',
  'list_lessons',
  'get_lesson',
  'update_lesson',
  'delete_lesson',
  'add_checkpoint',
  'get_recent_checkpoints',
  'get_checkpoint',
  'search_checkpoints',
  'confirm_checkpoint',
  'get_agent_status',
  'get_status',
];

let harness: Harness | undefined;
afterEach(async () => {
  await harness?.close();
  harness = undefined;
});

async function start(store: MemoryStore = createMemoryStore(), extra: { actor?: string } = {}) {
  const logger = createRecordingLogger();
  harness = await connect({
    store,
    indexer: createFakeIndexer(),
    embedder: createFakeEmbedder(),
    modelStatus: disabledModel,
    version: '1.2.3',
    logger,
    ...extra,
  });
  return { harness, logger, store };
}

describe('tools/list', () => {
  it('lists every tool with a title, description, input schema and annotations', async () => {
    const { harness } = await start();
    const { tools } = await harness.client.listTools();

    expect(tools.map((tool) => tool.name)).toEqual(expectedTools);
    expect(nellieToolNames).toEqual(expectedTools);
    for (const tool of tools) {
      expect(tool.title, tool.name).toBeTruthy();
      expect(tool.description!.length, tool.name).toBeGreaterThan(25);
      expect(tool.inputSchema.type, tool.name).toBe('object');
      // Output schemas stay off the listing (size); structured content still follows them.
      expect(tool.outputSchema, tool.name).toBeUndefined();
      expect(typeof tool.annotations?.readOnlyHint, tool.name).toBe('boolean');
    }
  });

  it('describes arguments, required ones and limits in JSON Schema', async () => {
    const { harness } = await start();
    const { tools } = await harness.client.listTools();
    const byName = new Map(tools.map((tool) => [tool.name, tool]));

    const searchCode = byName.get('search_code')!.inputSchema;
    expect(searchCode.required).toEqual(['query']);
    // The shared search vocabulary; the deprecated repo and path_glob stay out of the listing.
    expect(Object.keys(searchCode.properties!)).toEqual([
      'query',
      'repository',
      'pathGlob',
      'language',
      'limit',
      'mode',
      'groupBy',
      'includeContent',
    ]);
    expect(searchCode.properties!.groupBy).toMatchObject({ default: 'file' });
    expect(searchCode.properties!.limit).toMatchObject({
      type: 'integer',
      minimum: 1,
      maximum: limits.searchResults,
      default: 10,
    });

    const addCheckpoint = byName.get('add_checkpoint')!.inputSchema;
    expect(addCheckpoint.required).toEqual(['agent', 'working_on']);
    expect(addCheckpoint.properties!.status).toMatchObject({ enum: ['in_progress', 'done'] });
    expect(addCheckpoint.properties!.state).toMatchObject({ type: 'object' });

    expect(byName.get('add_lesson')!.inputSchema.properties!.severity).toMatchObject({
      enum: ['critical', 'warning', 'info'],
    });
    expect(byName.get('get_status')!.inputSchema.properties).toEqual({});
  });

  it('marks reads read-only and deletions destructive', async () => {
    const { harness } = await start();
    const { tools } = await harness.client.listTools();
    const annotations = Object.fromEntries(tools.map((tool) => [tool.name, tool.annotations]));

    for (const name of [
      'search_code',
      'get_index_status',
      'search_lessons',
      'list_lessons',
      'get_lesson',
      'get_recent_checkpoints',
      'get_checkpoint',
      'search_checkpoints',
      'get_agent_status',
      'get_status',
    ]) {
      expect(annotations[name]?.readOnlyHint, name).toBe(true);
    }
    expect(annotations.delete_lesson).toMatchObject({ readOnlyHint: false, destructiveHint: true });
    expect(annotations.add_lesson).toMatchObject({ readOnlyHint: false, destructiveHint: false });
    expect(annotations.index_repo).toMatchObject({ readOnlyHint: false, idempotentHint: true });
  });
});

describe('invalid arguments', () => {
  it.each([
    ['search_code', {}, /query/],
    ['search_code', { query: 'user', limit: '5' }, /limit must be a number.*at limit/],
    ['search_code', { query: 'user', limit: 500 }, /limit must be between 1 and 100 at limit/],
    ['search_code', { query: 'user', limit: 0 }, /limit must be between 1 and 100 at limit/],
    ['search_code', { query: 'user', limit: 2.5 }, /limit/],
    ['search_code', { query: '   ' }, /The search query is empty/],
    ['search_code', { query: 'user', path: 'src/**' }, /Unknown argument "path".*at path/],
    ['add_lesson', { title: 'x' }, /at content/],
    ['add_lesson', { title: 'x', content: 'y', severity: 'huge' }, /at severity/],
    ['add_lesson', { title: 'x', content: 'y', tags: 'db' }, /expected array.*at tags/],
    ['add_checkpoint', { agent: 'a', working_on: 'w', state: 'not-an-object' }, /at state/],
    ['add_checkpoint', { agent: 'a', working_on: 'w', status: 'paused' }, /at status/],
    ['get_lesson', { id: 42 }, /id must be a string.*at id/],
    ['list_lessons', { offset: -1 }, /at offset/],
    ['index_repo', { path: './relative/dir' }, /absolute directory path.*at path/],
    ['get_index_status', { limit: 1000 }, /at limit/],
  ])('%s %j is rejected, naming the argument', async (tool, args, message) => {
    const { harness, store } = await start();
    const result = await harness.call(tool, args);

    expect(result.isError).toBe(true);
    expect(textOf(result)).toMatch(/Invalid arguments for tool/);
    expect(textOf(result)).toMatch(message);
    expect(await auditOf(store)).toEqual([]);
  });

  it('reports an unknown tool without disturbing the server', async () => {
    const { harness } = await start();
    const result = await harness.call('search_everything', { query: 'x' });

    expect(result.isError).toBe(true);
    expect(textOf(result)).toMatch(/Tool search_everything not found/);
    expect((await harness.call('get_status')).isError).toBeFalsy();
  });
});

describe('failures', () => {
  it('turns an unexpected error into a safe isError result, logs it and keeps serving', async () => {
    const { harness, store, logger } = await start();
    store.failNext(
      'searchCode',
      new Error('SQLITE_IOERR: disk I/O error at /secret/path/nellie.db'),
    );

    const result = await harness.call('search_code', { query: 'user' });

    expect(result.isError).toBe(true);
    expect(textOf(result)).toMatch(/^INTERNAL: search_code failed unexpectedly/);
    expect(textOf(result)).not.toContain('/secret/path');
    expect(logger.records.find((record) => record.level === 'error')?.fields).toMatchObject({
      tool: 'search_code',
    });
    const again = await harness.call('search_code', { query: 'user' });
    expect(again.isError).toBeFalsy();
  });

  it('passes a NellieError message through, prefixed with its code', async () => {
    const { harness, store, logger } = await start();
    store.failNext(
      'addLesson',
      new NellieError(
        'STORE_UNAVAILABLE',
        'The database is read-only; open it for writing to record lessons.',
      ),
    );

    const result = await harness.call('add_lesson', { title: 't', content: 'c' });

    expect(result.isError).toBe(true);
    expect(textOf(result)).toBe(
      'STORE_UNAVAILABLE: The database is read-only; open it for writing to record lessons.',
    );
    expect(result.structuredContent).toEqual({
      error: {
        code: 'STORE_UNAVAILABLE',
        message: 'The database is read-only; open it for writing to record lessons.',
      },
    });
    expect(logger.records.at(-1)).toMatchObject({
      level: 'error',
      fields: { tool: 'add_lesson', code: 'STORE_UNAVAILABLE' },
    });
    expect(await auditOf(store)).toEqual([]);
  });

  it('logs caller mistakes (NOT_FOUND) as warnings', async () => {
    const { harness, logger } = await start();
    const result = await harness.call('get_lesson', { id: 'missing' });

    expect(result.isError).toBe(true);
    expect(logger.records.at(-1)).toMatchObject({
      level: 'warn',
      fields: { tool: 'get_lesson', code: 'NOT_FOUND' },
    });
  });

  it('keeps a write that succeeded when the audit log fails, and logs the audit failure', async () => {
    const { harness, store, logger } = await start();
    store.failNext('recordAudit', new Error('audit table locked'));

    const result = await harness.call('add_lesson', { title: 'Keep me', content: 'Body' });

    expect(result.isError).toBeFalsy();
    expect((await store.listLessons()).total).toBe(1);
    expect(logger.records).toContainEqual(
      expect.objectContaining({ level: 'error', message: 'Could not record an audit entry' }),
    );
  });
});

describe('audit actor', () => {
  it('is "local" by default', async () => {
    const { harness, store } = await start();
    await harness.call('add_lesson', { title: 't', content: 'c' });
    expect(await auditOf(store)).toEqual([
      expect.objectContaining({ actor: 'local', channel: 'mcp', action: 'lesson.create' }),
    ]);
  });

  it('is deps.actor when given', async () => {
    const { harness, store } = await start(createMemoryStore(), { actor: 'ci-bot' });
    await harness.call('add_checkpoint', { agent: 'a', working_on: 'w' });
    expect(await auditOf(store)).toEqual([
      expect.objectContaining({ actor: 'ci-bot', channel: 'mcp', action: 'checkpoint.create' }),
    ]);
  });

  it("is the request's authenticated client id when present", async () => {
    const store = createMemoryStore();
    harness = await connect(
      { store, modelStatus: disabledModel, version: '1.0.0', actor: 'ci-bot' },
      { authInfo: { token: 'secret-token', clientId: 'key-7', scopes: [] } },
    );
    await harness.call('add_lesson', { title: 't', content: 'c' });

    expect(await auditOf(store)).toHaveLength(1);
    expect((await auditOf(store))[0]).toMatchObject({ actor: 'key-7', channel: 'mcp' });
    expect(JSON.stringify(await auditOf(store))).not.toContain('secret-token');
  });
});

describe('registerNellieTools options', () => {
  const store = createMemoryStore();

  function registrationError(deps: Parameters<typeof registerNellieTools>[1]): NellieError {
    try {
      registerNellieTools(new McpServer({ name: 't', version: '1' }), deps);
    } catch (error) {
      if (NellieError.is(error)) return error;
      throw error;
    }
    throw new Error('registerNellieTools accepted invalid deps');
  }

  it('rejects an empty version and a blank actor with INVALID_OPTIONS naming them', () => {
    const noVersion = registrationError({ store, modelStatus: disabledModel, version: '' });
    expect(noVersion.code).toBe('INVALID_OPTIONS');
    expect(noVersion.message).toMatch(/version/);

    const blankActor = registrationError({
      store,
      modelStatus: disabledModel,
      version: '1',
      actor: ' ',
    });
    expect(blankActor.code).toBe('INVALID_OPTIONS');
    expect(blankActor.message).toMatch(/actor/);
  });

  it('rejects a missing store or modelStatus', () => {
    const error = registrationError({
      version: '1',
    } as unknown as Parameters<typeof registerNellieTools>[1]);
    expect(error.code).toBe('INVALID_OPTIONS');
    expect(error.message).toMatch(/store and modelStatus/);
  });
});
