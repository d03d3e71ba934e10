import { randomBytes } from 'node:crypto';
import { PGlite } from '@electric-sql/pglite';
import { vector } from '@electric-sql/pglite-pgvector';
import { PGLiteSocketServer } from '@electric-sql/pglite-socket';

export interface PgliteServer {
  /** `postgres://…` for the server on a loopback port. */
  connectionString: string;
  stop(): Promise<void>;
}

/**
 * A real PostgreSQL engine (PGlite) served over the wire protocol on a loopback port, with or
 * without the pgvector extension available.
 */
export async function startPgliteServer(options: { pgvector: boolean }): Promise<PgliteServer> {
  const db = await PGlite.create(options.pgvector ? { extensions: { vector } } : {});
  const server = new PGLiteSocketServer({ db, host: '127.0.0.1', port: 0, maxConnections: 100 });
  await server.start();
  return {
    connectionString: `postgres://postgres@${server.getServerConn()}/postgres`,
    async stop() {
      await server.stop();
      await db.close();
    },
  };
}

/** A schema name no other test uses, so every store starts empty. */
export function freshSchema(): string {
  return `nellie_test_${randomBytes(6).toString('hex')}`;
}
