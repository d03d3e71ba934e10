import { NellieError, throwIfAborted } from './errors.ts';
import { transferTables, type StoreTransfer, type TransferTable } from './transfer.ts';

export interface CopyStoreOptions {
  /** Rows per export page and import transaction. Default 500. */
  batchSize?: number;
  /** Delete what the target holds first instead of refusing a target that is not empty. */
  replaceTarget?: boolean;
  /**
   * Copy even though the source holds rows of tables the target does not keep (they are left
   * behind); otherwise such a copy is refused before anything is written.
   */
  dropUnsupported?: boolean;
  signal?: AbortSignal;
  /** Called after every batch. */
  onProgress?: (progress: { table: TransferTable; copied: number; total: number }) => void;
}

export interface TableCopyReport {
  table: TransferTable;
  /** Rows in the source. */
  source: number;
  /** Rows in the target after the copy; null when the target does not keep the table. */
  target: number | null;
  /** Columns of this table whose values the target does not keep. */
  droppedColumns: readonly string[];
}

export interface CopyStoreReport {
  tables: TableCopyReport[];
  /** True when a previous, interrupted copy into this target was continued. */
  resumed: boolean;
  /** True when every table the target keeps holds as many rows as the source. */
  verified: boolean;
}

/**
 * Copies every table of one store into another (`nellie migrate`), in batches, keeping keys and
 * vectors, then counts both sides. A target that holds data is refused with `CONFLICT` unless
 * `replaceTarget`; a copy that was interrupted is continued (rows already copied are skipped).
 * Nothing is written to the target before every check has passed.
 */
export async function copyStore(
  source: StoreTransfer,
  target: StoreTransfer,
  options: CopyStoreOptions = {},
): Promise<CopyStoreReport> {
  const batchSize = options.batchSize ?? 500;
  if (!Number.isInteger(batchSize) || batchSize < 1) {
    throw new NellieError('INVALID_OPTIONS', `The batch size must be a positive integer.`);
  }
  const shared = transferTables.filter(
    (table) => source.tables.includes(table) && target.tables.includes(table),
  );
  const totals = new Map<TransferTable, number>();
  for (const table of source.tables) totals.set(table, await source.countRows(table));
  const left = source.tables.filter(
    (table) => !target.tables.includes(table) && (totals.get(table) ?? 0) > 0,
  );
  if (left.length > 0 && !options.dropUnsupported) {
    throw new NellieError(
      'INVALID_INPUT',
      `The target does not keep ${left.map((table) => `${table} (${totals.get(table)} rows)`).join(', ')}; nothing was copied. Copy without them only on purpose (--drop-anchors).`,
    );
  }
  const state = await target.importState();
  if (state === 'filled') {
    if (!options.replaceTarget) {
      throw new NellieError(
        'CONFLICT',
        'The target already holds Nellie data; nothing was copied. Choose an empty target, or replace its contents on purpose (--replace-target).',
      );
    }
    await target.clear();
  }
  await target.beginImport();
  for (const table of shared) {
    const total = totals.get(table) ?? 0;
    let copied = 0;
    let after: string | number | null = null;
    options.onProgress?.({ table, copied, total });
    for (;;) {
      throwIfAborted(options.signal);
      const page = await source.exportRows(table, { after, limit: batchSize });
      if (page.rows.length > 0) await target.importRows(table, page.rows);
      copied += page.rows.length;
      options.onProgress?.({ table, copied, total: Math.max(total, copied) });
      if (page.next === null) break;
      after = page.next;
    }
  }
  await target.finishImport();

  const tables: TableCopyReport[] = [];
  for (const table of source.tables) {
    tables.push({
      table,
      source: await source.countRows(table),
      target: target.tables.includes(table) ? await target.countRows(table) : null,
      droppedColumns: target.droppedColumns[table] ?? [],
    });
  }
  return {
    tables,
    resumed: state === 'partial',
    verified: tables.every((entry) => entry.target === null || entry.target === entry.source),
  };
}
