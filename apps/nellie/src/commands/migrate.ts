import path from 'node:path';
import cliProgress from 'cli-progress';
import {
  copyStore,
  NellieError,
  type CopyStoreReport,
  type EmbeddingModelInfo,
  type TransferTable,
} from '@nellie/core';
import type { CommandContext } from '../cli.ts';
import { openStore } from '../open-store.ts';
import type { Settings } from '../config.ts';
import { exitCodes } from '../internal/exit-codes.ts';
import { printJson, writeStdout } from '../internal/output.ts';
import { isPostgresStore, type AppStore } from '../runtime.ts';

/** One side of a migration: a PostgreSQL database or a data directory's SQLite file. */
type Side = { engine: 'postgres'; url: string } | { engine: 'sqlite'; dataDir: string };

const postgresUrl = /^postgres(?:ql)?:\/\//;

function sideOf(value: string): Side {
  return postgresUrl.test(value)
    ? { engine: 'postgres', url: value }
    : { engine: 'sqlite', dataDir: path.resolve(value) };
}

/**
 * The two sides from `--to` and `--from` (default: the data directory): one must be PostgreSQL
 * and the other a data directory.
 */
function resolveSides(settings: Settings, options: Record<string, unknown>): [Side, Side] {
  const to = typeof options.to === 'string' ? options.to : undefined;
  if (!to) {
    throw new NellieError(
      'INVALID_INPUT',
      'Say where to copy to: `nellie migrate --to postgres://…` copies the data directory into PostgreSQL; `nellie migrate --from postgres://… --to <data dir>` copies PostgreSQL into a new data directory.',
    );
  }
  const from: Side =
    typeof options.from === 'string'
      ? sideOf(options.from)
      : { engine: 'sqlite', dataDir: settings.dataDir };
  const target = sideOf(to);
  if (from.engine === target.engine) {
    throw new NellieError(
      'INVALID_INPUT',
      from.engine === 'postgres'
        ? '--from and --to are both PostgreSQL URLs; one side must be a data directory.'
        : `--to ${to} is not a PostgreSQL URL (postgres://…); to copy PostgreSQL into a data directory, name the database with --from.`,
    );
  }
  return [from, target];
}

function describe(store: AppStore): string {
  return isPostgresStore(store)
    ? `PostgreSQL ${store.location} (schema ${store.schema})`
    : `SQLite ${store.path}`;
}

async function open(
  side: Side,
  settings: Settings,
  context: CommandContext,
  role: { source: true } | { source: false; embedding: EmbeddingModelInfo | null },
): Promise<AppStore> {
  const sideSettings: Settings =
    side.engine === 'postgres'
      ? { ...settings, database: side.url }
      : { ...settings, database: undefined, dataDir: side.dataDir };
  return openStore(sideSettings, {
    logger: context.logger,
    embedding: role.source ? null : role.embedding,
    // The source is only read; a data directory to copy from must hold a database.
    readonly: role.source && side.engine === 'sqlite',
    existing: role.source,
  });
}

/** A bar per table on a terminal (stderr, so `--json` stays clean); nothing otherwise. */
function progressView(): {
  update(table: TransferTable, copied: number, total: number): void;
  stop(): void;
} {
  const stream = process.stderr;
  if (!stream.isTTY) return { update: () => {}, stop: () => {} };
  const bar = new cliProgress.SingleBar(
    {
      stream,
      format: '{table} |{bar}| {value}/{total} rows',
      hideCursor: true,
      clearOnComplete: true,
      barsize: 30,
      fps: 10,
    },
    cliProgress.Presets.shades_classic,
  );
  let current: TransferTable | null = null;
  return {
    update(table, copied, total) {
      const payload = { table: table.padEnd(12) };
      if (current !== table) {
        if (current !== null) bar.stop();
        bar.start(Math.max(total, 1), copied, payload);
        current = table;
      } else {
        bar.setTotal(Math.max(total, copied, 1));
        bar.update(copied, payload);
      }
    },
    stop() {
      if (current !== null) bar.stop();
      current = null;
    },
  };
}

function formatReport(report: CopyStoreReport, from: AppStore, to: AppStore): string {
  const fromEngine = isPostgresStore(from) ? 'postgres' : 'sqlite';
  const toEngine = isPostgresStore(to) ? 'postgres' : 'sqlite';
  const lines = [
    `${'table'.padEnd(14)}${fromEngine.padStart(10)}${toEngine.padStart(10)}`,
    ...report.tables.map((entry) => {
      const target = entry.target === null ? '—' : String(entry.target);
      const note =
        entry.target === null
          ? `  not kept by ${toEngine}${entry.source > 0 ? ': left behind' : ''}`
          : entry.target !== entry.source
            ? '  MISMATCH'
            : entry.droppedColumns.length > 0
              ? `  (${entry.droppedColumns.join(', ')} not kept by ${toEngine})`
              : '';
      return `${entry.table.padEnd(14)}${String(entry.source).padStart(10)}${target.padStart(10)}${note}`;
    }),
  ];
  return `${lines.join('\n')}\n`;
}

/**
 * `nellie migrate --to postgres://…` copies the data directory's SQLite database into
 * PostgreSQL; `nellie migrate --from postgres://… --to <dir>` copies PostgreSQL into a data
 * directory. Vectors travel with their model, so nothing is embedded again.
 */
export async function runMigrate(context: CommandContext): Promise<number> {
  const { config, options } = context;
  const [fromSide, toSide] = resolveSides(config.settings, options);
  const batchSize = typeof options.batchSize === 'number' ? options.batchSize : 500;
  const source = await open(fromSide, config.settings, context, { source: true });
  try {
    const embedding = await source.transfer.recordedEmbeddingModel();
    const target = await open(toSide, config.settings, context, { source: false, embedding });
    const progress = progressView();
    try {
      const report = await copyStore(source.transfer, target.transfer, {
        batchSize,
        replaceTarget: options.replaceTarget === true,
        dropUnsupported: options.dropAnchors === true,
        onProgress: ({ table, copied, total }) => progress.update(table, copied, total),
      });
      progress.stop();
      const result = {
        from: describe(source),
        to: describe(target),
        embeddingModel: embedding,
        ...report,
      };
      if (options.json === true) await printJson(result);
      else {
        await writeStdout(
          `Copied ${result.from} to ${result.to}${report.resumed ? ' (continuing an interrupted copy)' : ''}; vectors of ${embedding ? embedding.modelId : 'no model'} kept as they are.\n${formatReport(report, source, target)}`,
        );
      }
      if (!report.verified) {
        throw new NellieError(
          'CONFLICT',
          'The row counts differ (MISMATCH above): was the source changed during the copy? Stop the servers using it and run the same command again with --replace-target.',
        );
      }
      return exitCodes.ok;
    } finally {
      progress.stop();
      await target.close();
    }
  } finally {
    await source.close();
  }
}
