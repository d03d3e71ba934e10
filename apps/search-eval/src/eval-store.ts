/**
 * The store a benchmark indexes into: the SQLite file Nellie uses by default, or PostgreSQL
 * (PGlite with pgvector, in this process, reached over the wire protocol on a loopback port as
 * a real server would be).
 */
import { join } from 'node:path';
import type { EmbeddingModelInfo, NellieStore } from '@nellie/core';
import { PGlite } from '@electric-sql/pglite';
import { vector } from '@electric-sql/pglite-pgvector';
import { PGLiteSocketServer } from '@electric-sql/pglite-socket';
import { createPostgresStore } from '@nellie/postgres';
import { createSqliteStore } from '@nellie/storage';

export const evalStores = ['sqlite', 'postgres'] as const;
export type EvalStore = (typeof evalStores)[number];

export async function openEvalStore(
  kind: EvalStore,
  dataDir: string,
  embedding: EmbeddingModelInfo | null,
): Promise<NellieStore> {
  if (kind === 'sqlite') return createSqliteStore({ path: join(dataDir, 'nellie.db'), embedding });
  const db = await PGlite.create({ extensions: { vector } });
  const server = new PGLiteSocketServer({ db, host: '127.0.0.1', port: 0, maxConnections: 8 });
  await server.start();
  const store = await createPostgresStore({
    connectionString: `postgres://postgres@${server.getServerConn()}/postgres`,
    embedding,
    maxConnections: 4,
  });
  const close = async (): Promise<void> => {
    await store.close();
    await server.stop();
    await db.close();
  };
  return { ...store, close, [Symbol.asyncDispose]: close };
}
