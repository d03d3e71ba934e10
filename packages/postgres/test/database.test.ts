import { noopLogger } from '@nellie/core';
import pg from 'pg';
import { expect, inject, it } from 'vitest';
import { Database } from '../src/internal/database.ts';

const connectionString = inject('postgresWithoutPgvector');

it('a connection lost between the queries of a transaction fails the transaction, not the process', async () => {
  const pool = new pg.Pool({ connectionString, max: 2 });
  pool.on('error', () => undefined);
  const admin = new pg.Client({ connectionString });
  await admin.connect();
  const warnings: unknown[] = [];
  const logger = { ...noopLogger, warn: (fields: unknown) => warnings.push(fields) };
  const database = new Database({ pool, schema: 'public', location: 'test', logger });
  try {
    const failed = database.write(async (db) => {
      const { rows } = await db.query<{ pid: number }>('SELECT pg_backend_pid() AS pid');
      // The server ends this connection while the transaction is doing work of its own.
      await admin.query('SELECT pg_terminate_backend($1)', [rows[0]!.pid]);
      await new Promise((resolve) => setTimeout(resolve, 300));
      await db.query('SELECT 1');
    });
    await expect(failed).rejects.toMatchObject({ code: 'STORE_UNAVAILABLE' });
    expect(warnings.length).toBeGreaterThan(0);
    // The pool dropped the broken connection: the next transaction works.
    expect(await database.write(async (db) => (await db.query('SELECT 1 AS one')).rows)).toEqual([
      { one: 1 },
    ]);
  } finally {
    await admin.end();
    await pool.end();
  }
});
