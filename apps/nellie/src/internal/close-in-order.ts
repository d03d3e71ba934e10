import type { Logger } from '@nellie/core';

/**
 * Closes each part in turn, even when an earlier one fails; logs every failure and rethrows the
 * first once all are closed.
 */
export async function closeInOrder(
  parts: readonly [name: string, part: { close(): Promise<void> } | undefined][],
  logger: Logger,
): Promise<void> {
  const failures: unknown[] = [];
  for (const [name, part] of parts) {
    await part?.close().catch((error: unknown) => {
      failures.push(error);
      logger.error({ err: error, step: name }, `Closing the ${name} failed`);
    });
  }
  if (failures.length > 0) throw failures[0] as Error;
}
