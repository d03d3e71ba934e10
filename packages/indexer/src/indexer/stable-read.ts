import type { Stats } from 'node:fs';
import { constants } from 'node:fs';
import { open } from 'node:fs/promises';
import { errorCode } from '../internal/error-code.ts';

export type ReadOutcome =
  | { kind: 'read'; bytes: Buffer; info: Stats }
  | { kind: 'gone' }
  | { kind: 'not-file' }
  | { kind: 'too-large'; info: Stats };

/**
 * Reads a file and makes sure it did not change while being read: the size and mtime before and
 * after must agree, or it is read again. If it keeps changing, the stat from before the last
 * read is kept, so the next pass sees a difference and reads it again.
 */
export async function readStable(
  absolutePath: string,
  maxFileBytes: number,
  followSymlinks: boolean,
): Promise<ReadOutcome> {
  // A file replaced by a link after the scan is not followed out of the repository.
  const flags = constants.O_RDONLY | (followSymlinks ? 0 : (constants.O_NOFOLLOW ?? 0));
  let handle;
  try {
    handle = await open(absolutePath, flags);
  } catch (error) {
    if (errorCode(error) === 'ENOENT' || errorCode(error) === 'ENOTDIR') return { kind: 'gone' };
    if (errorCode(error) === 'ELOOP' && !followSymlinks) return { kind: 'not-file' };
    throw error;
  }
  try {
    let last: { bytes: Buffer; info: Stats } | null = null;
    for (let attempt = 0; attempt < 3; attempt += 1) {
      const before = await handle.stat();
      if (!before.isFile()) return { kind: 'not-file' };
      if (before.size > maxFileBytes) return { kind: 'too-large', info: before };
      const bytes = await readAll(handle, before.size, maxFileBytes);
      if (bytes === null) return { kind: 'too-large', info: before };
      const after = await handle.stat();
      last = { bytes, info: before };
      if (
        after.size === before.size &&
        after.mtimeMs === before.mtimeMs &&
        bytes.length === before.size
      ) {
        return { kind: 'read', bytes, info: before };
      }
    }
    return { kind: 'read', bytes: last!.bytes, info: last!.info };
  } finally {
    await handle.close();
  }
}

async function readAll(
  handle: Awaited<ReturnType<typeof open>>,
  expected: number,
  maxFileBytes: number,
): Promise<Buffer | null> {
  // One byte of room: a short read then means the end of the file, without a second call.
  let buffer = Buffer.allocUnsafe(expected + 1);
  let length = 0;
  for (;;) {
    if (length === buffer.length) {
      if (length > maxFileBytes) return null;
      const grown = Buffer.allocUnsafe(buffer.length * 2);
      buffer.copy(grown, 0, 0, length);
      buffer = grown;
    }
    const requested = buffer.length - length;
    const { bytesRead } = await handle.read(buffer, length, requested, length);
    length += bytesRead;
    if (bytesRead === 0 || bytesRead < requested) break;
  }
  return length > maxFileBytes ? null : buffer.subarray(0, length);
}
