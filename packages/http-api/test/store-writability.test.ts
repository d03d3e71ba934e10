import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createRequire } from 'node:module';
import { createSqliteStore, type SqliteStore } from '@nellie/storage';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { createTestApp, type TestApp } from './support/harness.ts';
import { serveOnLoopback } from './support/serve.ts';

/**
 * A second SQLite connection, as another process would hold one; better-sqlite3 is loaded from
 * the storage package, which depends on it.
 */
const Database = createRequire(import.meta.resolve('@nellie/storage/package.json'))(
  'better-sqlite3',
) as new (path: string) => { exec(sql: string): void; close(): void };

const cleanup: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const step of cleanup.splice(0).reverse()) await step();
});

async function open(): Promise<{ store: SqliteStore; path: string }> {
  const directory = mkdtempSync(join(tmpdir(), 'nellie-writable-'));
  cleanup.push(() => rmSync(directory, { recursive: true, force: true }));
  const path = join(directory, 'nellie.db');
  const store = await createSqliteStore({ path, busyTimeoutMs: 20 });
  cleanup.push(() => store.close());
  return { store, path };
}

async function serve(t: TestApp): Promise<string> {
  const server = await serveOnLoopback(t.app);
  cleanup.push(
    () => server.close(),
    () => t.close(),
  );
  return server.url;
}

const lesson = { title: 'Close handles', content: 'Leaked handles hang vitest.' };
const post = (url: string) =>
  fetch(`${url}/api/v1/lessons`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(lesson),
  });

describe('readiness follows whether the SQLite store accepts writes', () => {
  it('turns not ready while another process holds the write lock, and recovers by a probe write', async () => {
    const { store, path } = await open();
    const url = await serve(createTestApp({ store, storeProbeIntervalMs: 50 }));
    expect((await fetch(`${url}/ready`)).status).toBe(200);

    const other = new Database(path);
    cleanup.push(() => other.close());
    other.exec('BEGIN IMMEDIATE');
    const failed = await post(url);
    expect(failed.status).toBe(503);
    expect(await failed.json()).toMatchObject({ error: { code: 'STORE_UNAVAILABLE' } });

    const ready = await fetch(`${url}/ready`);
    expect(ready.status).toBe(503);
    const body = (await ready.json()) as {
      status: string;
      database: Record<string, unknown>;
      message: string;
    };
    expect(body.status).toBe('not_ready');
    expect(body.database).toMatchObject({
      writable: false,
      reason: expect.stringMatching(/^SQLITE_BUSY/) as unknown,
    });
    expect(body.message).toContain('another process holds the database lock');
    expect(await (await fetch(`${url}/metrics`)).text()).toMatch(/^nellie_store_writable 0$/m);
    // /health stays a liveness probe: restarting would not free the disk.
    expect((await fetch(`${url}/health`)).status).toBe(200);

    other.exec('ROLLBACK');
    await vi.waitFor(async () => expect((await fetch(`${url}/ready`)).status).toBe(200), {
      timeout: 5_000,
      interval: 25,
    });
    expect(await (await fetch(`${url}/metrics`)).text()).toMatch(/^nellie_store_writable 1$/m);
    expect((await post(url)).status).toBe(201);
  });

  it('recovers when a later write succeeds, without a probe', async () => {
    const { store, path } = await open();
    // A store without probeWrite: only real writes can bring readiness back.
    const withoutProbe = Object.assign(Object.create(store) as SqliteStore, {
      probeWrite: undefined,
    });
    const url = await serve(createTestApp({ store: withoutProbe, storeProbeIntervalMs: 10 }));
    const other = new Database(path);
    cleanup.push(() => other.close());
    other.exec('BEGIN IMMEDIATE');
    expect((await post(url)).status).toBe(503);
    other.exec('ROLLBACK');
    expect((await fetch(`${url}/ready`)).status).toBe(503);
    expect((await post(url)).status).toBe(201);
    expect((await fetch(`${url}/ready`)).status).toBe(200);
  });
});
