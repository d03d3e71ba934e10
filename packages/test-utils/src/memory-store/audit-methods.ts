/* eslint-disable @typescript-eslint/require-await -- an in-memory fake of asynchronous contracts */
import { limits } from '@nellie/core';
import type { MemoryState, StoreMethods } from './state.ts';
import { checkKeys, invalid, limitOf, text } from './validation.ts';

export type AuditMethod = 'recordAudit' | 'listAudit';

/** The audit log. */
export function auditMethods(state: MemoryState): StoreMethods<AuditMethod> {
  const { audit, now } = state;
  return {
    async recordAudit(entry) {
      if (typeof entry !== 'object' || entry === null) throw invalid('Give an audit entry.');
      if (!['http', 'mcp', 'cli'].includes(entry.channel)) {
        throw invalid('channel must be http, mcp or cli.');
      }
      audit.push({
        id: audit.length + 1,
        at: now(),
        actor: text(entry.actor, 'actor', limits.agentLength),
        channel: entry.channel,
        action: text(entry.action, 'action', 200),
        target: entry.target ?? null,
        details: entry.details === null ? null : structuredClone(entry.details),
      });
    },
    async listAudit(query = {}) {
      checkKeys(query, ['since', 'actor', 'action', 'limit'], 'audit query');
      const limit = limitOf(query.limit, limits.auditPageSize, 100);
      return audit
        .filter(
          (entry) =>
            (query.since === undefined || entry.at >= new Date(query.since).toISOString()) &&
            (query.actor === undefined || entry.actor === query.actor) &&
            (query.action === undefined || entry.action === query.action),
        )
        .reverse()
        .slice(0, limit)
        .map((entry) => structuredClone(entry));
    },
  };
}
