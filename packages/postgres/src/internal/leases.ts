import { parseInput } from '@nellie/schemas';
import { z } from 'zod';
import type { Database } from './database.ts';

const leaseSchema = z.strictObject({
  name: z.string().min(1).max(4096),
  holder: z.string().min(1).max(200),
  ttlMs: z.number().int().min(100).max(3_600_000),
});

/**
 * Named leases with an expiry, in the database's clock: one holder at a time, taken over by
 * another once the holder stops renewing it.
 */
export class Leases {
  readonly #database: Database;

  constructor(database: Database) {
    this.#database = database;
  }

  /** Takes the lease, or renews it for its holder; true when `holder` holds it now. */
  acquire(name: string, holder: string, ttlMs: number): Promise<boolean> {
    const parsed = parseInput(leaseSchema, { name, holder, ttlMs }, 'lease');
    return this.#database.write(async (db) => {
      const { rows } = await db.query(
        `INSERT INTO ${this.#database.schema}.leases AS l (name, holder, expires_at)
         VALUES ($1, $2, now() + $3 * interval '1 millisecond')
         ON CONFLICT (name) DO UPDATE SET holder = excluded.holder, expires_at = excluded.expires_at
           WHERE l.holder = excluded.holder OR l.expires_at < now()
         RETURNING holder`,
        [parsed.name, parsed.holder, parsed.ttlMs],
      );
      return rows.length > 0;
    });
  }

  /** Gives the lease up, when `holder` holds it. */
  release(name: string, holder: string): Promise<void> {
    return this.#database.write(async (db) => {
      await db.query(
        `DELETE FROM ${this.#database.schema}.leases WHERE name = $1 AND holder = $2`,
        [name, holder],
      );
    });
  }
}
