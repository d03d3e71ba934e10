import { NellieError, limits, type AuditEntry, type AuditQuery } from '@nellie/core';
import { z } from 'zod';
import type { StoreContext } from './context.ts';
import { limitSchema, parseInput } from '@nellie/schemas';

interface AuditRow {
  id: number;
  at: string;
  actor: string;
  channel: AuditEntry['channel'];
  action: string;
  target: string | null;
  details: string | null;
}

/** Details are for small, secret-free facts; larger objects are refused. */
const maxDetailsBytes = 16 * 1024;

export const auditEntrySchema = z.strictObject({
  actor: z.string().min(1, 'actor must not be empty').max(200),
  channel: z.enum(['http', 'mcp', 'cli']),
  action: z
    .string()
    .min(1)
    .max(100)
    .regex(
      /^[a-z][a-z0-9_-]*(\.[a-z][a-z0-9_-]*)+$/,
      'action must look like "<noun>.<verb>", e.g. lesson.create',
    ),
  target: z.string().max(4096).nullable(),
  details: z.record(z.string(), z.unknown()).nullable(),
});

export const auditQuerySchema = z.strictObject({
  since: z
    .string()
    .refine((value) => !Number.isNaN(Date.parse(value)), 'since must be an ISO timestamp')
    .optional(),
  actor: z.string().min(1).max(200).optional(),
  action: z.string().min(1).max(100).optional(),
  limit: limitSchema(limits.auditPageSize, 100),
});

/** A valid audit entry and its details as stored JSON text; INVALID_INPUT otherwise. */
export function parseAuditEntry(entry: Omit<AuditEntry, 'id' | 'at'>): {
  parsed: z.output<typeof auditEntrySchema>;
  details: string | null;
} {
  const parsed = parseInput(auditEntrySchema, entry, 'audit entry');
  const details = parsed.details === null ? null : JSON.stringify(parsed.details);
  if (details !== null && Buffer.byteLength(details) > maxDetailsBytes) {
    throw new NellieError(
      'INVALID_INPUT',
      `audit details are larger than ${maxDetailsBytes} bytes; record ids and counts, not contents.`,
    );
  }
  return { parsed, details };
}

export class AuditStore {
  readonly #ctx: StoreContext;

  constructor(ctx: StoreContext) {
    this.#ctx = ctx;
  }

  record(entry: Omit<AuditEntry, 'id' | 'at'>): void {
    const { parsed, details } = parseAuditEntry(entry);
    this.#ctx.write(() => {
      this.#ctx
        .statement(
          `INSERT INTO audit_log (at, actor, channel, action, target, details) VALUES (?, ?, ?, ?, ?, ?)`,
        )
        .run(
          new Date().toISOString(),
          parsed.actor,
          parsed.channel,
          parsed.action,
          parsed.target,
          details,
        );
    });
  }

  list(query: AuditQuery = {}): AuditEntry[] {
    const parsed = parseInput(auditQuerySchema, query, 'audit query');
    const conditions: string[] = [];
    const params: Record<string, unknown> = { limit: parsed.limit };
    if (parsed.since !== undefined) {
      conditions.push('at >= $since');
      params.since = new Date(parsed.since).toISOString();
    }
    if (parsed.actor !== undefined) {
      conditions.push('actor = $actor');
      params.actor = parsed.actor;
    }
    if (parsed.action !== undefined) {
      conditions.push('action = $action');
      params.action = parsed.action;
    }
    const where = conditions.length > 0 ? `WHERE ${conditions.join(' AND ')}` : '';
    return this.#ctx.read(() =>
      (
        this.#ctx
          .statement(`SELECT * FROM audit_log ${where} ORDER BY id DESC LIMIT $limit`)
          .all(params) as AuditRow[]
      ).map((row) => ({
        id: row.id,
        at: row.at,
        actor: row.actor,
        channel: row.channel,
        action: row.action,
        target: row.target,
        details: row.details === null ? null : (JSON.parse(row.details) as Record<string, unknown>),
      })),
    );
  }
}
