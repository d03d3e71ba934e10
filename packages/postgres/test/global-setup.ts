import type { TestProject } from 'vitest/node';
import { startPgliteServer } from './pglite-server.ts';

declare module 'vitest' {
  export interface ProvidedContext {
    /** A PostgreSQL engine with the pgvector extension available. */
    postgresWithPgvector: string;
    /** A PostgreSQL engine without it. */
    postgresWithoutPgvector: string;
  }
}

/** Two real PostgreSQL engines (PGlite over the wire protocol), shared by every test file. */
export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  const [withPgvector, withoutPgvector] = await Promise.all([
    startPgliteServer({ pgvector: true }),
    startPgliteServer({ pgvector: false }),
  ]);
  project.provide('postgresWithPgvector', withPgvector.connectionString);
  project.provide('postgresWithoutPgvector', withoutPgvector.connectionString);
  return async () => {
    await Promise.all([withPgvector.stop(), withoutPgvector.stop()]);
  };
}
