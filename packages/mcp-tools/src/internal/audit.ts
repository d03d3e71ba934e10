import type { AuditEntry } from '@nellie/core';
import type { ToolCallContext, ToolDeps } from './tool.ts';

/**
 * Records a write in the audit log. The write itself has already happened, so a failing audit
 * log is reported to the logger rather than turned into a failed call an agent would retry.
 */
export async function audit(
  deps: ToolDeps,
  context: ToolCallContext,
  entry: Pick<AuditEntry, 'action' | 'target' | 'details'>,
): Promise<void> {
  try {
    await deps.store.recordAudit({ ...entry, actor: context.actor, channel: 'mcp' });
  } catch (error) {
    deps.logger.error(
      { action: entry.action, target: entry.target, actor: context.actor, err: error },
      'Could not record an audit entry',
    );
  }
}
