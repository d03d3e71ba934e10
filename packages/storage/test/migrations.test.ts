import { join } from 'node:path';
import Database from 'better-sqlite3';
import { describe, expect, it } from 'vitest';
import { createSqliteStore } from '../src/index.ts';
import { applicationId, migrations, schemaVersion } from '../src/internal/schema.ts';
import { useTempDir } from './helpers.ts';

const tempDir = useTempDir();

describe('schema migrations', () => {
  it('upgrades a version 1 database in place, keeping its data and vectors', async () => {
    const path = join(tempDir(), 'nellie.db');
    // A database as version 1 of the schema left it, with a chunk and its vector.
    const v1 = new Database(path);
    v1.pragma('journal_mode = WAL');
    v1.transaction(() => {
      migrations[0]!(v1);
      v1.pragma(`application_id = ${applicationId}`);
      v1.pragma('user_version = 1');
      v1.exec(`
        INSERT INTO meta (key, value) VALUES ('store_id', 's'), ('vector_epoch', 'e'),
          ('embedding_model', 'model-a'), ('embedding_dimensions', '4');
        INSERT INTO repositories (id, name, root_path, created_at) VALUES (1, 'shop', '/shop', 'now');
        INSERT INTO files (id, repository_id, path, language, size, mtime_ms, content_hash, indexed_at)
          VALUES (1, 1, 'a.ts', 'typescript', 1, 1, 'h', 'now');
        INSERT INTO chunks (id, file_id, repository_id, start_line, end_line, symbol_name, symbol_key,
          language, content, content_hash) VALUES (1, 1, 1, 1, 1, 'fetchInvoice', 'fetchinvoice',
          'typescript', 'function fetchInvoice() {}', 'c1');
        INSERT INTO chunks_fts (rowid, symbol, container, path, body)
          VALUES (1, 'fetchinvoice fetch invoice', '', 'a ts', 'function fetchinvoice fetch invoice');
        INSERT INTO checkpoints (id, agent, repo, working_on, state, status, created_at, content_hash)
          VALUES ('k1', 'agent-1', 'shop', 'editing a.ts', '{}', 'in_progress', 'now', 'k');
      `);
      v1.prepare(`INSERT INTO embeddings (content_hash, kind, vector) VALUES ('c1', 0, ?)`).run(
        Buffer.from(new Float32Array([1, 0, 0, 0]).buffer),
      );
    })();
    v1.close();

    const store = await createSqliteStore({
      path,
      embedding: { modelId: 'model-a', dimensions: 4 },
    });
    try {
      const stats = await store.stats();
      expect(stats).toMatchObject({ schemaVersion, chunks: 1, chunksWithVectors: 1 });
      expect(schemaVersion).toBe(7);
      expect((await store.searchCode({ query: 'fetch invoice' }))[0]?.symbolName).toBe(
        'fetchInvoice',
      );
      const [hit] = await store.searchCode({
        query: '',
        queryVector: new Float32Array([1, 0, 0, 0]),
        repository: 'shop',
      });
      expect(hit?.symbolName).toBe('fetchInvoice');
      expect(hit?.scores.vector?.similarity).toBeCloseTo(1, 6);
      // A checkpoint saved before checkpoints recorded their code has no files, git or changes.
      const [checkpoint] = await store.getRecentCheckpoints();
      expect(checkpoint).toMatchObject({ id: 'k1', workingOn: 'editing a.ts' });
      for (const field of ['files', 'git', 'changesSince', 'anchors', 'staleness']) {
        expect(checkpoint).not.toHaveProperty(field);
      }
    } finally {
      await store.close();
    }
    const check = new Database(path, { readonly: true });
    expect(check.pragma('user_version', { simple: true })).toBe(7);
    expect(check.prepare('SELECT embedding_id FROM chunks WHERE id = 1').pluck().get()).toBe(1);
    check.close();
  });
});
