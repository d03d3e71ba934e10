/**
 * Change feeds over tables whose rows record the transaction that wrote them (`xact xid8`,
 * migration 8): a reader follows `(xact, key)` and reads only rows older than the oldest
 * transaction still running. A row that becomes visible later belongs to a transaction that is
 * running now, so it sorts after everything read: nothing is skipped, whatever order concurrent
 * writers commit in.
 */

/** A position in a change feed: the writing transaction, then the row's key. */
export interface FeedCursor {
  /** A `xid8` in its text form. */
  readonly xact: string;
  readonly key: number;
}

/** Before every row. */
export const feedStart: FeedCursor = { xact: '0', key: 0 };

/** Rows written by transactions older than every transaction still running. */
export const settledRows = 'xact < pg_snapshot_xmin(pg_current_snapshot())';

/**
 * Rows after the cursor passed as parameters `$at` (xact) and `$at + 1` (key). A query that
 * selects `xact::text AS xact` must order by the table's column (`ORDER BY e.xact`), not the
 * text: as text `1000` sorts before `999`, and the cursor would skip every row in between.
 */
export function rowsAfter(key: string, at: number): string {
  return `(xact, ${key}) > ($${at}::xid8, $${at + 1}::bigint)`;
}

/** Rows up to the cursor passed as parameters `$at` (xact) and `$at + 1` (key). */
export function rowsUpTo(key: string, at: number): string {
  return `(xact, ${key}) <= ($${at}::xid8, $${at + 1}::bigint)`;
}

/** The cursor's query parameters, for `rowsAfter` and `rowsUpTo`. */
export function cursorValues(cursor: FeedCursor): [string, number] {
  return [cursor.xact, cursor.key];
}
