import { PGlite } from '@electric-sql/pglite';
import { vector } from '@electric-sql/pglite-pgvector';
import { PGLiteSocketServer } from '@electric-sql/pglite-socket';

export interface PgliteServer {
  /** `postgres://…` for the server on a loopback port. */
  connectionString: string;
  /** A fresh schema name each call, so every store starts empty. */
  nextSchema(): string;
  stop(): Promise<void>;
}

let schemas = 0;

/**
 * A real PostgreSQL engine (PGlite) served over the wire protocol on a loopback port, with or
 * without the pgvector extension available.
 */
export async function startPgliteServer(options: { pgvector: boolean }): Promise<PgliteServer> {
  const db = await PGlite.create(options.pgvector ? { extensions: { vector } } : {});
  const server = new PGLiteSocketServer({ db, host: '127.0.0.1', port: 0, maxConnections: 100 });
  await server.start();
  const address = server.getServerConn();
  return {
    connectionString: `postgres://postgres@${address}/postgres`,
    nextSchema: () => `nellie_test_${process.pid}_${(schemas += 1)}`,
    async stop() {
      await server.stop();
      await db.close();
    },
  };
}
