import { NellieError, noopLogger } from '@nellie/core';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { createMemoryStore } from '@nellie/test-utils';
import { createStoreWritability, describeWriteFailure } from './store-writability.ts';

afterEach(() => {
  vi.useRealTimers();
});

const diskFull = new NellieError('STORE_UNAVAILABLE', 'Cannot use the database', {
  cause: Object.assign(new Error('database or disk is full'), { code: 'SQLITE_FULL' }),
});

describe('createStoreWritability', () => {
  it('ignores failures that say nothing about the store accepting writes', () => {
    const writability = createStoreWritability({
      store: createMemoryStore(),
      probeIntervalMs: 1000,
      logger: noopLogger,
    });
    writability.observeFailure(new NellieError('INVALID_INPUT', 'bad'));
    writability.observeFailure(new NellieError('NOT_FOUND', 'gone'));
    writability.observeFailure(new Error('SQLITE_FULL'));
    expect(writability.writable).toBe(true);
    writability.close();
  });

  it('probes on its interval while writes fail, and recovers on the first successful probe', async () => {
    vi.useFakeTimers({ toFake: ['setInterval', 'clearInterval'] });
    let full = true;
    const probeWrite = vi.fn(() => (full ? Promise.reject(diskFull) : Promise.resolve()));
    const writability = createStoreWritability({
      store: Object.assign(createMemoryStore(), { probeWrite }),
      probeIntervalMs: 10_000,
      logger: noopLogger,
    });
    expect(probeWrite).not.toHaveBeenCalled();
    writability.observeFailure(diskFull);
    expect(writability).toMatchObject({ writable: false, reason: 'SQLITE_FULL' });
    await vi.advanceTimersByTimeAsync(20_000);
    expect(probeWrite).toHaveBeenCalledTimes(2);
    expect(writability.writable).toBe(false);
    full = false;
    await vi.advanceTimersByTimeAsync(10_000);
    expect(writability).toMatchObject({ writable: true, reason: null });
    // No probing once writable again.
    await vi.advanceTimersByTimeAsync(60_000);
    expect(probeWrite).toHaveBeenCalledTimes(3);
    writability.close();
  });

  it('names the storage reason for operators', () => {
    expect(describeWriteFailure('SQLITE_FULL')).toBe('the disk is full');
    expect(describeWriteFailure('SQLITE_READONLY_DBMOVED')).toContain('read-only');
    expect(describeWriteFailure('SQLITE_BUSY')).toContain('lock');
    expect(describeWriteFailure('STORE_UNAVAILABLE')).toBe('the store is unavailable');
  });
});
