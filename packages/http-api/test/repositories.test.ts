import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createSqliteStore } from '@nellie/storage';
import { repositoryOperationsContract, type InterfaceOutcome } from '@nellie/test-utils';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createTestApp } from './support/harness.ts';
import { serveOnLoopback } from './support/serve.ts';

// Repository routes over real HTTP on a loopback port, with the SQLite store and real files.

async function openOnLoopback(directory: string) {
  const store = await createSqliteStore({ path: join(directory, 'nellie.db') });
  const t = createTestApp({ store });
  const server = await serveOnLoopback(t.app);
  const call = async (method: string, path: string, json?: unknown) => {
    const response = await fetch(`${server.url}/api/v1${path}`, {
      method,
      headers: json === undefined ? {} : { 'content-type': 'application/json' },
      body: json === undefined ? undefined : JSON.stringify(json),
    });
    return { status: response.status, body: (await response.json()) as Record<string, unknown> };
  };
  const close = async () => {
    await server.close();
    await t.close();
    await store.close();
  };
  return { store, call, close };
}

/** REST answers its data with a 2xx status and `{ error: { code, message } }` otherwise. */
function outcome({ status, body }: { status: number; body: Record<string, unknown> }) {
  return (status < 400 ? { data: body } : body) as InterfaceOutcome;
}

repositoryOperationsContract('REST', {
  async open(directory) {
    const { store, call, close } = await openOnLoopback(directory);
    const name = encodeURIComponent;
    return {
      store,
      unwatched: null,
      close,
      operations: {
        list: async () => outcome(await call('GET', '/repositories')),
        remove: async (repository) =>
          outcome(await call('DELETE', `/repositories/${name(repository)}`)),
        rename: async (repository, newName) =>
          outcome(await call('PATCH', `/repositories/${name(repository)}`, { name: newName })),
        readFile: async ({ repository, path, startLine, endLine }) => {
          const query = new URLSearchParams({ path });
          if (startLine !== undefined) query.set('start', String(startLine));
          if (endLine !== undefined) query.set('end', String(endLine));
          return outcome(
            await call('GET', `/repositories/${name(repository)}/files?${query.toString()}`),
          );
        },
      },
    };
  },
});

describe('/api/v1/repositories statuses', () => {
  let directory: string;
  let opened: Awaited<ReturnType<typeof openOnLoopback>>;

  beforeEach(async () => {
    directory = mkdtempSync(join(tmpdir(), 'nellie-http-repos-'));
    opened = await openOnLoopback(directory);
  });

  afterEach(async () => {
    await opened.close();
    rmSync(directory, { recursive: true, force: true });
  });

  it('answers 404 for an unknown name, 409 for a name in use and 400 for a bad request', async () => {
    const { store, call } = opened;
    await store.upsertRepository({ rootPath: join(directory, 'a', 'chalk') });
    await store.upsertRepository({ rootPath: join(directory, 'b', 'chalk') });
    expect((await call('DELETE', '/repositories/nope')).status).toBe(404);
    expect((await call('PATCH', '/repositories/nope', { name: 'x' })).status).toBe(404);
    expect((await call('GET', '/repositories/nope/files?path=a.js')).status).toBe(404);
    expect((await call('PATCH', '/repositories/chalk-2', { name: 'chalk' })).status).toBe(409);
    expect((await call('PATCH', '/repositories/chalk-2', { name: ' ' })).status).toBe(400);
    expect((await call('GET', '/repositories/chalk/files?path=../x.js')).status).toBe(400);
    expect((await call('GET', '/repositories/chalk/files?path=a.js&start=0')).status).toBe(400);
  });
});
