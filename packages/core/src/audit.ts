/** How a write reached Nellie. */
export type AuditChannel = 'http' | 'mcp' | 'cli';

export interface AuditEntry {
  id: number;
  at: string;
  /** Who: an API key's public id, `local` for the CLI and stdio MCP, `anonymous` without auth. */
  actor: string;
  channel: AuditChannel;
  /** What, as `<noun>.<verb>`: `lesson.create`, `checkpoint.delete`, `index.start`, … */
  action: string;
  /** The id or path acted on, if any. */
  target: string | null;
  /** Small, secret-free details (never content bodies). */
  details: Record<string, unknown> | null;
}

export interface AuditQuery {
  /** ISO timestamp; entries at or after it. */
  since?: string;
  actor?: string;
  action?: string;
  /** Defaults to 100; at most 1000. */
  limit?: number;
}

/** A record of every write, for operators. */
export interface AuditLog {
  recordAudit(entry: Omit<AuditEntry, 'id' | 'at'>): Promise<void>;
  /** Newest first. */
  listAudit(query?: AuditQuery): Promise<AuditEntry[]>;
}
