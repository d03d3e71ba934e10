import type { CommandContext } from '../cli.ts';
import { openStore } from '../open-store.ts';
import { exitCodes } from '../internal/exit-codes.ts';
import { printJson, writeStdout } from '../internal/output.ts';

function mebibytes(bytes: number): string {
  return `${(bytes / 1024 / 1024).toFixed(2)} MiB`;
}

/** `nellie maintenance`: integrity check, ANALYZE, FTS optimise, VACUUM when worthwhile. */
export async function runMaintenance(context: CommandContext): Promise<number> {
  const { config, logger, options } = context;
  const vacuum = (options.vacuum as 'auto' | 'always' | 'never' | undefined) ?? 'auto';
  const started = performance.now();
  const store = await openStore(config.settings, { logger, existing: true });
  try {
    const report = await store.maintenance({ vacuum });
    const durationMs = Math.round(performance.now() - started);
    if (options.json === true) {
      await printJson({ ...report, durationMs });
    } else {
      const lines = [
        `Integrity: ${report.integrity.ok ? 'ok' : 'PROBLEMS FOUND'}`,
        ...report.integrity.problems.map((problem) => `  ${problem}`),
        `ANALYZE: ${report.analyzed ? 'done' : 'skipped'}`,
        `Full-text index optimised: ${report.ftsOptimized ? 'yes' : 'no'}`,
        `VACUUM: ${report.vacuumed ? 'done' : 'not needed'} (${vacuum})`,
        `Size: ${mebibytes(report.bytesBefore)} → ${mebibytes(report.bytesAfter)} in ${durationMs} ms`,
      ];
      if (!report.integrity.ok) {
        lines.push(
          'The database is damaged. Restore the latest backup with `nellie restore <file>`, or re-index your repositories into a new data directory.',
        );
      }
      await writeStdout(`${lines.join('\n')}\n`);
    }
    return report.integrity.ok ? exitCodes.ok : exitCodes.runtime;
  } finally {
    await store.close();
  }
}
