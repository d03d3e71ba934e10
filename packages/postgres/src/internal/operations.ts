import {
  NellieError,
  type AuditEntry,
  type AuditQuery,
  type EmbeddingModelInfo,
  type IntegrityReport,
  type MaintenanceReport,
  type StoreStats,
} from '@nellie/core';
import { auditQuerySchema, parseAuditEntry } from '@nellie/storage/store-kit';
import { parseInput } from '@nellie/schemas';
import { z } from 'zod';
import { Parameters, type Database } from './database.ts';
import { readStoredModel } from './embedding-store.ts';
import { schemaVersion } from './schema.ts';

const maintenanceSchema = z.strictObject({
  vacuum: z.enum(['auto', 'always', 'never']).default('auto'),
});

const tables = [
  'repositories',
  'files',
  'chunks',
  'lessons',
  'checkpoints',
  'agent_status',
  'embeddings',
  'embedding_queue',
  'embedding_tombstones',
  'audit_log',
  'leases',
] as const;

/** Stats, integrity checks, maintenance and the audit log. */
export class StoreOperations {
  readonly #database: Database;
  readonly #s: string;
  readonly #model: EmbeddingModelInfo | null;

  constructor(database: Database, model: EmbeddingModelInfo | null) {
    this.#database = database;
    this.#s = database.schema;
    this.#model = model;
  }

  async #bytes(): Promise<number> {
    return this.#database.read(async (db) => {
      const { rows } = await db.query<{ bytes: number }>(
        `SELECT coalesce(sum(pg_total_relation_size(c.oid)), 0)::bigint AS bytes
         FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
         WHERE n.nspname = $1 AND c.relkind IN ('r', 'm')`,
        [this.#database.schemaName],
      );
      return rows[0]?.bytes ?? 0;
    });
  }

  stats(): Promise<StoreStats> {
    const s = this.#s;
    return this.#database.read(async (db) => {
      const { rows } = await db.query<Record<string, number>>(
        `SELECT
           (SELECT count(*) FROM ${s}.repositories) AS repositories,
           (SELECT count(*) FROM ${s}.files) AS files,
           (SELECT count(*) FROM ${s}.chunks) AS chunks,
           (SELECT count(*) FROM ${s}.chunks c
              WHERE EXISTS (SELECT 1 FROM ${s}.embeddings e WHERE e.content_hash = c.content_hash))
             AS with_vectors,
           (SELECT count(*) FROM ${s}.lessons) AS lessons,
           (SELECT count(*) FROM ${s}.checkpoints) AS checkpoints`,
      );
      const counts = rows[0]!;
      const model = (await readStoredModel(db, s)) ?? this.#model;
      const chunks = counts.chunks ?? 0;
      const withVectors = counts.with_vectors ?? 0;
      return {
        repositories: counts.repositories ?? 0,
        files: counts.files ?? 0,
        chunks,
        chunksWithVectors: withVectors,
        chunksPendingEmbedding: model ? chunks - withVectors : 0,
        lessons: counts.lessons ?? 0,
        checkpoints: counts.checkpoints ?? 0,
        embeddingModel: model,
        schemaVersion,
        databaseBytes: await this.#bytes(),
      };
    });
  }

  /**
   * Checks what the application relies on: every table present, and no chunk, file or vector
   * left without its owner. Storage-level damage is PostgreSQL's to detect (checksums, amcheck).
   */
  integrityCheck(): Promise<IntegrityReport> {
    const s = this.#s;
    return this.#database.read(async (db) => {
      const problems: string[] = [];
      const present = await db.query<{ table_name: string }>(
        `SELECT table_name FROM information_schema.tables WHERE table_schema = $1`,
        [this.#database.schemaName],
      );
      const names = new Set(present.rows.map((row) => row.table_name));
      for (const table of tables) if (!names.has(table)) problems.push(`table ${table} is missing`);
      if (problems.length > 0) return { ok: false, problems };
      const checks: [string, string][] = [
        [
          'chunks without their file',
          `SELECT count(*) AS n FROM ${s}.chunks c
           WHERE NOT EXISTS (SELECT 1 FROM ${s}.files f WHERE f.id = c.file_id)`,
        ],
        [
          'vectors nothing uses',
          `SELECT count(*) AS n FROM ${s}.embeddings e
           WHERE NOT EXISTS (SELECT 1 FROM ${s}.chunks WHERE content_hash = e.content_hash)
             AND NOT EXISTS (SELECT 1 FROM ${s}.lessons WHERE content_hash = e.content_hash)
             AND NOT EXISTS (SELECT 1 FROM ${s}.checkpoints WHERE content_hash = e.content_hash)`,
        ],
      ];
      for (const [what, sql] of checks) {
        const { rows } = await db.query<{ n: number }>(sql);
        const count = rows[0]?.n ?? 0;
        if (count > 0) problems.push(`${count} ${what}`);
      }
      return { ok: problems.length === 0, problems };
    });
  }

  /** Integrity check, ANALYZE, and VACUUM (plain, never FULL: it does not lock writers out). */
  async maintenance(
    options: { vacuum?: 'auto' | 'always' | 'never' } = {},
  ): Promise<MaintenanceReport> {
    const parsed = parseInput(maintenanceSchema, options, 'maintenance options');
    const bytesBefore = await this.#bytes();
    const integrity = await this.integrityCheck();
    if (!integrity.ok) {
      return {
        integrity,
        analyzed: false,
        ftsOptimized: false,
        vacuumed: false,
        bytesBefore,
        bytesAfter: bytesBefore,
      };
    }
    // Autovacuum keeps tables tidy on its own; `auto` leaves it to that.
    const vacuum = parsed.vacuum === 'always';
    await this.#database.read(async (db) => {
      for (const table of tables) {
        await db.query(`${vacuum ? 'VACUUM (ANALYZE)' : 'ANALYZE'} ${this.#s}.${table}`);
      }
    });
    return {
      integrity,
      analyzed: true,
      // GIN indexes merge their pending lists during VACUUM and ANALYZE.
      ftsOptimized: true,
      vacuumed: vacuum,
      bytesBefore,
      bytesAfter: await this.#bytes(),
    };
  }

  backup(): Promise<{ bytes: number }> {
    return this.#database.read(() =>
      Promise.reject(
        new NellieError(
          'INVALID_INPUT',
          "A PostgreSQL store is backed up with the database server's own tools (pg_dump, or your provider's snapshots and point-in-time recovery), not by Nellie; see docs/deployment/postgres.md.",
        ),
      ),
    );
  }

  probeWrite(): Promise<void> {
    return this.#database.write(async (db) => {
      await db.query(
        `INSERT INTO ${this.#s}.meta (key, value) VALUES ('write_probe', $1)
         ON CONFLICT (key) DO UPDATE SET value = excluded.value`,
        [new Date().toISOString()],
      );
    });
  }

  recordAudit(entry: Omit<AuditEntry, 'id' | 'at'>): Promise<void> {
    const { parsed, details } = parseAuditEntry(entry);
    return this.#database.write(async (db) => {
      await db.query(
        `INSERT INTO ${this.#s}.audit_log (at, actor, channel, action, target, details)
         VALUES ($1, $2, $3, $4, $5, $6)`,
        [
          new Date().toISOString(),
          parsed.actor,
          parsed.channel,
          parsed.action,
          parsed.target,
          details,
        ],
      );
    });
  }

  listAudit(query: AuditQuery = {}): Promise<AuditEntry[]> {
    const parsed = parseInput(auditQuerySchema, query, 'audit query');
    const params = new Parameters();
    const conditions: string[] = [];
    if (parsed.since !== undefined) {
      conditions.push(`at >= ${params.p(new Date(parsed.since).toISOString())}`);
    }
    if (parsed.actor !== undefined) conditions.push(`actor = ${params.p(parsed.actor)}`);
    if (parsed.action !== undefined) conditions.push(`action = ${params.p(parsed.action)}`);
    const where = conditions.length > 0 ? `WHERE ${conditions.join(' AND ')}` : '';
    return this.#database.read(async (db) => {
      const { rows } = await db.query<{
        id: number;
        at: string;
        actor: string;
        channel: AuditEntry['channel'];
        action: string;
        target: string | null;
        details: string | null;
      }>(
        `SELECT * FROM ${this.#s}.audit_log ${where} ORDER BY id DESC LIMIT ${params.p(parsed.limit)}`,
        params.values,
      );
      return rows.map((row) => ({
        ...row,
        details: row.details === null ? null : (JSON.parse(row.details) as Record<string, unknown>),
      }));
    });
  }
}
