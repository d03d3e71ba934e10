import { startPostgresServer } from '@nellie/test-utils';
import type { TestProject } from 'vitest/node';
import { startPgliteServer } from './pglite-server.ts';

declare module 'vitest' {
  export interface ProvidedContext {
    /** A PostgreSQL engine with the pgvector extension available (PGlite over the wire protocol). */
    postgresWithPgvector: string;
    /** A native PostgreSQL server without it (the machine's own binaries, a throwaway cluster). */
    postgresWithoutPgvector: string;
  }
}

/** Two real PostgreSQL engines, shared by every test file. */
export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  const [withPgvector, withoutPgvector] = await Promise.all([
    startPgliteServer({ pgvector: true }),
    startPostgresServer(),
  ]);
  project.provide('postgresWithPgvector', withPgvector.connectionString);
  project.provide('postgresWithoutPgvector', withoutPgvector.connectionString);
  return async () => {
    await Promise.all([withPgvector.stop(), withoutPgvector.destroy()]);
  };
}
